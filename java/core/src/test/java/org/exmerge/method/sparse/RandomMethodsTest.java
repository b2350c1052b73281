package org.exmerge.method.sparse;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.exmerge.format.DType;
import org.exmerge.method.PlanRunner;
import org.exmerge.method.TestParams;
import org.junit.jupiter.api.Test;

/** DARE and DELLA: the drop statistics are right, and the draws are a pure function of (seed, tensor, model, element). */
class RandomMethodsTest {
    static final int N = 200_000;

    static float[] constant(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }

    static float[] dare(TestParams p, long seed, float[]... x) {
        return PlanRunner.run(SparseFamily.DARE_LINEAR, p, new float[x[0].length], x, seed);
    }

    @Test
    void dareKeepsTheDensityAndRescalingKeepsTheMean() {
        double density = 0.3;
        float[] out = dare(new TestParams(1).set("density", density), 1, constant(N, 1f));
        long kept = 0;
        double sum = 0;
        for (float v : out) {
            assertThat(v).isIn(0f, 1f / (float) density);
            kept += v != 0 ? 1 : 0;
            sum += v;
        }
        // Five standard deviations of a binomial proportion and of the mean of the rescaled values.
        double sdFraction = Math.sqrt(density * (1 - density) / N);
        assertThat((double) kept / N).isCloseTo(density, org.assertj.core.data.Offset.offset(5 * sdFraction));
        assertThat(sum / N).isCloseTo(1.0, org.assertj.core.data.Offset.offset(5 * sdFraction / density));

        float[] plain = dare(new TestParams(1).set("density", density).set("rescale", false), 1, constant(N, 1f));
        double plainSum = 0;
        for (int j = 0; j < N; j++) {
            assertThat(plain[j] != 0).as("rescale changes values, not the mask").isEqualTo(out[j] != 0);
            plainSum += plain[j];
        }
        assertThat(plainSum / N).isCloseTo(density, org.assertj.core.data.Offset.offset(5 * sdFraction));
    }

    @Test
    void eachModelAndSeedDrawsItsOwnMask() {
        float[] ones = constant(N, 1f);
        float[] twos = constant(N, 2f);
        TestParams p = new TestParams(2).set("density", 0.5).set("rescale", false);
        float[] out = dare(p, 7, ones, twos);
        long[] count = new long[4]; // 0, 1, 2, 3: which models kept the element
        for (float v : out) {
            count[(int) v]++;
        }
        for (long c : count) {
            assertThat((double) c / N).as("independent masks: each pattern a quarter").isCloseTo(0.25, org.assertj.core.data.Offset.offset(0.006));
        }
        assertThat(dare(p, 7, ones, twos)).as("same seed, same bytes").containsExactly(out);
        assertThat(dare(p, 8, ones, twos)).as("another seed, another mask").isNotEqualTo(out);
    }

    @Test
    void dareDensityOneKeepsAllAndDensityZeroKeepsNone() {
        float[] x = {1, -2, 3};
        assertThat(dare(new TestParams(1).set("density", 1.0), 3, x)).containsExactly(x);
        assertThat(dare(new TestParams(1).set("density", 0.0), 3, x)).containsExactly(0f, 0f, 0f);
    }

    @Test
    void dareTiesElectsAfterDropping() {
        // density 1: nothing dropped, so dare_ties is the sign election over weighted τ (no normalize).
        float[][] x = {{3, 1}, {-2, 1}};
        float[] out = PlanRunner.run(SparseFamily.DARE_TIES, new TestParams(2).set("density", 1.0), new float[2], x, 0);
        assertThat(out).containsExactly(3f, 2f);
    }

    @Test
    void dellaKeepsLargeMagnitudesMoreOftenAndDividesByTheirProbability() {
        int rows = 200;
        int cols = 1000;
        float[] x = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                x[r * cols + c] = (c + 1) * (c % 2 == 0 ? 1f : -1f) / 1024f; // |τ| rank = c + 1
            }
        }
        TestParams p = new TestParams(1).set("density", 0.5).set("epsilon", 0.2);
        float[] out = PlanRunner.run(SparseFamily.DELLA_LINEAR.plan(p, 1), new float[x.length], new float[][] {x},
                new long[] {rows, cols}, DType.F32, DType.F32, 3, 4096);
        long low = 0;
        long high = 0;
        long all = 0;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                float v = out[r * cols + c];
                if (v == 0) {
                    continue;
                }
                float prob = (float) ((0.5 - 0.2) + 2 * 0.2 * c / (cols - 1.0));
                assertThat(v).as("kept values are divided by their own p").isEqualTo(x[r * cols + c] / prob);
                all++;
                low += c < 100 ? 1 : 0;
                high += c >= cols - 100 ? 1 : 0;
            }
        }
        // p runs from 0.3 (smallest) to 0.7 (largest): the deciles keep about 0.32 and 0.68, the whole about 0.5.
        assertThat((double) all / x.length).isCloseTo(0.5, org.assertj.core.data.Offset.offset(0.01));
        assertThat((double) low / (rows * 100)).isCloseTo(0.32, org.assertj.core.data.Offset.offset(0.02));
        assertThat((double) high / (rows * 100)).isCloseTo(0.68, org.assertj.core.data.Offset.offset(0.02));
    }
}
