package org.exmerge.method.sparse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.exmerge.format.DType;
import org.exmerge.kernel.JavaKernels;
import org.exmerge.kernel.Operand;
import org.exmerge.method.Methods;
import org.exmerge.method.ParameterException;
import org.exmerge.method.PlanRunner;
import org.exmerge.method.TensorInputs;
import org.exmerge.method.TensorPlan;
import org.exmerge.method.TestParams;
import org.exmerge.testing.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * mergekit's {@code ram} planned from parameters against an oracle written here from mergekit's
 * definition (float32: τ = x − b, kept where |τ| > (float) ε, the kept ones summed in model order and
 * divided by their count, added to b), bit for bit.
 */
class RamTest {

    /** The oracle: shares nothing with the kernel but the definition. */
    static float[] oracle(double epsilon, float[] b, float[][] x) {
        float eps = (float) epsilon;
        float[] out = new float[b.length];
        for (int e = 0; e < b.length; e++) {
            float sum = 0f;
            int count = 0;
            for (float[] xi : x) {
                float tau = xi[e] - b[e];
                if (Math.abs(tau) > eps) {
                    sum += tau;
                    count++;
                }
            }
            out[e] = sum / Math.max(count, 1) + b[e];
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 15, 16, 17, 33, 1023, 4097})
    void equalsTheOracleBitForBit(int n) {
        float[] b = PlanRunner.stored(DType.BF16, TestModels.random(700 + n, n, 0.02f));
        float[][] x = new float[3][];
        for (int i = 0; i < 3; i++) {
            float[] delta = TestModels.random(800 + 10L * n + i, n, 0.002f);
            x[i] = new float[n];
            for (int j = 0; j < n; j++) {
                // every fifth element of model i equals the base: zeros, and elements no model keeps
                x[i][j] = (j + i) % 5 == 0 ? b[j] : b[j] + delta[j];
            }
            x[i] = PlanRunner.stored(DType.BF16, x[i]);
        }
        for (double eps : new double[] {1e-5, 0.002, 0}) {
            TestParams p = new TestParams(3).set("epsilon", eps);
            float[] expected = PlanRunner.stored(DType.BF16, oracle(eps, b, x));
            for (int chunk : new int[] {7, 4096}) {
                float[] got = PlanRunner.run(Ram.INSTANCE.plan(p, 3), b, x, new long[] {n}, DType.BF16, DType.BF16, 0, chunk);
                assertThat(got).as("epsilon %s n=%d chunk=%d", eps, n, chunk).containsExactly(expected);
            }
            if (n == 4097 && eps == 0.002) {
                assertThat(dropped(eps, b, x)).as("some τ dropped, some kept").isStrictlyBetween(0, 3 * n);
            }
        }
    }

    private static int dropped(double eps, float[] b, float[][] x) {
        int d = 0;
        for (float[] xi : x) {
            for (int j = 0; j < b.length; j++) {
                d += Math.abs(xi[j] - b[j]) > (float) eps ? 0 : 1;
            }
        }
        return d;
    }

    @Test
    void keepsAboveEpsilonInFloat32DropsNaNAndKeepsInfinities() {
        float eps = (float) 0.1; // 0.1 rounds up in float32: τ = that float is not above it
        float[] b = {0, 0, 0, 0, 0, 0, -0f, 0};
        float[][] x = {
            {eps, Math.nextUp(eps), Float.NaN, Float.POSITIVE_INFINITY, 3, 0.5f, 0, Float.POSITIVE_INFINITY},
            {1, -Math.nextUp(eps), 2, 1, -3, -0.25f, 0, Float.NEGATIVE_INFINITY},
        };
        float[] got = PlanRunner.run(Ram.INSTANCE, new TestParams(2).set("epsilon", 0.1), b, x, 0);
        // e0: only 1 kept (taken whole); e1: ±nextUp averaged to +0; e2: NaN dropped, 2 whole; e3: inf kept;
        // e4: 3 and −3 cancel; e5: (0.5 − 0.25) / 2; e6: nothing kept, −0 + +0 = +0; e7: inf − inf.
        assertThat(got).containsExactly(1f, 0f, 2f, Float.POSITIVE_INFINITY, 0f, 0.125f, 0f, Float.NaN);
        assertThat(Float.floatToRawIntBits(got[6])).as("+0").isZero();
        assertThat(got).containsExactly(oracle(0.1, b, x));
        // ε = 0 keeps every nonzero τ, the smallest subnormal too, and never a zero.
        float[] tiny = PlanRunner.run(Ram.INSTANCE, new TestParams(2).set("epsilon", 0.0), new float[] {0, 0},
                new float[][] {{Float.MIN_VALUE, -0f}, {0, 0}}, 0);
        assertThat(tiny).containsExactly(Float.MIN_VALUE, 0f);
        // An ε beyond float32's range keeps nothing, infinities included (torch: inf > inf is false).
        float[] none = PlanRunner.run(Ram.INSTANCE, new TestParams(1).set("epsilon", 1e300), new float[] {2},
                new float[][] {{Float.POSITIVE_INFINITY}}, 0);
        assertThat(none).containsExactly(2f);
    }

    @Test
    void defaultsAndSignatureFollowMergekit() {
        assertThat(Methods.byName("ram")).isSameAs(Ram.INSTANCE);
        assertThat(Ram.INSTANCE.signature().globalParams()).containsExactly("epsilon");
        assertThat(Ram.INSTANCE.signature().modelParams()).isEmpty();
        assertThat(Ram.INSTANCE.signature().needsBase()).isTrue();
        assertThat(Ram.INSTANCE.signature().param("epsilon").defaultText()).isEqualTo("1e-5");
        assertThat(Ram.INSTANCE.plan(new TestParams(2), 2).describe()).isEqualTo("ram epsilon=" + (float) 1e-5);
    }

    @Test
    void aNegativeOrNonFiniteEpsilonIsAnErrorNamingIt() {
        for (double bad : new double[] {-1e-5, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            assertThatThrownBy(() -> Ram.INSTANCE.plan(new TestParams(2).set("epsilon", bad), 2))
                    .as("epsilon %s", bad).isInstanceOf(ParameterException.class)
                    .hasMessageStartingWith("parameters.epsilon: must be").hasMessageContaining("≥ 0");
        }
    }

    @Test
    void aMissingBaseIsRefused() {
        TensorPlan plan = Ram.INSTANCE.plan(new TestParams(1), 1);
        Operand[] xs = {PlanRunner.operand(DType.F32, new float[1])};
        assertThatThrownBy(() -> plan.bind(new TensorInputs("w", null, xs, 1, new long[] {1}, new JavaKernels(), 0, 0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ram needs the base");
    }
}
