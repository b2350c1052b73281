package org.exmerge.method.geometric;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.exmerge.format.DType;
import org.exmerge.kernel.Operand;
import org.exmerge.method.ParameterException;
import org.exmerge.method.PlanRunner;
import org.exmerge.method.TensorPlan;
import org.exmerge.recipe.ConfigException;
import org.exmerge.testing.BackendRuns;
import org.exmerge.testing.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MultiSlerpTest {
    static final long SEED = 0x5e1e7L;

    @TempDir
    static Path dir;

    /** multislerp of {@code xs} on {@code base} (null: none), whole tensor, F32 in and out. */
    static float[] merge(PlanRunner.Params p, float[] base, float[]... xs) {
        TensorPlan plan = MultiSlerp.INSTANCE.plan(p, xs.length);
        Operand b = base == null ? null : PlanRunner.operand(DType.F32, base);
        Operand[] ops = new Operand[xs.length];
        for (int i = 0; i < xs.length; i++) {
            ops[i] = PlanRunner.operand(DType.F32, xs[i]);
        }
        return PlanRunner.floats(PlanRunner.run(plan, b, ops, new long[] {xs[0].length}, DType.F32, 3), DType.F32);
    }

    static PlanRunner.Params weights(double... w) {
        return new PlanRunner.Params().each("weight", w);
    }

    @Test
    void twoOrthogonalTaskVectorsMeetOnTheDiagonalAtTheirMeanNorm() {
        // τ_1 = (3, 0), τ_2 = (0, 4), weights 1, 1 → 0.5, 0.5. u_1 = (1, 0), u_2 = (0, 1) (eps negligible),
        // m = (0.5, 0.5), |m| = √0.5; mean norm 0.5·3 + 0.5·4 = 3.5; out − b = 3.5·(1, 1)/√2 = (2.4749, 2.4749).
        float[] b = {1, -1};
        float[] got = merge(weights(1, 1), b, new float[] {4, -1}, new float[] {1, 3});
        double d = 3.5 / Math.sqrt(2);
        assertThat((double) got[0]).isCloseTo(1 + d, within(1e-6));
        assertThat((double) got[1]).isCloseTo(-1 + d, within(1e-6));
        // The coefficients: c_i = 3.5·w_i/(n_i·|m|): 3.5·0.5/(3·√0.5) on τ_1, 3.5·0.5/(4·√0.5) on τ_2.
        double[] c = MultiSlerp.coefficients(new double[] {0.5, 0.5}, 1e-8, ModelStockTest.gram(new float[] {3, 0}, new float[] {0, 4}));
        assertThat(c[0]).isCloseTo(3.5 * 0.5 / (3 * Math.sqrt(0.5)), within(1e-7));
        assertThat(c[1]).isCloseTo(3.5 * 0.5 / (4 * Math.sqrt(0.5)), within(1e-7));
    }

    @Test
    void threeModelsWithoutBaseAndUnnormalisedWeights() {
        // x_1 = (1, 0, 0), x_2 = (0, 2, 0), x_3 = (0, 0, 2), weights 1, 1, 2 → 0.25, 0.25, 0.5: m = (0.25, 0.25, 0.5),
        // |m| = √0.375; mean norm 0.25 + 0.5 + 1 = 1.75; out = 1.75·m/|m| = (0.71443, 0.71443, 1.42887).
        float[][] x = {{1, 0, 0}, {0, 2, 0}, {0, 0, 2}};
        float[] got = merge(weights(1, 1, 2), null, x);
        double s = 1.75 / Math.sqrt(0.375);
        assertThat(toD(got)).containsExactly(new double[] {0.25 * s, 0.25 * s, 0.5 * s}, within(1e-6));
        // normalize_weights: false keeps 1, 1, 2: m = (1, 1, 2), mean norm 1 + 2 + 4 = 7, out = 7·m/√6.
        got = merge(weights(1, 1, 2).set("normalize_weights", false), null, x);
        double u = 7 / Math.sqrt(6);
        assertThat(toD(got)).containsExactly(new double[] {u, u, 2 * u}, within(1e-5));
    }

    @Test
    void twoCancellingTaskVectorsFallBackToLinearInterpolation() {
        // τ_1 = (1, 2), τ_2 = (−2, −4): u_1 = −u_2, so m = 0 with equal weights, and mergekit interpolates
        // linearly: 0.5·τ_1 + 0.5·τ_2 = (−0.5, −1), added to b = (10, 20).
        float[] got = merge(weights(1, 1), new float[] {10, 20}, new float[] {11, 22}, new float[] {8, 16});
        assertThat(got).containsExactly(9.5f, 19f);
    }

    @Test
    void threeCancellingTaskVectorsAreAnErrorButZeroOnesGiveTheBase() {
        float[] b = {1, 2};
        assertThatThrownBy(() -> merge(weights(1, 1, 1), b, new float[] {2, 2}, new float[] {0, 2}, new float[] {1, 2}))
                .isInstanceOf(UncheckedIOException.class).cause().isInstanceOf(ConfigException.class)
                .hasMessageContaining("tensor 't'").hasMessageContaining("cancel");
        // Every model equal to the base: every task vector is zero, and so is the output's (mergekit raises here).
        assertThat(merge(weights(1, 2, 3), b, b.clone(), b.clone(), b.clone())).containsExactly(b);
    }

    @Test
    void oneModelIsCopied() {
        float[] x = {-0f, 3.5f, -7f};
        float[] got = merge(weights(0.3), new float[] {1, 1, 1}, x);
        assertThat(Float.floatToRawIntBits(got[0])).isEqualTo(0x80000000);
        assertThat(got).containsExactly(x);
    }

    @Test
    void coefficientsAgreeWithMergekitsTensorAlgorithm() {
        SplittableRandom r = new SplittableRandom(SEED);
        for (int m = 2; m <= 5; m++) {
            for (boolean withBase : new boolean[] {false, true}) {
                int n = 300;
                float[] b = withBase ? TestModels.random(SEED + m, n, 0.02f) : null;
                float[][] x = new float[m][n];
                float[][] tau = new float[m][n];
                double[] w = new double[m];
                for (int i = 0; i < m; i++) {
                    w[i] = r.nextDouble(0.1, 2);
                    for (int k = 0; k < n; k++) {
                        x[i][k] = (float) (r.nextGaussian() * 0.01 + (k % 4 == i % 4 ? 0.02 : 0) + (withBase ? b[k] : 0));
                        tau[i][k] = withBase ? x[i][k] - b[k] : x[i][k];
                    }
                }
                for (boolean normalize : new boolean[] {true, false}) {
                    double[] wn = w.clone();
                    double sum = 0;
                    for (double v : w) {
                        sum += v;
                    }
                    for (int i = 0; normalize && i < m; i++) {
                        wn[i] /= sum;
                    }
                    double[] expected = literal(tau, wn, 1e-8);
                    double[] got = KarcherTest.combine(MultiSlerp.coefficients(wn, 1e-8, ModelStockTest.gram(tau)), tau);
                    for (int k = 0; k < n; k++) {
                        assertThat(got[k]).as("m=%d base %s normalize %s [%d] seed %x", m, withBase, normalize, k, SEED)
                                .isCloseTo(expected[k], within(1e-12));
                    }
                    // And the merge writes b + Σ c_i·τ_i through the kernel: within float32 rounding of that.
                    PlanRunner.Params p = weights(w).set("normalize_weights", normalize);
                    float[] out = merge(p, b, x);
                    for (int k = 0; k < n; k++) {
                        double want = expected[k] + (withBase ? b[k] : 0);
                        assertThat((double) out[k]).as("m=%d output [%d]", m, k).isCloseTo(want, within(1e-8 + 1e-6 * Math.abs(want)));
                    }
                }
            }
        }
    }

    @Test
    void theOutputIsTheKernelsCombinationOfTheCoefficients() {
        int n = 70_001; // past one numerics §4 block
        float[] b = PlanRunner.stored(DType.BF16, TestModels.random(SEED, n, 0.02f));
        float[][] x = new float[3][];
        float[][] tau = new float[3][n];
        Operand[] xs = new Operand[3];
        for (int i = 0; i < 3; i++) {
            x[i] = PlanRunner.stored(DType.BF16, TestModels.random(SEED + 1 + i, n, 0.02f));
            xs[i] = PlanRunner.operand(DType.BF16, x[i]);
            for (int k = 0; k < n; k++) {
                tau[i][k] = x[i][k] - b[k];
            }
        }
        TensorPlan plan = MultiSlerp.INSTANCE.plan(weights(0.2, 0.5, 0.3), 3);
        float[] got = PlanRunner.floats(PlanRunner.run(plan, PlanRunner.operand(DType.BF16, b), xs, new long[] {n}, DType.F32, 4097),
                DType.F32);
        double[] c = MultiSlerp.coefficients(new double[] {0.2 / 1.0, 0.5 / 1.0, 0.3 / 1.0}, 1e-8, ModelStockTest.gram(tau));
        for (int k = 0; k < n; k++) {
            float acc = 0f;
            for (int i = 0; i < 3; i++) {
                acc = Math.fma((float) c[i], tau[i][k], acc);
            }
            assertThat(got[k]).as("[%d]", k).isEqualTo(Math.fma(1f, acc, b[k]));
        }
    }

    @Test
    void weightsAreRequiredAndMustNotSumToZeroWhenNormalised() {
        assertThatThrownBy(() -> MultiSlerp.INSTANCE.plan(new PlanRunner.Params(), 2))
                .isInstanceOf(ParameterException.class).hasMessageContaining("weight");
        assertThatThrownBy(() -> MultiSlerp.INSTANCE.plan(weights(1, -1), 2))
                .isInstanceOf(ParameterException.class).hasMessageContaining("sum to 0");
        MultiSlerp.INSTANCE.plan(weights(1, -1).set("normalize_weights", false), 2);
        assertThatThrownBy(() -> MultiSlerp.INSTANCE.plan(weights(1, 1).set("eps", -1.0), 2))
                .isInstanceOf(ParameterException.class).hasMessageContaining("eps");
    }

    @Test
    void everyBackendThreadCountAndChunkSizeWritesTheSameBytes() throws Exception {
        BackendRuns.writeModels(dir, 0.01f);
        BackendRuns.assertSameBytes(dir, """
            merge_method: multislerp
            base_model: base
            models:
              - model: sft1
                parameters: {weight: 0.5}
              - model: sft2
                parameters: {weight: [0.2, 0.8]}
              - model: sft3
                parameters: {weight: 0.3}
            """, "multislerp-base");
        BackendRuns.assertSameBytes(dir, """
            merge_method: multislerp
            models:
              - model: sft1
                parameters: {weight: 1.0}
              - model: sft2
                parameters: {weight: 2.0}
            parameters: {normalize_weights: false, eps: 1.0e-6}
            dtype: float32
            """, "multislerp-nobase");
    }

    /**
     * mergekit's multislerp restated on float64 arrays (no dtype rounding): unit vectors, their
     * weighted mean, the tangent projection, the exponential map, the weighted mean norm.
     */
    static double[] literal(float[][] tau, double[] w, double eps) {
        int m = tau.length;
        int n = tau[0].length;
        double[] norms = new double[m];
        double[][] unit = new double[m][n];
        for (int i = 0; i < m; i++) {
            double[] t = KarcherTest.toD(tau[i]);
            norms[i] = Math.sqrt(KarcherTest.dot(t, t));
            for (int k = 0; k < n; k++) {
                unit[i][k] = t[k] / (norms[i] + eps);
            }
        }
        double[] mean = new double[n];
        for (int i = 0; i < m; i++) {
            for (int k = 0; k < n; k++) {
                mean[k] += unit[i][k] * w[i];
            }
        }
        double meanNorm = Math.sqrt(KarcherTest.dot(mean, mean));
        KarcherTest.scaleTo(mean, 1 / meanNorm);
        double[] tangent = new double[n];
        for (int i = 0; i < m; i++) {
            double dot = KarcherTest.dot(unit[i], mean);
            for (int k = 0; k < n; k++) {
                tangent[k] += (unit[i][k] - dot * mean[k]) * w[i];
            }
        }
        double tn = Math.sqrt(KarcherTest.dot(tangent, tangent)) + eps;
        double avg = 0;
        for (int i = 0; i < m; i++) {
            avg += norms[i] * w[i];
        }
        double[] out = new double[n];
        for (int k = 0; k < n; k++) {
            out[k] = (mean[k] * Math.cos(tn) + tangent[k] * (Math.sin(tn) / tn)) * avg;
        }
        return out;
    }

    static double[] toD(float[] v) {
        return KarcherTest.toD(v);
    }
}
