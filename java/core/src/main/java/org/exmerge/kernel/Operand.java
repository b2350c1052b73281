package org.exmerge.kernel;

import java.lang.foreign.MemorySegment;
import org.exmerge.format.DType;

/**
 * A run of elements of one type: the segment starts at the first element a kernel call touches.
 * Segments come from mapped files or native buffers and may be misaligned.
 */
public record Operand(MemorySegment segment, DType type) {

    /** The same operand moved forward by {@code elements}. */
    public Operand skip(long elements) {
        return new Operand(segment.asSlice(elements * type.size()), type);
    }
}
