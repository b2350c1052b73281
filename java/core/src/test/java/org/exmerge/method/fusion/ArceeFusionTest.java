package org.exmerge.method.fusion;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.exmerge.format.DType;
import org.exmerge.method.PlanRunner;
import org.exmerge.method.TestParams;
import org.junit.jupiter.api.Test;

/**
 * arcee_fusion on small tensors worked out by hand, and against a literal float64 reading of
 * mergekit's _arcee_fusion_merge with exact quantiles (no sampling).
 */
class ArceeFusionTest {

    static float[] fuse(float[] base, float[] x, long... shape) {
        return PlanRunner.run(ArceeFusion.INSTANCE.plan(new TestParams(1), 1), base, new float[][] {x}, shape, DType.F32,
                DType.F32, 0, 3);
    }

    @Test
    void onlyOutliersOfImportanceAboveMedianPlusOneAndAHalfIqrTakeTheModel() {
        // One row, so one KL value κ > 0 scales every |τ|: |τ| = (3, 100, 1, 4, 2) sorted is (1, 2, 3, 4, 100);
        // N − 1 = 4: q1 at index 1 → 2κ, median at 2 → 3κ, q3 at 3 → 4κ; threshold 3κ + 1.5·2κ = 6κ.
        // Only |τ| = 100 reaches it: element 1 takes the model's value, the rest keep the base's.
        float[] base = {1, 2, 3, 4, 5};
        float[] x = {-2, 102, 4, 0, 7};
        assertThat(fuse(base, x, 5)).containsExactly(1f, 102f, 3f, 4f, 5f);
    }

    @Test
    void aRowShiftedAsAWholeHasNoImportance() {
        // Row 0 is the base plus 5 everywhere: softmax ignores a shift, the KL is exactly 0, so its
        // importances are 0 however large τ is. Row 1 differs in one element: importances (0, 0, 0, κ).
        // Sorted (0 ×7, κ), N − 1 = 7: q1 (index 1), median (3) and q3 (5) are all 0, the threshold is 0,
        // and every importance reaches 0 (≥): the output is the model, as mergekit's is.
        float[] base = {0, 1, 2, 3, 0, 1, 2, 3};
        float[] x = {5, 6, 7, 8, 0, 1, 2, 4};
        assertThat(fuse(base, x, 2, 4)).containsExactly(x);
        // A third row τ = (9, 1, 1, 1) makes five nonzero importances of twelve: q1 (index 2) and the median
        // (index 5) stay 0 but q3 (index 8) is the second smallest nonzero one, so the threshold 1.5·q3 is
        // above 0 and the shifted row (importance 0) returns to the base, while the row's largest
        // importance, 9κ₂ (its other three κ₂ tie and cannot all lie below q3), is above it.
        float[] base3 = {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3};
        float[] x3 = {5, 6, 7, 8, 0, 1, 2, 4, 9, 2, 3, 4};
        float[] got = fuse(base3, x3, 3, 4);
        assertThat(Arrays.copyOfRange(got, 0, 4)).containsExactly(0f, 1f, 2f, 3f);
        assertThat(got[8]).isEqualTo(9f);
    }

    @Test
    void identicalModelsGiveTheBase() {
        float[] base = {0.5f, -1, 2};
        assertThat(fuse(base, base.clone(), 3)).containsExactly(base);
    }

    @Test
    void equalsALiteralFloat64ReadingOfMergekit() {
        int[][] shapes = {{1}, {7}, {4, 33}, {64, 130}, {3, 70_000}};
        for (int[] shape : shapes) {
            int rowLen = shape[shape.length - 1];
            int n = Arrays.stream(shape).reduce(1, (a, c) -> a * c);
            SplittableRandom r = new SplittableRandom(n);
            float[] b = new float[n];
            float[] x = new float[n];
            for (int j = 0; j < n; j++) {
                b[j] = (float) r.nextGaussian();
                x[j] = b[j] + (float) (r.nextGaussian() * (r.nextInt(10) == 0 ? 0.5 : 0.01));
            }
            long[] sh = Arrays.stream(shape).mapToLong(v -> v).toArray();
            float[] got = PlanRunner.run(ArceeFusion.INSTANCE.plan(new TestParams(1), 1), b, new float[][] {x}, sh,
                    DType.F32, DType.F32, 0, 4096);
            double[] imp = new double[n];
            double thr = oracle(b, x, rowLen, imp);
            int near = 0;
            for (int j = 0; j < n; j++) {
                if (Math.abs(imp[j] - thr) <= 1e-5 * Math.abs(thr)) {
                    near++; // float32 importances may fall either side of a threshold this close
                    continue;
                }
                float want = imp[j] >= thr ? b[j] + (x[j] - b[j]) : b[j];
                assertThat(got[j]).as("shape %s element %d importance %s threshold %s", Arrays.toString(shape), j,
                        imp[j], thr).isEqualTo(want);
            }
            assertThat(near).as("elements within rounding of the threshold").isLessThanOrEqualTo(2);
        }
    }

    /** mergekit's importance and threshold in float64 (exact quantiles by a sort); fills imp, returns the threshold. */
    static double oracle(float[] b, float[] x, int rowLen, double[] imp) {
        int n = b.length;
        for (int r0 = 0; r0 < n; r0 += rowLen) {
            double[] p = softmax(x, r0, rowLen);
            double[] q = softmax(b, r0, rowLen);
            double kl = 0;
            for (int j = 0; j < rowLen; j++) {
                double pj = p[j] + 1e-8;
                double qj = q[j] + 1e-8;
                kl += pj * Math.log(pj / qj);
            }
            for (int j = 0; j < rowLen; j++) {
                imp[r0 + j] = Math.abs((double) x[r0 + j] - b[r0 + j]) * kl;
            }
        }
        double[] sorted = imp.clone();
        Arrays.sort(sorted);
        double q1 = sorted[(int) (0.25 * (n - 1))];
        double med = sorted[(int) (0.5 * (n - 1))];
        double q3 = sorted[(int) (0.75 * (n - 1))];
        return med + 1.5 * (q3 - q1);
    }

    static double[] softmax(float[] v, int from, int len) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < len; j++) {
            max = Math.max(max, v[from + j]);
        }
        double[] e = new double[len];
        double z = 0;
        for (int j = 0; j < len; j++) {
            e[j] = Math.exp(v[from + j] - max);
            z += e[j];
        }
        for (int j = 0; j < len; j++) {
            e[j] /= z;
        }
        return e;
    }
}
