package org.exmerge.engine;

/**
 * The input models do not fit together or with the recipe (a tensor missing, shapes or types that
 * differ, a model that cannot be found). Found while planning, before any output exists.
 */
public final class PlanException extends Exception {
    public PlanException(String message) {
        super(message);
    }

    public PlanException(String message, Throwable cause) {
        super(message, cause);
    }
}
