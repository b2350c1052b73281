package org.exmerge.recipe;

import java.util.List;

/**
 * One output slice: its sources all span the same number of layers, which become consecutive
 * layers of the output (numerics §9). {@code parameters} never null.
 */
public record Slice(List<SliceSource> sources, Params parameters) {
    public Slice {
        sources = List.copyOf(sources);
        if (sources.isEmpty()) {
            throw new IllegalArgumentException("a slice needs at least one source");
        }
        int n = sources.get(0).layerCount();
        for (SliceSource s : sources) {
            if (s.layerCount() != n) {
                throw new IllegalArgumentException("all sources of a slice must span the same number of layers");
            }
        }
        parameters = parameters == null ? Params.EMPTY : parameters;
    }

    /** Number of output layers this slice produces. */
    public int layerCount() {
        return sources.get(0).layerCount();
    }
}
