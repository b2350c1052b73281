package org.exmerge.numeric;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class Bf16Test {
    private static final SmallFloatOracle.Format BF16 = new SmallFloatOracle.Format(
            "bf16", 16, 8, 7, true, 0x7FC0, p -> Bf16.toFloat((short) p), x -> Bf16.fromFloat(x) & 0xFFFF);

    @Test
    void widensEveryPatternExactly() {
        SmallFloatOracle.checkWidenExhaustive(BF16);
    }

    @Test
    void roundTripsEveryPattern() {
        SmallFloatOracle.checkRoundTripExhaustive(BF16);
    }

    @Test
    void roundsToNearestEvenAtEveryHalfway() {
        SmallFloatOracle.checkHalfwayExhaustive(BF16);
    }

    @Test
    void matchesTableRoundingOnRandomFloats() {
        SmallFloatOracle.checkRandomAgainstTable(BF16, 0xB16L, 2_000_000);
    }

    @Test
    void canonicalisesEveryNaN() {
        SmallFloatOracle.checkNaNPayloads(BF16, 0xB17L);
    }

    @Test
    void handlesSignedZerosInfinitiesAndOverflow() {
        assertThat(Bf16.fromFloat(0f)).isEqualTo((short) 0x0000);
        assertThat(Bf16.fromFloat(-0f)).isEqualTo((short) 0x8000);
        assertThat(Bf16.fromFloat(Float.POSITIVE_INFINITY)).isEqualTo((short) 0x7F80);
        assertThat(Bf16.fromFloat(Float.NEGATIVE_INFINITY)).isEqualTo((short) 0xFF80);
        assertThat(Bf16.fromFloat(Float.MAX_VALUE)).isEqualTo((short) 0x7F80);
        assertThat(Bf16.fromFloat(-Float.MAX_VALUE)).isEqualTo((short) 0xFF80);
        // 0x7F7F8000 is the midpoint between the largest bf16 and 2^128: ties to the even infinity.
        assertThat(Bf16.fromFloat(Float.intBitsToFloat(0x7F7F_7FFF))).isEqualTo((short) 0x7F7F);
        assertThat(Bf16.fromFloat(Float.intBitsToFloat(0x7F7F_8000))).isEqualTo((short) 0x7F80);
        assertThat(Bf16.fromFloat(Float.MIN_VALUE)).isEqualTo((short) 0x0000);
        assertThat(Bf16.fromFloat(Float.intBitsToFloat(0x0000_8001))).isEqualTo((short) 0x0001);
        assertThat(Bf16.toFloat((short) 0x3F80)).isEqualTo(1.0f);
        assertThat(Bf16.fromFloat(1.00390625f)).isEqualTo((short) 0x3F80); // 1 + 2^-8 ties down to even
        assertThat(Bf16.fromFloat(1.01171875f)).isEqualTo((short) 0x3F82); // 1 + 3·2^-8 ties up to even
    }
}
