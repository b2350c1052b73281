package org.exmerge.engine;

import org.exmerge.error.ExmergeException;

/**
 * A merged tensor holds an infinity or NaN: the recipe's weights pushed a value out of the output
 * type's range (an extrapolation α of 1e308), or a NaN or infinity in an input reached the output.
 * Kind {@link Kind#RECIPE} (exit 2); {@link RunOptions#withAllowNonfinite} writes such values instead.
 */
public final class NonFiniteException extends ExmergeException {
    private static final long serialVersionUID = 1L;

    private final String tensor;
    private final long element;

    public NonFiniteException(String tensor, long element, String value, String type) {
        super("tensor '" + tensor + "': merged value " + value + " at element " + element + " (" + type
                + "); the recipe's weights take it out of range, or an input holds NaN/inf there; change the recipe,"
                + " or pass --allow-nonfinite (RunOptions.withAllowNonfinite) to write non-finite values");
        this.tensor = tensor;
        this.element = element;
    }

    /** The tensor's output name. */
    public String tensor() {
        return tensor;
    }

    /** The first non-finite element found (in the chunk that was checked first). */
    public long element() {
        return element;
    }

    @Override
    public Kind kind() {
        return Kind.RECIPE;
    }
}
