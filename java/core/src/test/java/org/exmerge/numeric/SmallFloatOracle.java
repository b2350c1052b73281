package org.exmerge.numeric;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * An independent model of a small binary float format (decoding by double arithmetic from the
 * bit fields, rounding by searching the sorted table of values), and the exhaustive checks every
 * narrow-format class must pass against it. Nothing here calls the code under test except through
 * the two conversion functions handed in.
 */
final class SmallFloatOracle {
    interface Widen {
        float apply(int pattern);
    }

    interface Narrow {
        int apply(float f); // the pattern, as an unsigned int
    }

    /**
     * @param ieeeTop whether the all-ones exponent holds inf/NaN (IEEE); false for e4m3fn, whose only
     *     NaN is the all-ones pattern
     */
    record Format(String name, int bits, int expBits, int mantBits, boolean ieeeTop, int canonicalNan,
            Widen widen, Narrow narrow) {
        int signBit() {
            return 1 << (bits - 1);
        }

        int bias() {
            return (1 << (expBits - 1)) - 1;
        }

        int expField(int p) {
            return (p >>> mantBits) & ((1 << expBits) - 1);
        }

        int mantField(int p) {
            return p & ((1 << mantBits) - 1);
        }

        boolean isNaN(int p) {
            int mag = p & (signBit() - 1);
            if (ieeeTop) {
                return expField(p) == (1 << expBits) - 1 && mantField(p) != 0;
            }
            return mag == signBit() - 1;
        }

        boolean isInf(int p) {
            return ieeeTop && expField(p) == (1 << expBits) - 1 && mantField(p) == 0;
        }

        /** The largest finite positive pattern. */
        int maxFinite() {
            return ieeeTop ? (((1 << expBits) - 1) << mantBits) - 1 : signBit() - 2;
        }

        /** The value of p's fields read as if the format had no specials. */
        double decodeAsIfFinite(int p) {
            int e = expField(p);
            int m = mantField(p);
            double mag = e == 0
                    ? Math.scalb((double) m, 1 - bias() - mantBits)
                    : Math.scalb((double) ((1 << mantBits) + m), e - bias() - mantBits);
            return (p & signBit()) != 0 ? -mag : mag;
        }

        int canonical(int p) {
            return isNaN(p) ? canonicalNan : p;
        }
    }

    private SmallFloatOracle() {}

    /** Widening of every pattern equals the field decode, bit for bit (NaN: any NaN, same sign). */
    static void checkWidenExhaustive(Format f) {
        for (int i = 0; i < 1 << f.bits(); i++) {
            int p = i;
            float w = f.widen().apply(p);
            boolean negative = (p & f.signBit()) != 0;
            if (f.isNaN(p)) {
                assertTrue(Float.isNaN(w), () -> f.name() + " pattern " + hex(p) + " must widen to NaN");
                assertEquals(negative, Float.floatToRawIntBits(w) < 0, () -> f.name() + " NaN sign " + hex(p));
            } else if (f.isInf(p)) {
                assertEquals(negative ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY, w,
                        () -> f.name() + " pattern " + hex(p));
            } else {
                float expected = (float) f.decodeAsIfFinite(p);
                assertEquals((double) expected, f.decodeAsIfFinite(p), "decode must be exact in float32");
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(w),
                        () -> f.name() + " pattern " + hex(p) + " widened to " + w + ", expected " + expected);
            }
        }
    }

    /** Narrowing a widened pattern gives the pattern back; NaN patterns give the canonical NaN. */
    static void checkRoundTripExhaustive(Format f) {
        for (int i = 0; i < 1 << f.bits(); i++) {
            int p = i;
            int back = f.narrow().apply(f.widen().apply(p));
            assertBits(f, f.canonical(p), back, "round trip of " + hex(p));
        }
    }

    /**
     * For every finite pattern p ≥ 0 and its successor q = p+1 (read as if finite, so past the
     * largest finite value q is the first overflow value): the exact midpoint rounds to whichever of
     * p, q has an even pattern, the float just below it to p and the float just above it to q; the
     * same mirrored for negative values. The midpoint is formed in double, where it is exact.
     */
    static void checkHalfwayExhaustive(Format f) {
        for (int i = 0; i <= f.maxFinite(); i++) {
            int p = i;
            int q = p + 1;
            double lo = f.decodeAsIfFinite(p);
            double hi = f.decodeAsIfFinite(q);
            double mid = (lo + hi) / 2;
            float m = (float) mid;
            assertEquals(mid, (double) m, () -> f.name() + " midpoint after " + hex(p) + " not a float");
            int even = (p & 1) == 0 ? p : q;
            for (int sign : new int[] {0, f.signBit()}) {
                float s = sign == 0 ? 1f : -1f;
                String at = " near " + hex(p | sign) + " (midpoint " + s * m + ")";
                assertBits(f, f.canonical(even | sign), f.narrow().apply(s * m), "midpoint" + at);
                assertBits(f, f.canonical(p | sign), f.narrow().apply(s * Math.nextDown(m)), "below" + at);
                assertBits(f, f.canonical(q | sign), f.narrow().apply(s * Math.nextUp(m)), "above" + at);
                assertBits(f, f.canonical(p | sign), f.narrow().apply(s * (float) lo), "exact" + at);
            }
        }
    }

    /**
     * Seeded random float32 inputs of every magnitude against rounding by table search: the nearest
     * of the finite values and the first overflow value, ties to the even pattern, anything past the
     * overflow value rounding to it too (infinity, or e4m3fn's NaN).
     */
    static void checkRandomAgainstTable(Format f, long seed, int count) {
        int top = f.maxFinite() + 1;
        double[] table = new double[top + 1];
        for (int p = 0; p <= top; p++) {
            table[p] = f.decodeAsIfFinite(p);
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < count; i++) {
            int bits = rnd.nextInt();
            float x = Float.intBitsToFloat(bits);
            if (Float.isNaN(x)) {
                assertBits(f, f.canonicalNan(), f.narrow().apply(x), "NaN " + hex(bits) + " seed " + seed);
                continue;
            }
            double a = Math.abs((double) x);
            int pos = Arrays.binarySearch(table, a);
            int expected;
            if (pos >= 0) {
                expected = pos;
            } else if (-pos - 1 > top) {
                expected = top;
            } else {
                int hiIdx = -pos - 1;
                int loIdx = hiIdx - 1;
                double dLo = a - table[loIdx];
                double dHi = table[hiIdx] - a;
                expected = dLo < dHi ? loIdx : dHi < dLo ? hiIdx : ((loIdx & 1) == 0 ? loIdx : hiIdx);
            }
            int sign = bits < 0 ? f.signBit() : 0;
            assertBits(f, f.canonical(expected | sign), f.narrow().apply(x),
                    "input " + x + " (" + hex(bits) + "), seed " + seed);
        }
    }

    /** Every NaN float, whatever its sign and payload, narrows to the canonical NaN. */
    static void checkNaNPayloads(Format f, long seed) {
        int[] fixed = {0x7F80_0001, 0x7FC0_0000, 0x7FFF_FFFF, 0xFF80_0001, 0xFFC0_0000, 0xFFFF_FFFF, 0x7FA0_0000};
        for (int b : fixed) {
            assertBits(f, f.canonicalNan(), f.narrow().apply(Float.intBitsToFloat(b)), "NaN " + hex(b));
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < 10_000; i++) {
            int payload = 1 + rnd.nextInt(0x007F_FFFF);
            int b = (rnd.nextBoolean() ? 0xFF80_0000 : 0x7F80_0000) | payload;
            assertBits(f, f.canonicalNan(), f.narrow().apply(Float.intBitsToFloat(b)),
                    "NaN " + hex(b) + " seed " + seed);
        }
    }

    static void assertBits(Format f, int expected, int actual, String context) {
        if (expected != actual) {
            fail(f.name() + " " + context + ": expected " + hex(expected) + " but got " + hex(actual));
        }
    }

    static String hex(int v) {
        return "0x" + Integer.toHexString(v);
    }
}
