package org.exmerge.numeric;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.exmerge.format.DType;

/**
 * Reads runs of little-endian float elements of any float {@link DType} from a memory segment and
 * widens them exactly to float64. Segments need not be aligned (safetensors spans start anywhere),
 * so only unaligned layouts are used. Byte order is fixed to little-endian, as safetensors is,
 * rather than left to the platform.
 */
public final class Widen {
    static final ValueLayout.OfDouble F64 =
            ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat F32 =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16 =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfByte I8 = ValueLayout.JAVA_BYTE;

    private Widen() {}

    /**
     * Widens elements {@code start .. start+len-1} of {@code src} (element type {@code t}) into
     * {@code dst[0 .. len-1]}. Throws {@link IllegalArgumentException} for a non-float type.
     */
    public static void toDoubles(MemorySegment src, DType t, long start, int len, double[] dst) {
        switch (t) {
            case F64 -> {
                for (int i = 0; i < len; i++) {
                    dst[i] = src.getAtIndex(F64, start + i);
                }
            }
            case F32 -> {
                for (int i = 0; i < len; i++) {
                    dst[i] = src.getAtIndex(F32, start + i);
                }
            }
            case BF16 -> {
                for (int i = 0; i < len; i++) {
                    dst[i] = Bf16.toFloat(src.getAtIndex(I16, start + i));
                }
            }
            case F16 -> {
                for (int i = 0; i < len; i++) {
                    dst[i] = F16.toFloat(src.getAtIndex(I16, start + i));
                }
            }
            case F8_E4M3 -> {
                for (int i = 0; i < len; i++) {
                    dst[i] = F8E4M3.toFloat(src.get(I8, start + i));
                }
            }
            case F8_E5M2 -> {
                for (int i = 0; i < len; i++) {
                    dst[i] = F8E5M2.toFloat(src.get(I8, start + i));
                }
            }
            default -> throw new IllegalArgumentException("not a float type: " + t);
        }
    }

    /** Checks that {@code seg} holds {@code n} elements of float type {@code t}. */
    static void checkSpan(MemorySegment seg, DType t, long n, String what) {
        if (!t.isFloat()) {
            throw new IllegalArgumentException(what + ": not a float type: " + t);
        }
        if (n < 0) {
            throw new IllegalArgumentException(what + ": negative element count " + n);
        }
        long bytes = Math.multiplyExact(n, (long) t.size());
        if (seg.byteSize() < bytes) {
            throw new IllegalArgumentException(what + ": segment of " + seg.byteSize()
                    + " bytes cannot hold " + n + " elements of " + t);
        }
    }
}
