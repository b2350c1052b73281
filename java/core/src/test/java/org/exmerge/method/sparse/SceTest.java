package org.exmerge.method.sparse;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.exmerge.format.DType;
import org.exmerge.method.PlanRunner;
import org.exmerge.method.TestParams;
import org.junit.jupiter.api.Test;

/**
 * sce on small tensors worked out by hand, and against a literal float64 reading of mergekit's
 * sce_merge (top-k by a full sort, every tie at the k-th variance kept, as exmerge defines it).
 */
class SceTest {
    static final float[] BASE = {10, 10, 10, 10};
    // τ1 = (1, −1, 1, 1), τ2 = (2, 2, −2, 0): Σ τ1² = 4, Σ τ2² = 12, so the mean squares 1 and 3 give
    // the weights 0.25 and 0.75 (sum 4 ≥ 1e-6).
    static final float[][] MODELS = {{11, 9, 11, 11}, {12, 12, 8, 10}};

    static float[] sce(float[] base, float[][] xs, double topk) {
        return PlanRunner.run(Sce.INSTANCE, new TestParams(xs.length).set("select_topk", topk), base, xs, 0);
    }

    @Test
    void keepingEverythingElectsByTheUnweightedSumAndAveragesTheAgreeingWeights() {
        // e0: τ = (1, 2), sum 3 ≥ 0: both agree, (0.25·1 + 0.75·2) / (0.25 + 0.75) = 1.75.
        // e1: τ = (−1, 2), sum 1: model 2 alone, 0.75·2 / 0.75 = 2.
        // e2: τ = (1, −2), sum −1: model 2 alone, −2.
        // e3: τ = (1, 0), sum 1: model 1 alone (a zero never agrees), 0.25·1 / 0.25 = 1.
        assertThat(sce(BASE, MODELS, 1.0)).containsExactly(11.75f, 12f, 8f, 11f);
    }

    @Test
    void selectTopkKeepsTheLargestVariancesWithEveryTieAtTheThreshold() {
        // Variances (population): e0 (1, 2) → 0.25, e1 (−1, 2) → 2.25, e2 (1, −2) → 2.25, e3 (1, 0) → 0.25.
        // select_topk 0.5: k = floor(0.5 · 4 nonzero) = 2 keeps e1 and e2. τ̂1 = (0, −1, 1, 0), τ̂2 = (0, 2, −2, 0):
        // mean squares 0.5 and 2, weights 0.2 and 0.8; e1 → 0.8·2 / 0.8 = 2, e2 → −2; e0 and e3 are zero in
        // every model, nothing agrees, the divisor is clamped to 1e-6 and the base stays.
        float[] want = {10, 12, 8, 10};
        assertThat(sce(BASE, MODELS, 0.5)).containsExactly(want);
        // k = 1: the largest variance 2.25 is held by e1 and e2 alike; both are kept (torch.topk keeps one).
        assertThat(sce(BASE, MODELS, 0.25)).containsExactly(want);
        // k = floor(0.2 · 4) = 0 keeps nothing, and select_topk 0 likewise: the base.
        assertThat(sce(BASE, MODELS, 0.2)).containsExactly(BASE);
        assertThat(sce(BASE, MODELS, 0)).containsExactly(BASE);
    }

    @Test
    void zeroVariancesAreNeitherCountedNorKept() {
        // e0 and e1 have equal task vectors in both models (variance exactly 0), e2 and e3 do not.
        // nonzero = 2, select_topk 0.9 → k = floor(1.8) = 1: only e3 (τ = (4, −4), variance 16) is kept;
        // weights: both mean squares are 16/4 = 4, so 0.5 each; sum 0 ≥ 0 elects +, model 1 alone: 4.
        float[] base = {0, 0, 0, 0};
        float[][] xs = {{3, -1, 1, 4}, {3, -1, 2, -4}};
        assertThat(sce(base, xs, 0.9)).containsExactly(0f, 0f, 0f, 4f);
    }

    @Test
    void smallTaskVectorsGetUniformWeightsAsMergekitsFloorSays() {
        // τ1 = (1e-3, …), τ2 = (3e-3, …): mean squares 1e-6 and 9e-6 sum to 1e-5 ≥ 1e-6, weights 0.1 / 0.9;
        // scaled by 1/10 the sum is 1e-7 < 1e-6 and the weights become 0.5 / 0.5. One element where the
        // models disagree in sign shows the weights: sum = τ1 + τ2 > 0 so model 2 alone counts either
        // way; an element where both agree gives the weighted mean.
        float[] base = {0, 0};
        float big = 1e-3f;
        float[][] xs = {{big, big}, {3 * big, -3 * big}};
        // Weights from Σ τ² / 2 per model: (2e-6)/2 = 1e-6, (18e-6)/2 = 9e-6 → 0.1, 0.9.
        // e0: agree both: (0.1·1e-3 + 0.9·3e-3) / 1.0 = 2.8e-3; e1: sum −2e-3 < 0: model 2 alone, −3e-3.
        float[] got = sce(base, xs, 1);
        assertThat(got[0]).isCloseTo(2.8e-3f, org.assertj.core.data.Offset.offset(1e-9f));
        assertThat(got[1]).isCloseTo(-3e-3f, org.assertj.core.data.Offset.offset(1e-9f));
        float small = 1e-4f;
        float[][] tiny = {{small, small}, {3 * small, -3 * small}};
        // Uniform 0.5 / 0.5: e0 (0.5·1e-4 + 0.5·3e-4) / 1 = 2e-4.
        assertThat(sce(base, tiny, 1)[0]).isCloseTo(2e-4f, org.assertj.core.data.Offset.offset(1e-10f));
    }

    @Test
    void oneModelKeepsItsTaskVectorOrWithSelectionNothing() {
        float[] base = {1, 2, 3};
        float[][] one = {{2, 2, 1}};
        assertThat(sce(base, one, 1)).containsExactly(2f, 2f, 1f);
        // One model has zero variance everywhere: nothing is selected.
        assertThat(sce(base, one, 0.5)).containsExactly(1f, 2f, 3f);
    }

    @Test
    void equalsALiteralFloat64ReadingOfMergekit() {
        for (int n : new int[] {1, 17, 1023, 4097, 70_000}) {
            for (double topk : new double[] {1.0, 0.7, 0.1}) {
                SplittableRandom r = new SplittableRandom(n * 31L + (long) (topk * 10));
                int m = 3;
                float[] b = new float[n];
                float[][] xs = new float[m][n];
                for (int j = 0; j < n; j++) {
                    b[j] = (float) r.nextDouble(-1, 1);
                    for (int i = 0; i < m; i++) {
                        xs[i][j] = b[j] + (float) r.nextDouble(-0.05, 0.05);
                    }
                }
                float[] got = PlanRunner.run(Sce.INSTANCE.plan(new TestParams(m).set("select_topk", topk), m), b, xs,
                        new long[] {n}, DType.F32, DType.F32, 0, 1000);
                double[] want = oracle(b, xs, topk);
                for (int j = 0; j < n; j++) {
                    assertThat((double) got[j]).as("n %d topk %s element %d", n, topk, j).isCloseTo(want[j],
                            org.assertj.core.data.Offset.offset(1e-6));
                }
            }
        }
    }

    /** mergekit's sce_merge in float64, read line by line, with the variance top-k by a sort. */
    static double[] oracle(float[] b, float[][] xs, double topk) {
        int m = xs.length;
        int n = b.length;
        double[][] tv = new double[m][n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                tv[i][j] = (double) xs[i][j] - b[j];
            }
        }
        if (topk < 1) {
            double[] var = new double[n];
            for (int j = 0; j < n; j++) {
                double mu = 0;
                for (int i = 0; i < m; i++) {
                    mu += tv[i][j];
                }
                mu /= m;
                for (int i = 0; i < m; i++) {
                    var[j] += (tv[i][j] - mu) * (tv[i][j] - mu);
                }
                var[j] /= m;
            }
            double[] nonzero = Arrays.stream(var).filter(v -> v != 0).sorted().toArray();
            int k = (int) (nonzero.length * topk);
            double t = k == 0 ? Double.POSITIVE_INFINITY : nonzero[nonzero.length - k];
            for (int j = 0; j < n; j++) {
                if (!(var[j] >= t)) {
                    for (int i = 0; i < m; i++) {
                        tv[i][j] = 0;
                    }
                }
            }
        }
        double[] w = new double[m];
        double sum = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                w[i] += tv[i][j] * tv[i][j];
            }
            w[i] /= n;
            sum += w[i];
        }
        for (int i = 0; i < m; i++) {
            w[i] = Math.abs(sum) < 1e-6 ? 1.0 / m : w[i] / sum;
        }
        double[] out = new double[n];
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int i = 0; i < m; i++) {
                s += tv[i][j];
            }
            double sign = s >= 0 ? 1 : -1;
            double mixed = 0;
            double div = 0;
            for (int i = 0; i < m; i++) {
                if (Math.signum(tv[i][j]) == sign) {
                    mixed += tv[i][j] * w[i];
                    div += w[i];
                }
            }
            out[j] = b[j] + mixed / Math.max(div, 1e-6);
        }
        return out;
    }

    @Test
    void theDryRunSaysWhatIsKept() {
        assertThat(Sce.INSTANCE.plan(new TestParams(2).set("select_topk", 0.3), 2).describe()).isEqualTo("select_topk=0.3");
        assertThat(Sce.INSTANCE.plan(new TestParams(2), 2).describe()).isEqualTo("select_topk=1");
    }
}
