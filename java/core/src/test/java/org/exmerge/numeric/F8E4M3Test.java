package org.exmerge.numeric;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class F8E4M3Test {
    private static final SmallFloatOracle.Format E4M3 = new SmallFloatOracle.Format(
            "e4m3fn", 8, 4, 3, false, 0x7F, p -> F8E4M3.toFloat((byte) p), x -> F8E4M3.fromFloat(x) & 0xFF);

    @Test
    void widensEveryPatternExactly() {
        SmallFloatOracle.checkWidenExhaustive(E4M3);
    }

    @Test
    void roundTripsEveryPattern() {
        SmallFloatOracle.checkRoundTripExhaustive(E4M3);
    }

    @Test
    void roundsToNearestEvenAtEveryHalfway() {
        SmallFloatOracle.checkHalfwayExhaustive(E4M3);
    }

    @Test
    void matchesTableRoundingOnRandomFloats() {
        SmallFloatOracle.checkRandomAgainstTable(E4M3, 0xE4L, 2_000_000);
    }

    @Test
    void canonicalisesEveryNaN() {
        SmallFloatOracle.checkNaNPayloads(E4M3, 0xE5L);
    }

    @Test
    void overflowsToNaNPastWhatRoundsTo448() {
        assertThat(F8E4M3.fromFloat(448f)).isEqualTo((byte) 0x7E);
        assertThat(F8E4M3.fromFloat(-448f)).isEqualTo((byte) 0xFE);
        assertThat(F8E4M3.fromFloat(464f)).isEqualTo((byte) 0x7E); // tie between 448 and 480: even
        assertThat(F8E4M3.fromFloat(-464f)).isEqualTo((byte) 0xFE);
        assertThat(F8E4M3.fromFloat(Math.nextUp(464f))).isEqualTo((byte) 0x7F);
        assertThat(F8E4M3.fromFloat(-Math.nextUp(464f))).isEqualTo((byte) 0x7F);
        assertThat(F8E4M3.fromFloat(Math.nextDown(480f))).isEqualTo((byte) 0x7F);
        assertThat(F8E4M3.fromFloat(480f)).isEqualTo((byte) 0x7F);
        assertThat(F8E4M3.fromFloat(1e30f)).isEqualTo((byte) 0x7F);
        assertThat(F8E4M3.fromFloat(Float.POSITIVE_INFINITY)).isEqualTo((byte) 0x7F);
        assertThat(F8E4M3.fromFloat(Float.NEGATIVE_INFINITY)).isEqualTo((byte) 0x7F);
        assertThat(F8E4M3.toFloat((byte) 0x7E)).isEqualTo(F8E4M3.MAX);
        assertThat(F8E4M3.toFloat((byte) 0x7F)).isNaN();
        assertThat(F8E4M3.toFloat((byte) 0xFF)).isNaN();
        assertThat(F8E4M3.toFloat((byte) 0x78)).isEqualTo(256f); // exponent 15 still holds finite values
    }

    @Test
    void handlesZerosAndSubnormals() {
        assertThat(F8E4M3.fromFloat(0f)).isEqualTo((byte) 0x00);
        assertThat(F8E4M3.fromFloat(-0f)).isEqualTo((byte) 0x80);
        assertThat(F8E4M3.toFloat((byte) 0x80)).isEqualTo(-0f);
        assertThat(Float.floatToRawIntBits(F8E4M3.toFloat((byte) 0x80))).isEqualTo(0x8000_0000);
        assertThat(F8E4M3.toFloat((byte) 0x01)).isEqualTo(0x1p-9f);
        assertThat(F8E4M3.toFloat((byte) 0x07)).isEqualTo(0x7p-9f);
        assertThat(F8E4M3.toFloat((byte) 0x08)).isEqualTo(0x1p-6f);
        assertThat(F8E4M3.fromFloat(0x1p-10f)).isEqualTo((byte) 0x00); // half the step: tie to zero
        assertThat(F8E4M3.fromFloat(-0x1p-10f)).isEqualTo((byte) 0x80);
        assertThat(F8E4M3.fromFloat(0x3p-10f)).isEqualTo((byte) 0x02);
        assertThat(F8E4M3.fromFloat(0xFp-10f)).isEqualTo((byte) 0x08); // 7.5 steps: up to the normal 2^-6
        assertThat(F8E4M3.fromFloat(Float.MIN_VALUE)).isEqualTo((byte) 0x00);
        assertThat(F8E4M3.fromFloat(-Float.MIN_VALUE)).isEqualTo((byte) 0x80);
    }
}
