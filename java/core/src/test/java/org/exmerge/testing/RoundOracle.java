package org.exmerge.testing;

import java.math.BigDecimal;
import java.util.Arrays;
import org.exmerge.format.DType;
import org.exmerge.numeric.Bf16;
import org.exmerge.numeric.F16;
import org.exmerge.numeric.F8E4M3;
import org.exmerge.numeric.F8E5M2;

/**
 * Rounds a float64 to a narrow float type the slow, obvious way: among every finite value of the type
 * (and the first value past its largest, standing for infinity, or NaN for e4m3fn) take the nearest,
 * compared exactly in BigDecimal, ties to the even bit pattern. An oracle for one rounding from
 * float64 (numerics §12), independent of the code under test's round-to-odd.
 */
public final class RoundOracle {
    private RoundOracle() {}

    private record Grid(double[] values, int[] bits, double past, int pastBits) {}

    private static final Grid BF16 = grid(16, b -> Bf16.toFloat((short) b), 0x7F80, Math.scalb(1.0, 128));
    private static final Grid F16G = grid(16, b -> F16.toFloat((short) b), 0x7C00, 65536.0);
    private static final Grid E4M3 = grid(8, b -> F8E4M3.toFloat((byte) b), 0x7F, 480.0);
    private static final Grid E5M2 = grid(8, b -> F8E5M2.toFloat((byte) b), 0x7C, 65536.0);

    private static Grid grid(int width, java.util.function.IntToDoubleFunction value, int pastBits, double past) {
        int n = 1 << (width - 1); // the non-negative patterns
        double[] v = new double[n];
        int[] b = new int[n];
        int count = 0;
        for (int bits = 0; bits < n; bits++) {
            double x = value.applyAsDouble(bits);
            if (Double.isFinite(x)) {
                v[count] = x;
                b[count++] = bits;
            }
        }
        return new Grid(Arrays.copyOf(v, count), Arrays.copyOf(b, count), past, pastBits);
    }

    /** The bit pattern of {@code v} rounded to {@code t} (BF16, F16, F8_E4M3, F8_E5M2); NaN gives the canonical NaN. */
    public static int bits(DType t, double v) {
        Grid g = switch (t) {
            case BF16 -> BF16;
            case F16 -> F16G;
            case F8_E4M3 -> E4M3;
            case F8_E5M2 -> E5M2;
            default -> throw new IllegalArgumentException(t.toString());
        };
        int sign = t.size() == 2 ? 0x8000 : 0x80;
        if (Double.isNaN(v)) {
            return switch (t) {
                case BF16 -> Bf16.CANONICAL_NAN & 0xFFFF;
                case F16 -> F16.CANONICAL_NAN & 0xFFFF;
                default -> 0x7F;
            };
        }
        double a = Math.abs(v);
        int r;
        int i = Arrays.binarySearch(g.values, a);
        if (i >= 0) {
            r = g.bits[i];
        } else {
            int lo = -i - 2; // the largest value below a
            double hiValue = lo + 1 < g.values.length ? g.values[lo + 1] : g.past;
            int hiBits = lo + 1 < g.values.length ? g.bits[lo + 1] : g.pastBits;
            if (a >= g.past) {
                r = g.pastBits;
            } else {
                int c = new BigDecimal(a).subtract(new BigDecimal(g.values[lo]))
                        .compareTo(new BigDecimal(hiValue).subtract(new BigDecimal(a)));
                r = c < 0 ? g.bits[lo] : c > 0 ? hiBits : (g.bits[lo] & 1) == 0 ? g.bits[lo] : hiBits;
            }
        }
        if (t == DType.F8_E4M3 && r == 0x7F) {
            return 0x7F; // e4m3fn has one NaN whatever the sign
        }
        return v < 0 || (v == 0 && 1 / v < 0) ? r | sign : r;
    }

    /** {@link #bits} widened back to a float (exact), for writing expected tensors with {@link TestModels}. */
    public static float value(DType t, double v) {
        return switch (t) {
            case F64 -> throw new IllegalArgumentException("F64 needs no rounding oracle");
            case F32 -> (float) v;
            case BF16 -> Bf16.toFloat((short) bits(t, v));
            case F16 -> F16.toFloat((short) bits(t, v));
            case F8_E4M3 -> F8E4M3.toFloat((byte) bits(t, v));
            case F8_E5M2 -> F8E5M2.toFloat((byte) bits(t, v));
            default -> throw new IllegalArgumentException(t.toString());
        };
    }
}
