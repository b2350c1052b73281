package org.exmerge.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.exmerge.numeric.MagnitudeSelect;
import org.junit.jupiter.api.Test;

/** The branch-free masks equal the float comparisons they replace, on every special value and random bits. */
class BitMasksTest {
    static int mask(boolean b) {
        return b ? -1 : 0;
    }

    static List<Integer> bitPatterns() {
        List<Integer> bits = new ArrayList<>(List.of(0, 0x8000_0000, 1, 0x8000_0001, 0x007F_FFFF, 0x0080_0000,
                0x3F80_0000, 0xBF80_0000, 0x7F7F_FFFF, 0xFF7F_FFFF, 0x7F80_0000, 0xFF80_0000, 0x7F80_0001,
                0x7FC0_0000, 0xFFC0_0000, 0x7FFF_FFFF, 0xFFFF_FFFF));
        SplittableRandom r = new SplittableRandom(0xB175);
        for (int i = 0; i < 1_000_000; i++) {
            bits.add(r.nextInt());
        }
        return bits;
    }

    @Test
    void signTestsMatchFloatComparisons() {
        for (int bits : bitPatterns()) {
            float x = Float.intBitsToFloat(bits);
            String at = Integer.toHexString(bits);
            assertThat(BitMasks.positive(bits)).as(at).isEqualTo(mask(x > 0));
            assertThat(BitMasks.negative(bits)).as(at).isEqualTo(mask(x < 0));
            assertThat(BitMasks.zero(bits)).as(at).isEqualTo(mask(x == 0));
            assertThat(BitMasks.notNegative(bits)).as(at).isEqualTo(mask(x >= 0));
            assertThat(Float.floatToRawIntBits(BitMasks.select(x, 0))).isZero();
            assertThat(Float.floatToRawIntBits(BitMasks.select(x, -1))).isEqualTo(bits);
        }
    }

    @Test
    void bandAndLessMatchTheirComparisons() {
        SplittableRandom r = new SplittableRandom(7);
        long[] bounds = {0, 1, 0x3F80_0000L, MagnitudeSelect.NAN_KEY, MagnitudeSelect.NAN_KEY + 1L, SparseOp.NO_UPPER};
        for (int i = 0; i < 200_000; i++) {
            int key = i < 10 ? (int) Math.min(bounds[i % bounds.length], MagnitudeSelect.NAN_KEY) : r.nextInt(MagnitudeSelect.NAN_KEY + 1);
            long from = r.nextBoolean() ? bounds[r.nextInt(bounds.length)] : r.nextLong(SparseOp.NO_UPPER + 1);
            long below = r.nextBoolean() ? bounds[r.nextInt(bounds.length)] : r.nextLong(SparseOp.NO_UPPER + 1);
            assertThat(BitMasks.inBand(key, from, below)).isEqualTo(mask(key >= from && key < below));
            float u = (r.nextInt(1 << 24)) * 0x1p-24f;
            float p = i % 3 == 0 ? u : r.nextInt(4) == 0 ? (i % 2 == 0 ? 0f : 1f) : r.nextFloat();
            assertThat(BitMasks.less(u, p)).as("%s < %s", u, p).isEqualTo(mask(u < p));
        }
    }
}
