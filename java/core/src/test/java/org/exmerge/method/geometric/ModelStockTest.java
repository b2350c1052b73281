package org.exmerge.method.geometric;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import org.exmerge.format.DType;
import org.exmerge.kernel.Operand;
import org.exmerge.method.PlanRunner;
import org.exmerge.method.TensorPlan;
import org.exmerge.testing.GeometryOracle;
import org.exmerge.testing.TestModels;
import org.junit.jupiter.api.Test;

class ModelStockTest {
    static final long SEED = 0x570c4L;

    /** Gram sums in PairSums order for task vectors given as rows. */
    static double[] gram(float[]... tau) {
        int m = tau.length;
        double[] g = new double[m * (m + 1) / 2];
        int q = 0;
        for (int i = 0; i < m; i++) {
            for (int j = i; j < m; j++) {
                g[q++] = GeometryOracle.dot(tau[i], tau[j]);
            }
        }
        return g;
    }

    @Test
    void orthogonalTaskVectorsKeepTheBase() {
        assertThat(ModelStock.interpolation(2, gram(new float[] {1, 0}, new float[] {0, 2}))).isEqualTo(0.0);
    }

    @Test
    void identicalTaskVectorsTakeTheirAverage() {
        // cos = 1: t = N / (1 + N − 1) = 1.
        float[] v = {0.5f, -1f, 2f};
        assertThat(ModelStock.interpolation(3, gram(v, v, v))).isEqualTo(1.0);
    }

    @Test
    void sixtyDegreesGivesThePapersRatio() {
        // cos = 0.5, N = 2: t = 2·0.5 / (1 + 0.5) = 2/3.
        float[] a = {1, 0};
        float[] b = {0.5f, (float) Math.sqrt(0.75)};
        double cos = GeometryOracle.dot(a, b) / StrictMath.sqrt(GeometryOracle.dot(b, b));
        assertThat(ModelStock.interpolation(2, gram(a, b))).isEqualTo(2 * cos / (1 + cos));
    }

    @Test
    void oppositeTaskVectorsKeepTheBaseInsteadOfDividingByZero() {
        assertThat(ModelStock.interpolation(2, gram(new float[] {1, -2}, new float[] {-1, 2}))).isEqualTo(0.0);
    }

    @Test
    void zeroTaskVectorsCountAsOrthogonal() {
        // The norm product is clamped to 1e-6, so a zero task vector gives cos = 0.
        assertThat(ModelStock.interpolation(2, gram(new float[] {0, 0}, new float[] {1, 1}))).isEqualTo(0.0);
    }

    @Test
    void randomTensorsMatchAPlainImplementationPerTensorAndPerRow() {
        long[] shape = {9, 70};
        int n = 9 * 70;
        float[] b = PairSumsTest.stored(DType.BF16, TestModels.random(SEED, n, 0.02f));
        float[][] x = new float[3][n];
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(SEED);
        float[] common = new float[n];
        for (int k = 0; k < n; k++) {
            common[k] = (float) (rnd.nextGaussian() * 0.01);
        }
        for (int i = 0; i < 3; i++) {
            // Fine-tunes share a common direction, so cos > 0 as Model Stock expects.
            for (int k = 0; k < n; k++) {
                x[i][k] = b[k] + common[k] + (float) (rnd.nextGaussian() * 0.01);
            }
            x[i] = PairSumsTest.stored(DType.BF16, x[i]);
        }
        Operand[] xs = {PlanRunner.operand(DType.BF16, x[0]), PlanRunner.operand(DType.BF16, x[1]), PlanRunner.operand(DType.BF16, x[2])};
        for (boolean filterWise : new boolean[] {false, true}) {
            TensorPlan plan = ModelStock.INSTANCE.plan(new PlanRunner.Params().set("filter_wise", filterWise), 3);
            MemorySegment out = PlanRunner.run(plan, PlanRunner.operand(DType.BF16, b), xs, shape, DType.F32, 13);
            float[] got = PlanRunner.floats(out, DType.F32);
            int rows = filterWise ? 9 : 1;
            int len = n / rows;
            for (int r = 0; r < rows; r++) {
                float[][] tau = new float[3][];
                for (int i = 0; i < 3; i++) {
                    tau[i] = GeometryOracle.minus(GeometryOracle.slice(x[i], r * len, len), GeometryOracle.slice(b, r * len, len));
                }
                double t = plainT(tau);
                assertThat(t).as("fine-tunes sharing a direction").isBetween(0.0, 1.0);
                for (int k = r * len; k < (r + 1) * len; k++) {
                    float sum = 0f;
                    for (int i = 0; i < 3; i++) {
                        sum = Math.fma(1f, x[i][k] - b[k], sum);
                    }
                    float expected = Math.fma((float) t, sum / 3f, b[k]);
                    assertThat(got[k]).as("filter_wise=%s [%d] seed %x", filterWise, k, SEED).isEqualTo(expected);
                }
            }
        }
    }

    /** mergekit's t restated: mean of the clamped pairwise cosines, then N·cos / (1 + (N−1)·cos). */
    static double plainT(float[][] tau) {
        int m = tau.length;
        double sum = 0;
        int pairs = 0;
        for (int i = 0; i < m; i++) {
            for (int j = i + 1; j < m; j++) {
                double np = StrictMath.sqrt(GeometryOracle.dot(tau[i], tau[i])) * StrictMath.sqrt(GeometryOracle.dot(tau[j], tau[j]));
                sum += Math.max(-1, Math.min(1, GeometryOracle.dot(tau[i], tau[j]) / Math.max(np, 1e-6)));
                pairs++;
            }
        }
        double cos = sum / pairs;
        return m * cos / (1 + (m - 1) * cos);
    }
}
