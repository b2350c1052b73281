package org.exmerge.numeric;

/**
 * float8 e5m2, as torch {@code float8_e5m2} (1 sign, 5 exponent bits with bias 15, 2 mantissa
 * bits): IEEE-like, the upper byte of a binary16. {@code 0x7C}/{@code 0xFC} are ±infinity,
 * {@code 0x7D..0x7F} and {@code 0xFD..0xFF} NaN, max finite {@code 0x7B} = 57344, subnormals
 * {@code m · 2^-16}.
 *
 * <p>Widening is exact (the byte is the upper half of a binary16; NaN sign and payload kept).
 *
 * <p>Narrowing follows PyTorch's {@code c10::detail::fp8e5m2_from_fp32_value} bit for bit except
 * for NaN. With {@code a} the float32 bits of |f|:
 * <ol>
 *   <li>NaN input → {@code 0x7F} (canonical, whatever the sign; PyTorch keeps the sign).
 *   <li>{@code a ≥ 0x4780_0000} (2^16, infinities included) → infinity {@code 0x7C}.
 *   <li>{@code a < 2^-14} (below the smallest normal): {@code s = float(a) + 2^7} in float32 (one
 *       IEEE round-to-nearest-even addition; 2^7's ulp is 2^-16, the subnormal step), result
 *       {@code bits(s) − bits(2^7)}, which is 0..4 (4 being the smallest normal, 2^-14).
 *   <li>otherwise round the mantissa at bit 21 to nearest-even on the bits:
 *       {@code a + ((15 − 127) << 23) + 0xFFFFF + ((a >>> 21) & 1)}, result {@code >>> 21}.
 *       Magnitudes from 61440 (the midpoint between 57344 and 2^16, tying to the even 2^16) round
 *       to infinity, as IEEE overflow does.
 *   <li>the sign bit of f is OR-ed in (so overflow gives ±infinity).
 * </ol>
 */
public final class F8E5M2 {
    /** The canonical NaN every NaN narrows to. */
    public static final byte CANONICAL_NAN = 0x7F;
    /** The largest finite value, pattern {@code 0x7B}. */
    public static final float MAX = 57344.0f;

    private static final int INF_FROM = 0x4780_0000; // 2^16
    private static final int SMALLEST_NORMAL = 113 << 23; // 2^-14
    private static final int DENORM_MAGIC = 134 << 23; // 2^7

    private F8E5M2() {}

    /** The exact float32 value of the e5m2 bit pattern {@code b}. */
    public static float toFloat(byte b) {
        return Float.float16ToFloat((short) ((b & 0xFF) << 8));
    }

    /** {@code f} rounded to nearest-even e5m2; overflow gives ±infinity, NaN {@link #CANONICAL_NAN}. */
    public static byte fromFloat(float f) {
        if (f != f) {
            return CANONICAL_NAN;
        }
        int bits = Float.floatToRawIntBits(f);
        int a = bits & 0x7FFF_FFFF;
        int r;
        if (a >= INF_FROM) {
            r = 0x7C;
        } else if (a < SMALLEST_NORMAL) {
            float sum = Float.intBitsToFloat(a) + Float.intBitsToFloat(DENORM_MAGIC);
            r = Float.floatToRawIntBits(sum) - DENORM_MAGIC;
        } else {
            r = (a + ((15 - 127) << 23) + 0xFFFFF + ((a >>> 21) & 1)) >>> 21;
        }
        return (byte) (r | ((bits >>> 24) & 0x80));
    }
}
