package org.exmerge.numeric;

/**
 * bfloat16 (1 sign, 8 exponent, 7 mantissa bits: the upper half of a float32).
 *
 * <p>Widening is exact: the 16 bits become the upper 16 bits of a float32, lower 16 bits zero (NaN
 * payloads and signs survive, so widening never canonicalises).
 *
 * <p>Narrowing rounds to nearest, ties to even, on the float32 bit pattern {@code b}:
 * {@code (b + 0x7FFF + ((b >>> 16) & 1)) >>> 16}. A carry out of the mantissa correctly bumps the
 * exponent, so finite values at or above {@code 0x7F7F_8000} in magnitude become ±infinity and
 * float32 subnormals round like any other value (no flush to zero). Every NaN, whatever its sign or
 * payload, becomes the canonical {@code 0x7FC0} (numerics §1).
 */
public final class Bf16 {
    /** The canonical quiet NaN every NaN narrows to. */
    public static final short CANONICAL_NAN = 0x7FC0;

    private Bf16() {}

    /** The exact float32 value of the bfloat16 bit pattern {@code bits}. */
    public static float toFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** {@code f} rounded to nearest-even bfloat16; any NaN gives {@link #CANONICAL_NAN}. */
    public static short fromFloat(float f) {
        if (f != f) {
            return CANONICAL_NAN;
        }
        int b = Float.floatToRawIntBits(f);
        return (short) ((b + 0x7FFF + ((b >>> 16) & 1)) >>> 16);
    }
}
