package org.exmerge.numeric;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class F8E5M2Test {
    private static final SmallFloatOracle.Format E5M2 = new SmallFloatOracle.Format(
            "e5m2", 8, 5, 2, true, 0x7F, p -> F8E5M2.toFloat((byte) p), x -> F8E5M2.fromFloat(x) & 0xFF);

    @Test
    void widensEveryPatternExactly() {
        SmallFloatOracle.checkWidenExhaustive(E5M2);
    }

    @Test
    void roundTripsEveryPattern() {
        SmallFloatOracle.checkRoundTripExhaustive(E5M2);
    }

    @Test
    void roundsToNearestEvenAtEveryHalfway() {
        SmallFloatOracle.checkHalfwayExhaustive(E5M2);
    }

    @Test
    void matchesTableRoundingOnRandomFloats() {
        SmallFloatOracle.checkRandomAgainstTable(E5M2, 0xE52L, 2_000_000);
    }

    @Test
    void canonicalisesEveryNaN() {
        SmallFloatOracle.checkNaNPayloads(E5M2, 0xE53L);
    }

    @Test
    void overflowsToInfinity() {
        assertThat(F8E5M2.fromFloat(57344f)).isEqualTo((byte) 0x7B);
        assertThat(F8E5M2.fromFloat(Math.nextDown(61440f))).isEqualTo((byte) 0x7B);
        assertThat(F8E5M2.fromFloat(61440f)).isEqualTo((byte) 0x7C); // tie with 2^16: even is infinity
        assertThat(F8E5M2.fromFloat(-61440f)).isEqualTo((byte) 0xFC);
        assertThat(F8E5M2.fromFloat(65536f)).isEqualTo((byte) 0x7C);
        assertThat(F8E5M2.fromFloat(Float.MAX_VALUE)).isEqualTo((byte) 0x7C);
        assertThat(F8E5M2.fromFloat(Float.POSITIVE_INFINITY)).isEqualTo((byte) 0x7C);
        assertThat(F8E5M2.fromFloat(Float.NEGATIVE_INFINITY)).isEqualTo((byte) 0xFC);
        assertThat(F8E5M2.toFloat((byte) 0x7C)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(F8E5M2.toFloat((byte) 0xFC)).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(F8E5M2.toFloat((byte) 0x7B)).isEqualTo(F8E5M2.MAX);
        assertThat(F8E5M2.toFloat((byte) 0x7D)).isNaN();
    }

    @Test
    void handlesZerosAndSubnormals() {
        assertThat(F8E5M2.fromFloat(0f)).isEqualTo((byte) 0x00);
        assertThat(F8E5M2.fromFloat(-0f)).isEqualTo((byte) 0x80);
        assertThat(F8E5M2.toFloat((byte) 0x01)).isEqualTo(0x1p-16f);
        assertThat(F8E5M2.toFloat((byte) 0x04)).isEqualTo(0x1p-14f);
        assertThat(F8E5M2.fromFloat(0x1p-17f)).isEqualTo((byte) 0x00); // tie to even zero
        assertThat(F8E5M2.fromFloat(Math.nextUp(0x1p-17f))).isEqualTo((byte) 0x01);
        assertThat(F8E5M2.fromFloat(-0x3p-17f)).isEqualTo((byte) 0x82);
        assertThat(F8E5M2.fromFloat(0x7p-17f)).isEqualTo((byte) 0x04); // 3.5 steps: up to the normal 2^-14
        assertThat(F8E5M2.fromFloat(Float.MIN_VALUE)).isEqualTo((byte) 0x00);
    }
}
