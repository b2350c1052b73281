package org.exmerge.numeric;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Philox4x32Test {
    // Random123 tests/kat_vectors, philox4x32 lines: rounds, counter[4], key[2], expected output[4].
    private static final long[][] KAT = {
        {10, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000,
            0x6627e8d5L, 0xe169c58dL, 0xbc57ac4cL, 0x9b00dbd8L},
        {10, 0xffffffffL, 0xffffffffL, 0xffffffffL, 0xffffffffL, 0xffffffffL, 0xffffffffL,
            0x408f276dL, 0x41c83b0eL, 0xa20bc7c6L, 0x6d5451fdL},
        {10, 0x243f6a88L, 0x85a308d3L, 0x13198a2eL, 0x03707344L, 0xa4093822L, 0x299f31d0L,
            0xd16cfe09L, 0x94fdccebL, 0x5001e420L, 0x24126ea1L},
        {7, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000,
            0x5f6fb709L, 0x0d893f64L, 0x4f121f81L, 0x4f730a48L},
        {7, 0xffffffffL, 0xffffffffL, 0xffffffffL, 0xffffffffL, 0xffffffffL, 0xffffffffL,
            0x5207ddc2L, 0x45165e59L, 0x4d8ee751L, 0x8c52f662L},
        {7, 0x243f6a88L, 0x85a308d3L, 0x13198a2eL, 0x03707344L, 0xa4093822L, 0x299f31d0L,
            0x4dfccabaL, 0x190a87f0L, 0xc47362baL, 0xb6b5242aL},
    };

    @Test
    void matchesRandom123KnownAnswers() {
        for (long[] v : KAT) {
            int[] out = new int[4];
            Philox4x32.blockRounds((int) v[0], (int) v[5], (int) v[6],
                    (int) v[1], (int) v[2], (int) v[3], (int) v[4], out);
            assertThat(out).as("philox4x32-%d counter %x", v[0], v[1])
                    .containsExactly((int) v[7], (int) v[8], (int) v[9], (int) v[10]);
            if (v[0] == 10) {
                int[] ten = new int[4];
                Philox4x32.block((int) v[5], (int) v[6], (int) v[1], (int) v[2], (int) v[3], (int) v[4], ten);
                assertThat(ten).containsExactly(out);
            }
        }
    }

    @Test
    void specDrawPlacesSeedIndexTensorAndModelAsDocumented() {
        // The KAT inputs expressed through numerics §5's mapping: key = (seed lo, seed hi), counter =
        // (index lo, index hi, tensor id, model index).
        assertThat(Philox4x32.firstWord(0L, 0L, 0, 0)).isEqualTo(0x6627e8d5);
        assertThat(Philox4x32.firstWord(-1L, -1L, -1, -1)).isEqualTo(0x408f276d);
        assertThat(Philox4x32.firstWord(0x299f31d0_a4093822L, 0x85a308d3_243f6a88L, 0x13198a2e, 0x03707344))
                .isEqualTo(0xd16cfe09);
        assertThat(Philox4x32.uniform(0L, 0L, 0, 0)).isEqualTo(0x6627e8 * 0x1p-24f);
    }

    @Test
    void firstWordEqualsBlockWordZeroOnRandomInputs() {
        long seed = 0x5EED_0001L;
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] out = new int[4];
        for (int i = 0; i < 10_000; i++) {
            long s = rnd.nextLong();
            long j = rnd.nextLong();
            int tensor = rnd.nextInt();
            int model = rnd.nextInt();
            Philox4x32.block((int) s, (int) (s >>> 32), (int) j, (int) (j >>> 32), tensor, model, out);
            assertThat(Philox4x32.firstWord(s, j, tensor, model)).as("seed %d, draw %d", seed, i).isEqualTo(out[0]);
            assertThat(Philox4x32.uniform(s, j, tensor, model)).isEqualTo((out[0] >>> 8) / 16777216.0f);
        }
    }

    @Test
    void uniformCoversTheHalfOpenUnitInterval() {
        assertThat(Philox4x32.toUniform(0)).isEqualTo(0f);
        assertThat(Philox4x32.toUniform(0xFF)).isEqualTo(0f);
        assertThat(Philox4x32.toUniform(0x100)).isEqualTo(0x1p-24f);
        assertThat(Philox4x32.toUniform(0xFFFF_FFFF)).isEqualTo(1f - 0x1p-24f).isLessThan(1f);
        assertThat(Philox4x32.toUniform(0x8000_0000)).isEqualTo(0.5f);
    }

    @Test
    void uniformIsStatisticallyUniform() {
        long seed = 42;
        int tensor = Fnv1a.hash32("model.layers.0.mlp.down_proj.weight");
        int n = 1_000_000;
        double sum = 0;
        long below = 0;
        for (long j = 0; j < n; j++) {
            float u = Philox4x32.uniform(seed, j, tensor, 1);
            assertThat(u).isGreaterThanOrEqualTo(0f).isLessThan(1f);
            sum += u;
            if (u < 0.3f) {
                below++;
            }
        }
        double meanSigma = Math.sqrt(1.0 / 12 / n);
        assertThat(Math.abs(sum / n - 0.5)).as("mean, seed %d", seed).isLessThan(5 * meanSigma);
        double fracSigma = Math.sqrt(0.3 * 0.7 / n);
        assertThat(Math.abs((double) below / n - 0.3)).as("P(u < 0.3), seed %d", seed).isLessThan(5 * fracSigma);
    }

    @Test
    void streamsForDifferentModelsAndTensorsDiffer() {
        long seed = 7;
        int same = 0;
        for (long j = 0; j < 1000; j++) {
            int a = Philox4x32.firstWord(seed, j, 1, 0);
            if (a == Philox4x32.firstWord(seed, j, 1, 1) || a == Philox4x32.firstWord(seed, j, 2, 0)
                    || a == Philox4x32.firstWord(seed + 1, j, 1, 0)) {
                same++;
            }
        }
        assertThat(same).as("seed %d", seed).isZero();
    }
}
