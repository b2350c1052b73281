package org.exmerge.method.geometric;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.exmerge.format.DType;
import org.exmerge.kernel.Operand;
import org.exmerge.method.ParameterException;
import org.exmerge.method.PlanRunner;
import org.exmerge.method.TensorPlan;
import org.exmerge.testing.GeometryOracle;
import org.exmerge.testing.TestModels;
import org.junit.jupiter.api.Test;

class KarcherTest {
    static final long SEED = 0xca4c7e4L;

    @Test
    void twoOrthogonalTensorsOfEqualNormMeetHalfwayOnTheSphere() {
        // u = (u₁ + u₂)/√2 is already the mean; scale = n, so out = (x₁ + x₂)/√2.
        double[] w = Karcher.weights(2, ModelStockTest.gram(new float[] {3, 0}, new float[] {0, 3}), 10, 1e-5);
        assertThat(w[0]).isCloseTo(1 / Math.sqrt(2), within(1e-15));
        assertThat(w[1]).isCloseTo(1 / Math.sqrt(2), within(1e-15));
    }

    @Test
    void zeroTensorsLeaveTheDirectionButCountInTheScale() {
        float[] a = {3, 0, 0};
        float[] b = {0, 4, 0};
        float[] zero = {0, 0, 0};
        double[] w = Karcher.weights(3, ModelStockTest.gram(a, b, zero), 10, 1e-5);
        assertThat(w[2]).isEqualTo(0.0);
        double[] out = combine(w, a, b, zero);
        double[] two = combine(Karcher.weights(2, ModelStockTest.gram(a, b), 10, 1e-5), a, b);
        // Same direction as the mean of a and b; norm (3 + 4 + 0)/3 instead of (3 + 4)/2.
        for (int k = 0; k < 3; k++) {
            assertThat(out[k]).isCloseTo(two[k] * (7.0 / 3) / 3.5, within(1e-12));
        }
        assertThat(Karcher.weights(2, ModelStockTest.gram(zero, zero), 10, 1e-5)).containsExactly(0.0, 0.0);
    }

    @Test
    void noIterationsGivesTheNormalisedMeanDirection() {
        float[] a = {1, 0};
        float[] b = {1, 1};
        double[] w = Karcher.weights(2, ModelStockTest.gram(a, b), 0, 1e-5);
        double[] out = combine(w, a, b);
        double[] mean = {(1 + 1 / Math.sqrt(2)) / 2, (1 / Math.sqrt(2)) / 2};
        double scale = (1 + Math.sqrt(2)) / 2 / Math.hypot(mean[0], mean[1]);
        assertThat(out[0]).isCloseTo(mean[0] * scale, within(1e-12));
        assertThat(out[1]).isCloseTo(mean[1] * scale, within(1e-12));
    }

    @Test
    void coefficientIterationAgreesWithMergekitsTensorIteration() {
        SplittableRandom r = new SplittableRandom(SEED);
        for (int m = 2; m <= 5; m++) {
            int n = 200;
            float[][] x = new float[m][n];
            for (int i = 0; i < m; i++) {
                for (int k = 0; k < n; k++) {
                    x[i][k] = (float) (r.nextGaussian() + (k % 3 == 0 ? 1.5 : 0));
                }
            }
            double[] got = combine(Karcher.weights(m, ModelStockTest.gram(x), 50, 1e-12), x);
            double[] expected = tensorSpace(x, 50, 1e-12);
            for (int k = 0; k < n; k++) {
                assertThat(got[k]).as("m=%d [%d] seed %x", m, k, SEED).isCloseTo(expected[k], within(1e-9));
            }
        }
    }

    @Test
    void theOutputIsTheKernelsCombinationOfTheWeights() {
        int n = 1023;
        float[][] x = new float[3][];
        Operand[] xs = new Operand[3];
        for (int i = 0; i < 3; i++) {
            x[i] = PairSumsTest.stored(DType.BF16, TestModels.random(SEED + i, n, 0.02f));
            xs[i] = PlanRunner.operand(DType.BF16, x[i]);
        }
        TensorPlan plan = Karcher.INSTANCE.plan(new PlanRunner.Params(), 3);
        float[] got = PlanRunner.floats(PlanRunner.run(plan, null, xs, new long[] {n}, DType.F32, 100), DType.F32);
        double[] w = Karcher.weights(3, ModelStockTest.gram(x), 10, 1e-5);
        for (int k = 0; k < n; k++) {
            float acc = 0f;
            for (int i = 0; i < 3; i++) {
                acc = Math.fma((float) w[i], x[i][k], acc);
            }
            assertThat(got[k]).as("[%d]", k).isEqualTo(acc);
        }
    }

    @Test
    void maxIterMustBeAWholeNumber() {
        assertThatThrownBy(() -> Karcher.INSTANCE.plan(new PlanRunner.Params().set("max_iter", 2.5), 2))
                .isInstanceOf(ParameterException.class).hasMessageContaining("max_iter");
        assertThatThrownBy(() -> Karcher.INSTANCE.plan(new PlanRunner.Params().set("tol", -1.0), 2))
                .isInstanceOf(ParameterException.class).hasMessageContaining("tol");
    }

    static double[] combine(double[] w, float[]... x) {
        double[] out = new double[x[0].length];
        for (int i = 0; i < x.length; i++) {
            for (int k = 0; k < out.length; k++) {
                out[k] += w[i] * x[i][k];
            }
        }
        return out;
    }

    /** mergekit's karcher_merge_tensors restated on float64 arrays (no dtype rounding). */
    static double[] tensorSpace(float[][] x, int maxIter, double tol) {
        int m = x.length;
        int n = x[0].length;
        double[] norms = new double[m];
        double[][] units = new double[m][n];
        for (int i = 0; i < m; i++) {
            norms[i] = Math.sqrt(dot(toD(x[i]), toD(x[i])));
            for (int k = 0; k < n; k++) {
                units[i][k] = norms[i] == 0 ? 0 : x[i][k] / norms[i];
            }
        }
        double[] u = new double[n];
        for (int i = 0; i < m; i++) {
            for (int k = 0; k < n; k++) {
                u[k] += units[i][k] / m;
            }
        }
        scaleTo(u, 1 / Math.sqrt(dot(u, u)));
        for (int iter = 0; iter < maxIter; iter++) {
            double[] t = new double[n];
            for (int i = 0; i < m; i++) {
                double d = Math.max(-1, Math.min(1, dot(u, units[i])));
                double theta = Math.acos(d);
                if (theta < tol) {
                    continue;
                }
                for (int k = 0; k < n; k++) {
                    t[k] += (1.0 / m) * (theta / Math.sin(theta)) * (units[i][k] - d * u[k]);
                }
            }
            double nt = Math.sqrt(dot(t, t));
            if (nt < tol) {
                break;
            }
            for (int k = 0; k < n; k++) {
                u[k] = Math.cos(nt) * u[k] + Math.sin(nt) * t[k] / nt;
            }
            scaleTo(u, 1 / Math.sqrt(dot(u, u)));
        }
        double s = 0;
        for (double v : norms) {
            s += v / m;
        }
        scaleTo(u, s);
        return u;
    }

    static double[] toD(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    static void scaleTo(double[] v, double f) {
        for (int i = 0; i < v.length; i++) {
            v[i] *= f;
        }
    }
}
