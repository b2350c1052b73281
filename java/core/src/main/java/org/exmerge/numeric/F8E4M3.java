package org.exmerge.numeric;

/**
 * float8 e4m3fn, as torch {@code float8_e4m3fn} (1 sign, 4 exponent bits with bias 7, 3 mantissa
 * bits). There are no infinities: {@code 0x7F} and {@code 0xFF} are the only NaNs, so exponent 15
 * still holds finite values up to {@code 0x7E} = 448. Subnormals are {@code m · 2^-9}.
 *
 * <p>Widening is exact; the NaN patterns widen to a float32 quiet NaN with the same sign.
 *
 * <p>Narrowing follows PyTorch's {@code c10::detail::fp8e4m3fn_from_fp32_value} bit for bit except
 * for the sign of NaN results. With {@code a} the float32 bits of |f|:
 * <ol>
 *   <li>NaN input, or {@code a ≥ 0x43F0_0000} (480.0, the first magnitude past the format) →
 *       {@code 0x7F}. Infinities are included: the format cannot hold them.
 *   <li>{@code a < 2^-6} (below the smallest normal): {@code s = float(a) + 2^14} in float32 (one
 *       IEEE round-to-nearest-even addition; 2^14's ulp is 2^-9, the subnormal step), result
 *       {@code bits(s) − bits(2^14)}, which is 0..8 (8 being the smallest normal, 2^-6).
 *   <li>otherwise round the mantissa at bit 20 to nearest-even on the bits:
 *       {@code a + ((7 − 127) << 23) + 0x7FFFF + ((a >>> 20) & 1)}, result {@code >>> 20}.
 *       Magnitudes in (464, 480) round up to the pattern {@code 0x7F}, i.e. NaN; 464 itself ties
 *       to the even 448.
 *   <li>the sign bit of f is OR-ed in, except that every NaN result is the canonical {@code 0x7F}.
 * </ol>
 * So finite values beyond what rounds to 448 (|f| &gt; 464) become NaN, as in PyTorch; where PyTorch
 * gives {@code 0xFF} for a negative such value (or −NaN, −inf) we give {@code 0x7F}: the same value,
 * in the one canonical NaN of numerics §1.
 */
public final class F8E4M3 {
    /** The canonical NaN (PyTorch's positive NaN) every NaN and every overflow narrows to. */
    public static final byte CANONICAL_NAN = 0x7F;
    /** The largest finite value, pattern {@code 0x7E}. */
    public static final float MAX = 448.0f;

    private static final int FIRST_UNREPRESENTABLE = 0x43F0_0000; // 480.0f
    private static final int SMALLEST_NORMAL = 121 << 23; // 2^-6
    private static final int DENORM_MAGIC = 141 << 23; // 2^14
    private static final float[] WIDE = new float[256];

    static {
        for (int b = 0; b < 256; b++) {
            WIDE[b] = decode(b);
        }
    }

    private F8E4M3() {}

    /** The exact float32 value of the e4m3fn bit pattern {@code b}. */
    public static float toFloat(byte b) {
        return WIDE[b & 0xFF];
    }

    /** {@code f} rounded to nearest-even e4m3fn; NaN and overflow give {@link #CANONICAL_NAN}. */
    public static byte fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        int a = bits & 0x7FFF_FFFF;
        if (a >= FIRST_UNREPRESENTABLE) { // also every NaN and infinity
            return CANONICAL_NAN;
        }
        int r;
        if (a < SMALLEST_NORMAL) {
            float sum = Float.intBitsToFloat(a) + Float.intBitsToFloat(DENORM_MAGIC);
            r = Float.floatToRawIntBits(sum) - DENORM_MAGIC;
        } else {
            r = (a + ((7 - 127) << 23) + 0x7FFFF + ((a >>> 20) & 1)) >>> 20;
        }
        if (r == 0x7F) {
            return CANONICAL_NAN;
        }
        return (byte) (r | ((bits >>> 24) & 0x80));
    }

    private static float decode(int b) {
        int sign = (b & 0x80) << 24;
        int e = (b >>> 3) & 0xF;
        int m = b & 7;
        if (e == 0xF && m == 7) {
            return Float.intBitsToFloat(sign | 0x7FC0_0000);
        }
        if (e == 0) {
            // m · 2^-9 is exact in float32; the sign is applied after so that 0x80 gives -0.0.
            float v = m * 0x1p-9f;
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((e + 127 - 7) << 23) | (m << 20));
    }
}
