package org.exmerge.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A kernel's parameter struct, passed by value: little-endian fields at the offsets the matching C
 * struct has in cuda/include (every field naturally aligned, so nvcc, the host compiler and this
 * class agree). The launch classes name their offsets; the emulator checks the total size.
 */
final class Params {
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment bytes;

    Params(Arena arena, long size) {
        this.bytes = arena.allocate(size, 8);
    }

    MemorySegment segment() {
        return bytes;
    }

    Params i64(long offset, long v) {
        bytes.set(I64, offset, v);
        return this;
    }

    Params i32(long offset, int v) {
        bytes.set(I32, offset, v);
        return this;
    }

    Params f32(long offset, float v) {
        bytes.set(F32, offset, v);
        return this;
    }

    Params f64(long offset, double v) {
        bytes.set(F64, offset, v);
        return this;
    }
}
