package org.exmerge.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.exmerge.format.DType;

/**
 * numerics §12's arithmetic written out again for the tests, sharing no code with the kernels or
 * {@code numeric.*}: the sum in k order from +0 in plain Java double arithmetic (which never fuses), and
 * one round-to-nearest-even of the float64 value straight to each type's bits, by scaling to an integer
 * significand and {@link Math#rint} (no float32 step, so it also checks that the spec's round-to-odd
 * float32 does not round twice).
 */
final class LoraOracle {
    private static final ValueLayout.OfShort I16 = TestBits.I16;
    private static final ValueLayout.OfInt I32 = TestBits.I32;
    private static final ValueLayout.OfLong I64 = TestBits.I64;

    /** A binary float format: significand bits with the hidden one, smallest normal exponent, largest finite value. */
    private record Format(int p, int emin, double max) {}

    private LoraOracle() {}

    private static Format format(DType t) {
        return switch (t) {
            case F32 -> new Format(24, -126, Float.MAX_VALUE);
            case BF16 -> new Format(8, -126, 0x1.FEp127);
            case F16 -> new Format(11, -14, 65504);
            case F8_E4M3 -> new Format(4, -6, 448);
            case F8_E5M2 -> new Format(3, -14, 57344);
            default -> throw new IllegalArgumentException(t.toString());
        };
    }

    /** The element's value: {@code w + s·(Σ_k l[k]·r[k])}, each operation rounded to float64 in that order. */
    static double value(double w, double[] left, int lrow, double[] right, int rank, int columns, int j, double s) {
        double d = 0.0;
        for (int k = 0; k < rank; k++) {
            d = d + left[lrow * rank + k] * right[k * columns + j];
        }
        double t = s * d;
        return w + t;
    }

    /** {@code v} rounded once to nearest even in {@code t}, as a double (±infinity past the largest finite value). */
    static double round(double v, DType t) {
        if (t == DType.F64 || Double.isNaN(v) || Double.isInfinite(v) || v == 0) {
            return v;
        }
        Format f = format(t);
        double a = Math.abs(v);
        int e = Math.max(Math.getExponent(a), f.emin());
        double r = Math.scalb(Math.rint(Math.scalb(a, f.p() - 1 - e)), e - (f.p() - 1));
        return Math.copySign(r > f.max() ? Double.POSITIVE_INFINITY : r, v);
    }

    /** The value after {@code x ≥ 0} in type {@code t} (past the largest finite value: the next power of two). */
    static double next(double x, DType t) {
        if (t == DType.F64) {
            return Math.nextUp(x);
        }
        Format f = format(t);
        return x + Math.scalb(1.0, Math.max(Math.getExponent(x), f.emin()) - (f.p() - 1));
    }

    /** The bits {@code t} stores for {@code v}: rounded once, NaN (and E4M3's overflow) canonical. */
    static long bits(double v, DType t) {
        double x = round(v, t);
        return switch (t) {
            case F64 -> Double.doubleToRawLongBits(x);
            case F32 -> Float.floatToRawIntBits((float) x) & 0xFFFF_FFFFL;
            case BF16 -> Double.isNaN(x) ? 0x7FC0 : Float.floatToRawIntBits((float) x) >>> 16;
            case F16 -> Double.isNaN(x) ? 0x7E00 : Float.floatToFloat16((float) x) & 0xFFFF;
            case F8_E5M2 -> Double.isNaN(x) ? 0x7F : (Float.floatToFloat16((float) x) >>> 8) & 0xFF;
            case F8_E4M3 -> Double.isNaN(x) || Double.isInfinite(x) ? 0x7F : e4m3(x);
            default -> throw new IllegalArgumentException(t.toString());
        };
    }

    private static long e4m3(double x) {
        long sign = Double.doubleToRawLongBits(x) < 0 ? 0x80 : 0;
        double a = Math.abs(x);
        if (a < 0x1p-6) {
            return sign | (long) (a * 0x1p9); // subnormal: m · 2^-9
        }
        int e = Math.getExponent(a);
        return sign | ((long) (e + 7) << 3) | (long) ((Math.scalb(a, -e) - 1) * 8);
    }

    /** Element {@code i} of {@code o}, its bits. */
    static long stored(Operand o, long i) {
        MemorySegment s = o.segment();
        return switch (o.type().size()) {
            case 8 -> s.get(I64, 8 * i);
            case 4 -> s.get(I32, 4 * i) & 0xFFFF_FFFFL;
            case 2 -> s.get(I16, 2 * i) & 0xFFFF;
            default -> s.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
        };
    }

    /** Element {@code i} of {@code o} widened exactly. */
    static double widen(Operand o, long i) {
        long b = stored(o, i);
        return switch (o.type()) {
            case F64 -> Double.longBitsToDouble(b);
            case F32 -> Float.intBitsToFloat((int) b);
            case BF16 -> Float.intBitsToFloat((int) b << 16);
            case F16 -> Float.float16ToFloat((short) b);
            case F8_E5M2 -> Float.float16ToFloat((short) (b << 8));
            case F8_E4M3 -> {
                double sign = (b & 0x80) != 0 ? -1 : 1;
                long e = (b >>> 3) & 0xF;
                long m = b & 7;
                if (e == 0xF && m == 7) {
                    yield Double.NaN;
                }
                yield sign * (e == 0 ? m * 0x1p-9 : Math.scalb(1 + m / 8.0, (int) e - 7));
            }
            default -> throw new IllegalArgumentException(o.type().toString());
        };
    }

    /**
     * Whether {@code got} is what the type stores for {@code v}; a NaN in F32 or F64 may be any NaN (numerics
     * §1 canonicalises NaN only in the narrow types, and which payload an x86 add passes on is not promised).
     */
    static boolean matches(long got, double v, DType t) {
        long want = bits(v, t);
        if (got == want) {
            return true;
        }
        return switch (t) {
            case F64 -> Double.isNaN(v) && Double.isNaN(Double.longBitsToDouble(got));
            case F32 -> Double.isNaN(v) && Float.isNaN(Float.intBitsToFloat((int) got));
            default -> false;
        };
    }
}
