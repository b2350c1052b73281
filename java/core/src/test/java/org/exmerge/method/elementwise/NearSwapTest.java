package org.exmerge.method.elementwise;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import org.exmerge.format.DType;
import org.exmerge.kernel.Operand;
import org.exmerge.method.ParameterException;
import org.exmerge.method.PlanRunner;
import org.exmerge.method.TensorPlan;
import org.exmerge.testing.BackendRuns;
import org.exmerge.testing.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NearSwapTest {
    @TempDir
    static Path dir;

    static float[] merge(double t, float[] base, float[] other, DType type) {
        TensorPlan plan = NearSwap.INSTANCE.plan(new PlanRunner.Params().set("t", t), 1);
        return PlanRunner.run(plan, base, new float[][] {other}, new long[] {base.length}, type, type, 0, 3);
    }

    @Test
    void handComputedElements() {
        // t = 0.5, element by element (v0 = base, v1 = other):
        //   1 vs 3:    |d| = 2,    1/2 · 0.5 = 0.25 = w;  0.25·3 + 0.75·1 = 1.5
        //   2 vs 4:    |d| = 2,    w = 0.25;              0.25·4 + 0.75·2 = 2.5
        //   2 vs 2.5:  |d| = 0.5,  1/0.5 · 0.5 = 1 = w:   the other model's 2.5
        //   1 vs 1.25: |d| = 0.25, 4 · 0.5 = 2, clamped to w = 1: 1.25
        //   0.75 vs 0.75: |d| = 0 → the 1e-6 floor, w = 1: 1·0.75 + 0·0.75 = 0.75
        //   −8 vs 8:   |d| = 16,   w = 1/32;   8/32 + (31/32)·(−8) = 0.25 − 7.75 = −7.5
        float[] base = {1, 2, 2, 1, 0.75f, -8};
        float[] other = {3, 4, 2.5f, 1.25f, 0.75f, 8};
        assertThat(merge(0.5, base, other, DType.F32)).containsExactly(1.5f, 2.5f, 2.5f, 1.25f, 0.75f, -7.5f);
        // F64 inputs compute in float64 with the same steps (numerics §1): the same exact values here.
        assertThat(merge(0.5, base, other, DType.F32)).containsExactly(merge64(0.5, base, other));
    }

    @Test
    void zeroThresholdKeepsTheBaseAndNonFiniteValuesFollowIeee() {
        float inf = Float.POSITIVE_INFINITY;
        // t = 0: w = 0 everywhere, out = 0·v1 + 1·v0 = v0, except 0·inf = NaN when the other model is infinite.
        float[] got = merge(0.0, new float[] {5, -0f, 1}, new float[] {-3, 7, inf}, DType.F32);
        assertThat(got[0]).isEqualTo(5f);
        assertThat(Float.floatToRawIntBits(got[1])).as("−0 + 0·7 = +0").isEqualTo(0);
        assertThat(got[2]).isNaN();
        // t = 1: base inf vs 1: |d| = inf, 1/inf = 0 → w = 0 → 0·1 + 1·inf = inf; inf vs inf: d = NaN → NaN;
        // a NaN in either model gives NaN (as mergekit: the NaN passes the floor and the clamp).
        got = merge(1.0, new float[] {inf, inf, Float.NaN, 2}, new float[] {1, inf, 2, Float.NaN}, DType.F32);
        assertThat(got[0]).isEqualTo(inf);
        assertThat(got[1]).isNaN();
        assertThat(got[2]).isNaN();
        assertThat(got[3]).isNaN();
        // −0 vs −0 with w = 1: 1·(−0) + 0·(−0) = −0 + −0 = −0.
        assertThat(Float.floatToRawIntBits(merge(1.0, new float[] {-0f}, new float[] {-0f}, DType.F32)[0]))
                .isEqualTo(0x80000000);
    }

    @Test
    void aThresholdBelowTheFloorWeighsEvenEqualElements() {
        // mergekit floors |d| at 1e-6, so t = 1e-7 gives w ≈ 0.1 where the models agree exactly; on equal
        // values the result is w·v + (1 − w)·v with three roundings: 0.25 comes back (w·0.25 and
        // (1 − w)·0.25 are exact), −3 one ulp toward zero, as in mergekit's float32 code.
        float[] v = {0.25f, -3f};
        assertThat(merge(1e-7, v, v, DType.F32)).containsExactly(0.25f, Math.nextUp(-3f));
        // 0 vs 2^-21 (below the floor): w = (1/1e-6f)·1e-7f ≈ 0.1, out = w·2^-21.
        float w = (1.0f / 1e-6f) * 1e-7f;
        assertThat(merge(1e-7, new float[] {0}, new float[] {0x1p-21f}, DType.F32)).containsExactly(w * 0x1p-21f);
        assertThat(w).isBetween(0.099f, 0.101f);
    }

    @Test
    void matchesMergekitsFormulaInDoublePrecision() {
        // Oracle: mergekit's nearswap (weight = clamp(t / max(|a − b|, 1e-6), 0, 1); weight·b + (1 − weight)·a)
        // evaluated in float64 on the BF16-stored inputs. exmerge's float32 steps each round once, so
        // the result may differ from the float64 value by a few float32 ulps of the larger input.
        int n = 5000;
        float[] base = PlanRunner.stored(DType.BF16, TestModels.random(11, n, 0.02f));
        float[] other = new float[n];
        float[] noise = TestModels.random(12, n, 0.003f);
        for (int k = 0; k < n; k++) {
            other[k] = base[k] + noise[k];
        }
        other = PlanRunner.stored(DType.BF16, other);
        for (double t : new double[] {1e-4, 0.002, 0.05}) {
            float[] got = merge(t, base, other, DType.F32);
            int between = 0;
            for (int k = 0; k < n; k++) {
                double a = base[k];
                double b = other[k];
                double weight = Math.min(1.0, Math.max(0.0, t / Math.max(Math.abs(a - b), 1e-6)));
                double expected = weight * b + (1 - weight) * a;
                double ulp = Math.ulp((float) Math.max(Math.abs(a), Math.abs(b)));
                assertThat((double) got[k]).as("t=%s [%d] %s vs %s", t, k, a, b).isCloseTo(expected,
                        within(4 * ulp));
                between += weight > 0 && weight < 1 ? 1 : 0;
            }
            assertThat(between).as("elements with 0 < w < 1 at t=%s", t).isPositive();
        }
    }

    @Test
    void theThresholdIsRequiredAndNotNegative() {
        assertThatThrownBy(() -> NearSwap.INSTANCE.plan(new PlanRunner.Params(), 1))
                .isInstanceOf(ParameterException.class).hasMessageContaining("parameters.t");
        assertThatThrownBy(() -> NearSwap.INSTANCE.plan(new PlanRunner.Params().set("t", -0.1), 1))
                .isInstanceOf(ParameterException.class).hasMessageContaining("must be ≥ 0");
        assertThat(NearSwap.INSTANCE.signature().needsBase()).isTrue();
        assertThat(NearSwap.INSTANCE.signature().maxModels()).isEqualTo(1);
    }

    @Test
    void everyBackendThreadCountAndChunkSizeWritesTheSameBytes() throws Exception {
        BackendRuns.writeModels(dir, 0.004f);
        BackendRuns.assertSameBytes(dir, """
            merge_method: nearswap
            base_model: base
            models:
              - model: sft1
            parameters:
              t:
                - filter: mlp
                  value: [0.001, 0.01]
                - value: 0.004
            """, "nearswap");
    }

    /** The inputs as F64 tensors through the plan, narrowed to float for comparison. */
    private static float[] merge64(double t, float[] base, float[] other) {
        TensorPlan plan = NearSwap.INSTANCE.plan(new PlanRunner.Params().set("t", t), 1);
        MemorySegment out = PlanRunner.run(plan, f64(base), new Operand[] {f64(other)},
                new long[] {base.length}, DType.F64, 2);
        float[] r = new float[base.length];
        for (int k = 0; k < r.length; k++) {
            r[k] = (float) out.getAtIndex(ValueLayout.JAVA_DOUBLE_UNALIGNED, k);
        }
        return r;
    }

    private static Operand f64(float[] v) {
        double[] d = new double[v.length];
        for (int k = 0; k < v.length; k++) {
            d[k] = v[k];
        }
        return new Operand(MemorySegment.ofArray(d), DType.F64);
    }
}
