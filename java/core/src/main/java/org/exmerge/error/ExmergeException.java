package org.exmerge.error;

import java.io.IOException;

/**
 * Every failure the library reports: a recipe that cannot be merged ({@code org.exmerge.recipe.ConfigException},
 * or {@link BudgetException} for a memory budget too small to run it),
 * an input that cannot be read or does not fit ({@link InputException} and its subtypes
 * {@code SafetensorsFormatException}, {@code PlanException}, {@link InputChangedException}), or an output
 * that cannot be written ({@code org.exmerge.engine.OutputException}). The message is one line naming
 * the file (and tensor or key path) and the reason. {@link #kind()} tells the three apart, so a caller
 * needs one {@code catch}; the CLI maps the kinds to exit codes 2, 3 and 4.
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
        super(message);
    }

    protected ExmergeException(String message, Throwable cause) {
        super(message, cause);
    }

    public abstract Kind kind();
}
