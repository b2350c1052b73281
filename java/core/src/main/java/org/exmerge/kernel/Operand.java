package org.exmerge.kernel;

import java.lang.foreign.MemorySegment;
import org.exmerge.format.DType;

/**
 * A run of elements of one type: the segment starts at the first element a kernel call touches.
 * Segments come from mapped files or native buffers and may be misaligned.
 */
public record Operand(MemorySegment segment, DType type) {

    /**
     * Drops the resident pages of elements {@code [start, start + n)} when the operand maps a file
     * (a later read finds them in the page cache); other operands are left alone. A pass over a
     * whole tensor calls it as it goes, so resident input stays a few ranges per thread and not
     * the tensor.
     */
    public void release(long start, long n) {
        release(segment, type.size(), start, n);
    }

    /** {@link #release(long, long)} for a mapped range of elements of {@code elementBytes} each. */
    public static void release(MemorySegment segment, long elementBytes, long start, long n) {
        long from = start * elementBytes;
        if (segment.isMapped() && n > 0 && from < segment.byteSize()) {
            segment.asSlice(from, Math.min(n * elementBytes, segment.byteSize() - from)).unload();
        }
    }

    /** The same operand moved forward by {@code elements}. */
    public Operand skip(long elements) {
        return new Operand(segment.asSlice(elements * type.size()), type);
    }
}
