package org.exmerge.numeric;

/**
 * IEEE 754 binary16 (1 sign, 5 exponent bits with bias 15, 10 mantissa bits; max finite 65504,
 * smallest subnormal 2^-24).
 *
 * <p>Widening is exact (NaN sign and payload are kept). Narrowing is IEEE round to nearest, ties to
 * even, including into the subnormal range (no flush to zero); magnitudes at or above 65520 (the
 * midpoint between 65504 and 2^16, which ties to the even 2^16) become ±infinity. Every NaN becomes
 * the canonical {@code 0x7E00} (numerics §1). The JDK's conversions implement exactly this rounding (and
 * are hardware-accelerated where F16C exists); only the NaN canonicalisation is added here.
 */
public final class F16 {
    /** The canonical quiet NaN every NaN narrows to. */
    public static final short CANONICAL_NAN = 0x7E00;

    private F16() {}

    /** The exact float32 value of the binary16 bit pattern {@code bits}. */
    public static float toFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    /** {@code f} rounded to nearest-even binary16; any NaN gives {@link #CANONICAL_NAN}. */
    public static short fromFloat(float f) {
        if (f != f) {
            return CANONICAL_NAN;
        }
        return Float.floatToFloat16(f);
    }
}
