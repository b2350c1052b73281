package org.exmerge.error;

import java.io.IOException;
import org.exmerge.text.Printable;

/**
 * Every failure the library reports, in three kinds ({@link #kind()}), which the CLI maps to exit
 * codes 2, 3 and 4:
 * <ul>
 * <li>{@link Kind#RECIPE}: the recipe or an option cannot be run as given —
 * {@code org.exmerge.recipe.ConfigException} (with the key path), {@link UsageException} (a refused
 * output path), {@link BudgetException} (a memory budget too small for the merge),
 * {@code org.exmerge.engine.NonFiniteException} (a merged value is infinite or NaN);</li>
 * <li>{@link Kind#INPUT}: an input cannot be read, is malformed, or does not fit — {@link InputException}
 * and its subtypes {@code org.exmerge.format.SafetensorsFormatException} (file, tensor, reason),
 * {@code org.exmerge.engine.PlanException} (models that do not fit the recipe),
 * {@link InputChangedException} (an input changed during the run);</li>
 * <li>{@link Kind#OUTPUT}: the output cannot be written — {@code org.exmerge.engine.OutputException}.</li>
 * </ul>
 * {@code org.exmerge.search.SearchException} carries whichever kind its cause has. The message is
 * one line naming the file (and tensor or key path) and the reason, so a caller needs one
 * {@code catch}. Names in it come from the inputs (a header's tensor names, a recipe's keys) and may
 * hold line breaks or terminal escapes; the constructors escape every control character
 * ({@link Printable}), so no subtype's message can break the line or reach a terminal raw.
 *
 * <p>It is an {@link IOException} (as Jackson's processing errors are) because every API call that
 * can fail also reads or writes files, and a caller's existing {@code catch (IOException e)} then
 * sees these too.
 */
public abstract class ExmergeException extends IOException {
    private static final long serialVersionUID = 1L;

    /** What failed; each kind has its CLI exit code. */
    public enum Kind {
        /** The recipe or an option is wrong (exit 2). */
        RECIPE(2),
        /** An input model cannot be read, is malformed, does not fit the recipe, or changed during the run (exit 3). */
        INPUT(3),
        /** The output cannot be written (disk full, permissions, refused path) (exit 4). */
        OUTPUT(4);

        private final int exitCode;

        Kind(int exitCode) {
            this.exitCode = exitCode;
        }

        public int exitCode() {
            return exitCode;
        }
    }

    /** Leaves the cause unset, so a subtype may still {@link #initCause} it. */
    protected ExmergeException(String message) {
        super(Printable.of(String.valueOf(message)));
    }

    protected ExmergeException(String message, Throwable cause) {
        super(Printable.of(String.valueOf(message)), cause);
    }

    public abstract Kind kind();
}
