package org.exmerge.kernel;

/**
 * Branch-free decisions on float bits for the sparse kernels: each returns an int mask, −1 (all
 * ones) for true and 0 for false, so a value is kept or zeroed by {@code bits & mask}. The sparse
 * kernels decide per element whether a value is dropped and whether its sign agrees; those outcomes
 * are close to random, so as branches they mispredict about half the time and dominate the cost.
 * These are exact restatements of the float comparisons named on each method, nothing more.
 */
final class BitMasks {
    private static final int SIGN = 0x8000_0000;
    private static final int ABS = 0x7FFF_FFFF;
    private static final int INF_MINUS_ONE = 0x7F7F_FFFF;

    private BitMasks() {}

    /**
     * {@code x > 0} for the float with these bits (false for ±0 and NaN): the bits of positive
     * non-NaN floats are exactly the ints 1 .. 0x7F800000 (+inf), so {@code t = bits − 1} must lie in
     * [0, 0x7F7FFFFF]; both {@code t} and {@code 0x7F7FFFFF − t} are then non-negative, and at least
     * one is negative otherwise (neither subtraction overflows).
     */
    static int positive(int bits) {
        int t = bits - 1;
        return ~((t | (INF_MINUS_ONE - t)) >> 31);
    }

    /** {@code x < 0} (false for ±0 and NaN): {@link #positive} of the negated value. */
    static int negative(int bits) {
        return positive(bits ^ SIGN);
    }

    /** {@code x == 0} (either zero). */
    static int zero(int bits) {
        return ((bits & ABS) - 1) >> 31;
    }

    /** {@code x ≥ 0} (true for −0, false for NaN). */
    static int notNegative(int bits) {
        return positive(bits) | zero(bits);
    }

    /**
     * {@code key ∈ [from, below)} for a magnitude key ({@code 0 ≤ key ≤ 0x7F800001}) and bounds in
     * [0, 2^31]: both {@code key − from} and {@code below − 1 − key} are non-negative exactly then.
     */
    static int inBand(int key, long from, long below) {
        return (int) ~(((key - from) | (below - 1 - key)) >> 63);
    }

    /**
     * {@code u < p} for floats in [0, 1] (no NaN, no −0): the order of non-negative floats is the
     * order of their bits as ints, and the difference of two such bit patterns cannot overflow.
     */
    static int less(float u, float p) {
        return (Float.floatToRawIntBits(u) - Float.floatToRawIntBits(p)) >> 31;
    }

    /** {@code mask != 0 ? x : +0.0f}. */
    static float select(float x, int mask) {
        return Float.intBitsToFloat(Float.floatToRawIntBits(x) & mask);
    }
}
