package org.exmerge.engine;

import org.exmerge.error.InputException;

/**
 * The input models do not fit together or with the recipe (a tensor missing, shapes or types that
 * differ, a model that cannot be found). Found while planning, before any output exists.
 */
public final class PlanException extends InputException {
    private static final long serialVersionUID = 1L;

    public PlanException(String message) {
        super(message);
    }

    public PlanException(String message, Throwable cause) {
        super(message, cause);
    }
}
