package org.exmerge.recipe;

import java.util.Objects;

/**
 * One source of an output slice: layers {@code [layerStart, layerEnd)} of {@code model}, as
 * mergekit's {@code layer_range}. {@code parameters} never null.
 */
public record SliceSource(String model, int layerStart, int layerEnd, Params parameters) {
    public SliceSource {
        Objects.requireNonNull(model, "model");
        if (layerStart < 0 || layerEnd < layerStart) {
            throw new IllegalArgumentException("layer range [" + layerStart + ", " + layerEnd + ") is not 0 <= start <= end");
        }
        parameters = parameters == null ? Params.EMPTY : parameters;
    }

    /** Number of layers this source contributes. */
    public int layerCount() {
        return layerEnd - layerStart;
    }
}
