package org.exmerge.recipe;

import java.util.Objects;

/**
 * One entry of a recipe's {@code models:} list. {@code model} is the model as written (a directory,
 * a hub name, optionally {@code name@revision}, or {@code model+adapter} for a LoRA adapter applied
 * to it: {@link ModelName}); {@code parameters} never null.
 */
public record ModelRef(String model, Params parameters) {
    public ModelRef {
        Objects.requireNonNull(model, "model");
        parameters = parameters == null ? Params.EMPTY : parameters;
    }
}
