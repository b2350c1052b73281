package org.exmerge.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.exmerge.format.DType;
import org.exmerge.numeric.Bf16;
import org.exmerge.numeric.F16;
import org.exmerge.numeric.F8E4M3;
import org.exmerge.numeric.F8E5M2;

/**
 * Moves elements between typed segments and float/double scratch arrays: exact widening on load,
 * numerics §1 narrowing (RNE, canonical NaN) on store. One switch per run, so the loops stay tight.
 */
final class Lanes {
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Lanes() {}

    static void load(Operand src, long from, int len, float[] dst) {
        MemorySegment s = src.segment();
        switch (src.type()) {
            case F32 -> {
                for (int j = 0; j < len; j++) {
                    dst[j] = s.get(F32, (from + j) * 4);
                }
            }
            case BF16 -> {
                for (int j = 0; j < len; j++) {
                    dst[j] = Bf16.toFloat(s.get(I16, (from + j) * 2));
                }
            }
            case F16 -> {
                for (int j = 0; j < len; j++) {
                    dst[j] = F16.toFloat(s.get(I16, (from + j) * 2));
                }
            }
            case F8_E4M3 -> {
                for (int j = 0; j < len; j++) {
                    dst[j] = F8E4M3.toFloat(s.get(ValueLayout.JAVA_BYTE, from + j));
                }
            }
            case F8_E5M2 -> {
                for (int j = 0; j < len; j++) {
                    dst[j] = F8E5M2.toFloat(s.get(ValueLayout.JAVA_BYTE, from + j));
                }
            }
            default -> throw new IllegalArgumentException("not a float32-path type: " + src.type());
        }
    }

    static void store(float[] src, int len, Operand dst, long from) {
        MemorySegment s = dst.segment();
        switch (dst.type()) {
            case F32 -> {
                for (int j = 0; j < len; j++) {
                    s.set(F32, (from + j) * 4, src[j]);
                }
            }
            case BF16 -> {
                for (int j = 0; j < len; j++) {
                    s.set(I16, (from + j) * 2, Bf16.fromFloat(src[j]));
                }
            }
            case F16 -> {
                for (int j = 0; j < len; j++) {
                    s.set(I16, (from + j) * 2, F16.fromFloat(src[j]));
                }
            }
            case F8_E4M3 -> {
                for (int j = 0; j < len; j++) {
                    s.set(ValueLayout.JAVA_BYTE, from + j, F8E4M3.fromFloat(src[j]));
                }
            }
            case F8_E5M2 -> {
                for (int j = 0; j < len; j++) {
                    s.set(ValueLayout.JAVA_BYTE, from + j, F8E5M2.fromFloat(src[j]));
                }
            }
            default -> throw new IllegalArgumentException("not a float32-path type: " + dst.type());
        }
    }

    /** Float32 results into any float output; F64 receives the float32 value exactly. */
    static void storeWidening(float[] src, int len, Operand dst, long from) {
        if (dst.type() != DType.F64) {
            store(src, len, dst, from);
            return;
        }
        double[] wide = new double[len];
        for (int j = 0; j < len; j++) {
            wide[j] = src[j];
        }
        store(wide, len, dst, from);
    }

    static void load(Operand src, long from, int len, double[] dst) {
        if (src.type() == DType.F64) {
            MemorySegment s = src.segment();
            for (int j = 0; j < len; j++) {
                dst[j] = s.get(F64, (from + j) * 8);
            }
            return;
        }
        float[] tmp = new float[len];
        load(src, from, len, tmp);
        for (int j = 0; j < len; j++) {
            dst[j] = tmp[j];
        }
    }

    /** Narrowing from float64 rounds once, straight to the target type (never via float32 first). */
    static void store(double[] src, int len, Operand dst, long from) {
        MemorySegment s = dst.segment();
        switch (dst.type()) {
            case F64 -> {
                for (int j = 0; j < len; j++) {
                    s.set(F64, (from + j) * 8, src[j]);
                }
            }
            case F32 -> {
                for (int j = 0; j < len; j++) {
                    s.set(F32, (from + j) * 4, (float) src[j]);
                }
            }
            default -> {
                // BF16/F16/F8 from float64 via float32 could double-round; numerics §1 keeps F64 models
                // in F64, so narrowing them to a 16-bit type is refused rather than rounded twice.
                throw new IllegalArgumentException("F64 data can only be written as F64 or F32, not " + dst.type());
            }
        }
    }

    static boolean anyF64(Operand[] xs, Operand base, Operand out) {
        if (out.type() == DType.F64 || (base != null && base.type() == DType.F64)) {
            return true;
        }
        for (Operand x : xs) {
            if (x.type() == DType.F64) {
                return true;
            }
        }
        return false;
    }
}
