package org.exmerge.numeric;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class F16Test {
    private static final SmallFloatOracle.Format F16F = new SmallFloatOracle.Format(
            "f16", 16, 5, 10, true, 0x7E00, p -> F16.toFloat((short) p), x -> F16.fromFloat(x) & 0xFFFF);

    @Test
    void widensEveryPatternExactly() {
        SmallFloatOracle.checkWidenExhaustive(F16F);
    }

    @Test
    void roundTripsEveryPattern() {
        SmallFloatOracle.checkRoundTripExhaustive(F16F);
    }

    @Test
    void roundsToNearestEvenAtEveryHalfway() {
        SmallFloatOracle.checkHalfwayExhaustive(F16F);
    }

    @Test
    void matchesTableRoundingOnRandomFloats() {
        SmallFloatOracle.checkRandomAgainstTable(F16F, 0xF16L, 2_000_000);
    }

    @Test
    void canonicalisesEveryNaN() {
        SmallFloatOracle.checkNaNPayloads(F16F, 0xF17L);
    }

    @Test
    void handlesSignedZerosSubnormalsInfinitiesAndOverflow() {
        assertThat(F16.fromFloat(0f)).isEqualTo((short) 0x0000);
        assertThat(F16.fromFloat(-0f)).isEqualTo((short) 0x8000);
        assertThat(F16.fromFloat(Float.POSITIVE_INFINITY)).isEqualTo((short) 0x7C00);
        assertThat(F16.fromFloat(Float.NEGATIVE_INFINITY)).isEqualTo((short) 0xFC00);
        assertThat(F16.fromFloat(65504f)).isEqualTo((short) 0x7BFF);
        assertThat(F16.fromFloat(Math.nextDown(65520f))).isEqualTo((short) 0x7BFF);
        assertThat(F16.fromFloat(65520f)).isEqualTo((short) 0x7C00);
        assertThat(F16.fromFloat(-65520f)).isEqualTo((short) 0xFC00);
        assertThat(F16.fromFloat(0x1p-24f)).isEqualTo((short) 0x0001);
        assertThat(F16.fromFloat(0x1p-25f)).isEqualTo((short) 0x0000); // tie to even zero
        assertThat(F16.fromFloat(Math.nextUp(0x1p-25f))).isEqualTo((short) 0x0001);
        assertThat(F16.fromFloat(0x3p-25f)).isEqualTo((short) 0x0002); // 1.5 steps ties up to even 2
        assertThat(F16.toFloat((short) 0x0001)).isEqualTo(0x1p-24f);
        assertThat(F16.toFloat((short) 0x03FF)).isEqualTo(0x3FFp-24f);
    }
}
