package org.exmerge.numeric;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.exmerge.format.DType;

/**
 * A float64 value rounded once to any float type, to nearest, ties to even (numerics §12). F32 is
 * Java's {@code (float)} cast. The 16- and 8-bit types go through float32 rounded to odd: the cast's
 * result, moved one ulp toward the exact value when the cast was inexact and left an even
 * significand. A float32 so rounded keeps, at least 13 bits below the narrow type's last bit, whether
 * the value was exact, so the narrow type's own round-to-nearest-even of it ({@link Bf16#fromFloat},
 * {@link F16#fromFloat}, {@link F8E4M3#fromFloat}, {@link F8E5M2#fromFloat}) is that of the float64
 * value itself: no double rounding. NaN becomes each type's canonical NaN as §1 says.
 */
public final class Narrow {
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Narrow() {}

    /**
     * {@code d} as float32 rounded to odd: its significand cut to float32's 24 bits, the last of them
     * set when anything was cut. For magnitudes from 2^-126 (float32's smallest normal) up, that is
     * the double's bits with the low 29 of the significand cleared and bit 29 made sticky, then an
     * exact cast (past 2^128 the cast gives ±infinity, which every narrow type rounds such values to
     * anyway); below, a cast and, when inexact with an even significand, a step to the neighbour on
     * d's side. A NaN stays NaN.
     */
    public static float toOddFloat(double d) {
        if (Math.abs(d) < 0x1p-126 && d != 0) {
            float f = (float) d;
            if ((double) f == d || (Float.floatToRawIntBits(f) & 1) != 0) {
                return f;
            }
            int bits = Float.floatToRawIntBits(f); // a step of the magnitude bits, away from zero or toward it
            return Float.intBitsToFloat(Math.abs(d) > Math.abs(f) ? bits + 1 : bits - 1);
        }
        long b = Double.doubleToRawLongBits(d);
        long cut = b & 0x1FFF_FFFFL;
        return (float) Double.longBitsToDouble((b & ~0x1FFF_FFFFL) | (((cut | -cut) >>> 63) << 29));
    }

    /** Stores {@code v[0 .. n-1]} as elements of type {@code t} from byte {@code at} of {@code out}, each rounded once. */
    public static void store(double[] v, int n, DType t, MemorySegment out, long at) {
        switch (t) {
            case F64 -> {
                for (int i = 0; i < n; i++) {
                    out.set(F64, at + 8L * i, v[i]);
                }
            }
            case F32 -> {
                for (int i = 0; i < n; i++) {
                    out.set(F32, at + 4L * i, (float) v[i]);
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    out.set(I16, at + 2L * i, Bf16.fromFloat(toOddFloat(v[i])));
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    out.set(I16, at + 2L * i, F16.fromFloat(toOddFloat(v[i])));
                }
            }
            case F8_E4M3 -> {
                for (int i = 0; i < n; i++) {
                    out.set(ValueLayout.JAVA_BYTE, at + i, F8E4M3.fromFloat(toOddFloat(v[i])));
                }
            }
            case F8_E5M2 -> {
                for (int i = 0; i < n; i++) {
                    out.set(ValueLayout.JAVA_BYTE, at + i, F8E5M2.fromFloat(toOddFloat(v[i])));
                }
            }
            default -> throw new IllegalArgumentException("not a float type: " + t);
        }
    }
}
