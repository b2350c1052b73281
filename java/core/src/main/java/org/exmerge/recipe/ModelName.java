package org.exmerge.recipe;

import java.util.Objects;

/**
 * A model as recipes name it: a model, optionally with a PEFT LoRA adapter applied to it, written
 * {@code model+adapter} (mergekit's {@code ModelReference} string, also what its
 * {@code {model: ..., lora: ...}} form reads as). That string is the model's identity everywhere: the
 * same model with two adapters is two models, the model alone a third.
 *
 * @param lora the adapter's directory or name, or null for the model alone
 */
public record ModelName(String model, String lora) {
    public ModelName {
        Objects.requireNonNull(model, "model");
    }

    /** The name split at its one '+' (a name without one is a model alone; the reader refuses more than one). */
    public static ModelName parse(String name) {
        int plus = name.indexOf('+');
        return plus < 0 ? new ModelName(name, null) : new ModelName(name.substring(0, plus), name.substring(plus + 1));
    }

    @Override
    public String toString() {
        return lora == null ? model : model + "+" + lora;
    }
}
