package org.exmerge.method.sparse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;
import org.exmerge.format.DType;
import org.exmerge.kernel.JavaKernels;
import org.exmerge.kernel.Operand;
import org.exmerge.method.Methods;
import org.exmerge.method.Parallel;
import org.exmerge.method.ParameterException;
import org.exmerge.method.PlanRunner;
import org.exmerge.method.TensorInputs;
import org.exmerge.method.TensorMerge;
import org.exmerge.method.TensorPlan;
import org.exmerge.method.TestParams;
import org.exmerge.numeric.Fnv1a;
import org.exmerge.testing.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * mergekit's {@code ramplus_tl} planned from parameters against an oracle written here from mergekit's
 * definition, bit for bit: τ = x − b in float32, kept where |τ| > (float) ε; per model the whole-tensor
 * counts of kept elements another model also keeps (shared) and of those it alone keeps (unique),
 * ρ = shared / max(unique, ε) and λ = 1 + r·clamp(ρ, 0, α) in float64 rounded once; a value kept alone
 * becomes λ·τ (one float32 multiply), several kept ones are summed in model order and divided by
 * their count, and the result is added to b.
 */
class RamPlusTest {

    /** The oracle: shares nothing with the kernels or with RamPlus but the definition. */
    static float[] oracle(double r, double alpha, double epsilon, float[] b, float[][] x) {
        float eps = (float) epsilon;
        int m = x.length;
        int n = b.length;
        float[][] tau = new float[m][n];
        boolean[][] kept = new boolean[m][n];
        int[] count = new int[n];
        for (int i = 0; i < m; i++) {
            for (int e = 0; e < n; e++) {
                tau[i][e] = x[i][e] - b[e];
                kept[i][e] = Math.abs(tau[i][e]) > eps; // false for NaN
                count[e] += kept[i][e] ? 1 : 0;
            }
        }
        float[] lambda = lambdas(r, alpha, epsilon, kept, count);
        float[] out = new float[n];
        for (int e = 0; e < n; e++) {
            float sum = 0f;
            for (int i = 0; i < m; i++) {
                if (kept[i][e]) {
                    sum += count[e] == 1 ? lambda[i] * tau[i][e] : tau[i][e];
                }
            }
            out[e] = (count[e] > 1 ? sum / count[e] : sum) + b[e];
        }
        return out;
    }

    static float[] lambdas(double r, double alpha, double epsilon, boolean[][] kept, int[] count) {
        float[] lambda = new float[kept.length];
        for (int i = 0; i < kept.length; i++) {
            long shared = 0;
            long unique = 0;
            for (int e = 0; e < count.length; e++) {
                if (kept[i][e]) {
                    shared += count[e] > 1 ? 1 : 0;
                    unique += count[e] == 1 ? 1 : 0;
                }
            }
            double denominator = Math.max((double) unique, epsilon); // mergekit's unique.clamp(min=epsilon)
            double rho = denominator == 0 ? 0 : shared / denominator; // 0/0 only where λ never applies
            lambda[i] = (float) (1 + r * Math.min(alpha, Math.max(0, rho)));
        }
        return lambda;
    }

    /**
     * Three fine-tunes of a bf16 base changing different shares of the weights (model i leaves
     * {@code unchanged[i]} as they were), some changes below ε: lone and shared values in every model.
     */
    static float[][] fineTunes(long seed, int n, float[] b) {
        double[] unchanged = {0.7, 0.4, 0.1};
        SplittableRandom r = new SplittableRandom(seed);
        float[][] x = new float[3][n];
        for (int i = 0; i < 3; i++) {
            float[] delta = TestModels.random(seed + 10L * i, n, 0.002f);
            for (int j = 0; j < n; j++) {
                x[i][j] = r.nextDouble() < unchanged[i] ? b[j] : b[j] + delta[j];
            }
            x[i] = PlanRunner.stored(DType.BF16, x[i]);
        }
        return x;
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 7, 8, 9, 15, 16, 17, 33, 1023, 4097})
    void equalsTheOracleBitForBit(int n) {
        float[] b = PlanRunner.stored(DType.BF16, TestModels.random(900 + n, n, 0.02f));
        float[][] x = fineTunes(1000 + n, n, b);
        double[][] ra = {{0.1, 0.2}, {0.5, 5}, {0, 0.2}, {3, 0}};
        for (double eps : new double[] {1e-5, 0.002, 0}) {
            for (double[] p : ra) {
                TestParams params = new TestParams(3).set("r", p[0]).set("alpha", p[1]).set("epsilon", eps);
                float[] expected = PlanRunner.stored(DType.BF16, oracle(p[0], p[1], eps, b, x));
                for (int chunk : new int[] {7, 4096}) {
                    float[] got = PlanRunner.run(RamPlus.INSTANCE.plan(params, 3), b, x, new long[] {n}, DType.BF16,
                            DType.BF16, 0, chunk);
                    assertThat(got).as("epsilon %s r %s alpha %s n=%d chunk=%d", eps, p[0], p[1], n, chunk)
                            .containsExactly(expected);
                }
            }
        }
    }

    @Test
    void theLargestCaseMeetsLoneSharedAndDroppedValuesAndUnclampedLambdas() {
        int n = 4097;
        float[] b = PlanRunner.stored(DType.BF16, TestModels.random(900 + n, n, 0.02f));
        float[][] x = fineTunes(1000 + n, n, b);
        float eps = (float) 0.002;
        boolean[][] kept = new boolean[3][n];
        int[] count = new int[n];
        int dropped = 0;
        for (int i = 0; i < 3; i++) {
            for (int e = 0; e < n; e++) {
                kept[i][e] = Math.abs(x[i][e] - b[e]) > eps;
                count[e] += kept[i][e] ? 1 : 0;
                dropped += x[i][e] != b[e] && !kept[i][e] ? 1 : 0;
            }
        }
        assertThat(dropped).as("changed but not above epsilon").isPositive();
        assertThat(IntStream.of(count).filter(c -> c == 1).count()).as("lone elements").isPositive();
        assertThat(IntStream.of(count).filter(c -> c > 1).count()).as("shared elements").isPositive();
        assertThat(IntStream.of(count).filter(c -> c == 0).count()).as("elements no model keeps").isPositive();
        // r = 0.5, alpha = 5: ρ is each model's own ratio, not the cap, and λ differs between models.
        float[] lambda = lambdas(0.5, 5, 0.002, kept, count);
        assertThat(lambda[0]).isNotEqualTo(lambda[1]).isNotEqualTo(lambda[2]).isGreaterThan(1f).isLessThan(3.5f);
    }

    @Test
    void handComputedLambdasFromSharedAndLoneCounts() {
        // model 0 keeps e0 (shared) and e1, e2 (alone): ρ = 1/2; model 1 keeps e0 (shared) and e3 (alone):
        // ρ = 1, capped at 0.8. r = 0.5: λ = (1.25, 1.4). e0 is averaged, e4 and e5 stay the base.
        float[] b = {0, 0, 0, 0, 0, -0f};
        float[][] x = {{1, 2, 3, 0, 0, 0}, {1, 0, 0, 4, 0, 0}};
        TestParams p = new TestParams(2).set("r", 0.5).set("alpha", 0.8);
        float[] got = PlanRunner.run(RamPlus.INSTANCE, p, b, x, 0);
        assertThat(got).containsExactly(1f, 2.5f, 3.75f, (float) 1.4 * 4f, 0f, 0f);
        assertThat(Float.floatToRawIntBits(got[5])).as("−0 + (+0) = +0").isZero();
        assertThat(got).containsExactly(oracle(0.5, 0.8, 1e-5, b, x));
        // epsilon above 1 floors model 0's lone count of 1 too (mergekit's clamp): ρ = 1 / max(1, 2) = 0.5,
        // λ = 1 + 1·0.5 = 1.5 on its lone 5 (1 + 1 = 2 without the floor).
        float[][] wide = {{3, 5, 0, 1}, {3, 0, 0, 1}};
        float[] widely = PlanRunner.run(RamPlus.INSTANCE, new TestParams(2).set("r", 1.0).set("alpha", 10.0)
                .set("epsilon", 2.0), new float[4], wide, 0);
        assertThat(widely).containsExactly(3f, 7.5f, 0f, 0f).containsExactly(oracle(1, 10, 2, new float[4], wide));
        // No shared element: ρ = 0, λ = 1, lone values whole (ram's bytes).
        float[][] apart = {{1, 0, 3}, {0, -2, 0}};
        assertThat(PlanRunner.run(RamPlus.INSTANCE, new TestParams(2), new float[3], apart, 0))
                .containsExactly(PlanRunner.run(Ram.INSTANCE, new TestParams(2), new float[3], apart, 0))
                .containsExactly(1f, -2f, 3f);
        // Every kept value shared (τ = (2, 3), (0.5, −0.5), (0, 0)): no λ applies, whatever it is (ρ = 2/ε);
        // all dropped: the base.
        float[] base = {0.25f, 0.25f, 0.25f};
        assertThat(PlanRunner.run(RamPlus.INSTANCE, new TestParams(2).set("r", 7.0).set("alpha", 9.0), base,
                new float[][] {{2.25f, 0.75f, 0.25f}, {3.25f, -0.25f, 0.25f}}, 0)).containsExactly(2.75f, 0.25f, 0.25f);
        assertThat(PlanRunner.run(RamPlus.INSTANCE, new TestParams(2), base, new float[][] {base, base}, 0))
                .containsExactly(base);
    }

    @Test
    void lambdaFollowsMergekitsCountsAndItsEpsilonFloor() {
        // A model with no lone element: ρ = shared / ε (mergekit's unique.clamp(min=ε)), capped by alpha.
        assertThat(RamPlus.lambda(3, 0, 0.1, 0.2, 1e-5)).isEqualTo((float) (1 + 0.1 * 0.2));
        // No shared element: ρ = 0, λ = 1, even with ε = 0 (no 0/0).
        assertThat(RamPlus.lambda(0, 0, 0.1, 0.2, 0)).isEqualTo(1f);
        assertThat(RamPlus.lambda(0, 5, 0.1, 0.2, 1e-5)).isEqualTo(1f);
        assertThat(RamPlus.lambda(4, 0, 0.5, 0.3, 0)).isEqualTo((float) (1 + 0.5 * 0.3));
        // ε above 1 floors a lone count of 1 too: ρ = 2 / 4.
        assertThat(RamPlus.lambda(2, 1, 1, 10, 4)).isEqualTo(1.5f);
        // Below the cap: ρ = 1/7 in float64, λ rounded once.
        assertThat(RamPlus.lambda(1, 7, 0.1, 0.2, 1e-5)).isEqualTo((float) (1 + 0.1 * (1.0 / 7)));
        // Counts past float32's exact integers stay exact in float64: ρ = (2^24 + 1) / 2^25.
        assertThat(RamPlus.lambda((1L << 24) + 1, 1L << 25, 1, 1, 1e-5)).isEqualTo((float) (1 + ((1L << 24) + 1) / (double) (1L << 25)));
    }

    @Test
    void keepsAboveEpsilonInFloat32DropsNaNAndKeepsInfinities() {
        float eps = (float) 0.1; // 0.1 rounds up in float32: τ = that float is not above it
        float[] b = {0, 0, 0, 0, 0, 0, -0f, 0};
        float[][] x = {
            {eps, Math.nextUp(eps), Float.NaN, Float.POSITIVE_INFINITY, 3, 0.5f, 0, Float.POSITIVE_INFINITY},
            {1, -Math.nextUp(eps), 2, 1, -3, -0.25f, 0, Float.NEGATIVE_INFINITY},
        };
        // model 0 keeps e1 e3 e4 e5 e7, all shared; model 1 keeps e0 e2 (alone) and e1 e3 e4 e5 e7:
        // ρ_1 = 5/2, capped: λ_1 = 1 + 0.5·0.8 = 1.4 on e0 and e2.
        TestParams p = new TestParams(2).set("epsilon", 0.1).set("r", 0.5).set("alpha", 0.8);
        float[] got = PlanRunner.run(RamPlus.INSTANCE, p, b, x, 0);
        assertThat(got).containsExactly((float) 1.4, 0f, (float) 1.4 * 2, Float.POSITIVE_INFINITY, 0f, 0.125f, 0f,
                Float.NaN);
        assertThat(got).containsExactly(oracle(0.5, 0.8, 0.1, b, x));
        // An ε beyond float32's range keeps nothing, infinities included.
        assertThat(PlanRunner.run(RamPlus.INSTANCE, new TestParams(1).set("epsilon", 1e300), new float[] {2},
                new float[][] {{Float.POSITIVE_INFINITY}}, 0)).containsExactly(2f);
    }

    private static final Parallel THREE = new Parallel() {
        @Override
        public void run(int pieces, IntConsumer piece) {
            IntStream.range(0, pieces).parallel().forEach(piece);
        }

        @Override
        public int width() {
            return 3;
        }
    };

    @Test
    void theCountPassGivesTheSameBytesOnOneThreadOrMany() {
        int n = (3 << 20) + 5; // four count pieces
        float[] b = PlanRunner.stored(DType.BF16, TestModels.random(77, n, 0.02f));
        float[][] x = fineTunes(78, n, b);
        TensorPlan plan = RamPlus.INSTANCE.plan(new TestParams(3).set("r", 0.5).set("alpha", 5.0).set("epsilon", 0.002), 3);
        float[] serial = bindAndRun(plan, b, x, Parallel.SERIAL);
        // Arrays.mismatch, not containsExactly: AssertJ's diff of 3M elements takes minutes
        assertThat(Arrays.mismatch(bindAndRun(plan, b, x, THREE), serial)).as("threads").isEqualTo(-1);
        assertThat(Arrays.mismatch(serial, PlanRunner.stored(DType.BF16, oracle(0.5, 5, 0.002, b, x)))).as("oracle")
                .isEqualTo(-1);
    }

    private static float[] bindAndRun(TensorPlan plan, float[] b, float[][] x, Parallel parallel) {
        int n = b.length;
        Operand[] models = new Operand[x.length];
        for (int i = 0; i < x.length; i++) {
            models[i] = PlanRunner.operand(DType.BF16, x[i]);
        }
        TensorMerge merge = plan.bind(new TensorInputs("t", PlanRunner.operand(DType.BF16, b), models, n, new long[] {n},
                new JavaKernels(), 0, Fnv1a.hash32("t"), parallel));
        MemorySegment out = MemorySegment.ofArray(new byte[2 * n]);
        for (int s = 0; s < n; s += 1 << 20) {
            int len = Math.min(1 << 20, n - s);
            merge.compute(s, len, new Operand(out.asSlice(2L * s), DType.BF16));
        }
        return PlanRunner.floats(out, DType.BF16);
    }

    @Test
    void defaultsAndSignatureFollowMergekit() {
        assertThat(Methods.byName("ramplus_tl")).isSameAs(RamPlus.INSTANCE);
        assertThat(RamPlus.INSTANCE.signature().globalParams()).containsExactlyInAnyOrder("r", "alpha", "epsilon");
        assertThat(RamPlus.INSTANCE.signature().modelParams()).isEmpty();
        assertThat(RamPlus.INSTANCE.signature().needsBase()).isTrue();
        assertThat(RamPlus.INSTANCE.signature().param("r").defaultText()).isEqualTo("0.1");
        assertThat(RamPlus.INSTANCE.signature().param("alpha").defaultText()).isEqualTo("0.2");
        assertThat(RamPlus.INSTANCE.signature().param("epsilon").defaultText()).isEqualTo("1e-5");
        assertThat(RamPlus.INSTANCE.plan(new TestParams(2), 2).describe())
                .isEqualTo("ramplus_tl r=0.1 alpha=0.2 epsilon=" + (float) 1e-5);
    }

    @Test
    void aNegativeOrNonFiniteParameterIsAnErrorNamingIt() {
        for (String name : new String[] {"r", "alpha", "epsilon"}) {
            for (double bad : new double[] {-1e-5, -1, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
                assertThatThrownBy(() -> RamPlus.INSTANCE.plan(new TestParams(2).set(name, bad), 2))
                        .as("%s %s", name, bad).isInstanceOf(ParameterException.class)
                        .hasMessageStartingWith("parameters." + name + ": must be").hasMessageContaining("≥ 0");
            }
        }
        // Zero is allowed for each: r = 0 or alpha = 0 is ram.
        float[][] x = {{1, 0}, {1, 2}};
        float[] ram = PlanRunner.run(Ram.INSTANCE, new TestParams(2), new float[2], x, 0);
        assertThat(PlanRunner.run(RamPlus.INSTANCE, new TestParams(2).set("r", 0.0), new float[2], x, 0)).containsExactly(ram);
        assertThat(PlanRunner.run(RamPlus.INSTANCE, new TestParams(2).set("alpha", 0.0), new float[2], x, 0)).containsExactly(ram);
    }

    @Test
    void aMissingBaseIsRefused() {
        TensorPlan plan = RamPlus.INSTANCE.plan(new TestParams(1), 1);
        Operand[] xs = {PlanRunner.operand(DType.F32, new float[1])};
        assertThatThrownBy(() -> plan.bind(new TensorInputs("w", null, xs, 1, new long[] {1}, new JavaKernels(), 0, 0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ramplus_tl needs the base");
        Operand f64 = new Operand(MemorySegment.ofArray(new byte[8]), DType.F64);
        assertThatThrownBy(() -> plan.bind(new TensorInputs("w", f64, new Operand[] {f64}, 1, new long[] {1},
                new JavaKernels(), 0, 0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not support F64");
    }
}
