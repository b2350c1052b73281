package org.exmerge.method.sparse;

import static org.assertj.core.api.Assertions.assertThat;

import org.exmerge.method.PlanRunner;
import org.exmerge.method.TestParams;
import org.junit.jupiter.api.Test;

/** TIES and breadcrumbs on vectors small enough to work out on paper (base 0, so τ = x). */
class MagnitudeMethodsTest {
    static float[] ties(TestParams p, float[]... x) {
        return PlanRunner.run(SparseFamily.TIES, p, new float[x[0].length], x, 0);
    }

    @Test
    void tiesTrimsElectsAndAveragesTheAgreeingValues() {
        // density 0.5 of 4 → k = 2. Model 1: |τ| = [3, 1, 0.5, 2] → t = 2, keeps [3, _, _, 2].
        // Model 2: |τ| = [2, 2, 1, 2] → t = 2, and all three ties at t are kept: [−2, −2, _, 2].
        // e0: s = 1 → 3/1. e1: s = −2 → −2/1. e2: both dropped, s = 0 → σ = +1, nobody agrees → 0/1.
        // e3: 4/2.
        TestParams p = new TestParams(2).set("density", 0.5);
        assertThat(ties(p, new float[] {3, -1, 0.5f, 2}, new float[] {-2, -2, 1, 2})).containsExactly(3f, -2f, 0f, 2f);
    }

    @Test
    void tiesWeightsMultiplyBeforeElectionAndTheDivisorIsTheAgreeingWeights() {
        // density 1: no trim. w = [2, 1]: v = [2·1, 1·(−3)] = [2, −3] → σ = −1 → −3/1.
        // Second element: v = [2·1, 1·1] → 3/3 = 1.
        TestParams p = new TestParams(2).each("weight", 2, 1);
        assertThat(ties(p, new float[] {1, 1}, new float[] {-3, 1})).containsExactly(-3f, 1f);
        // normalize: false sums the agreeing values instead.
        assertThat(ties(p.set("normalize", false), new float[] {1, 1}, new float[] {-3, 1})).containsExactly(-3f, 3f);
    }

    @Test
    void densityZeroKeepsNothingAndDensityOneKeepsEverything() {
        float[] x = {1, -2, 3, -4};
        // k = floor(0.2·4) = 0: every τ dropped, out = base.
        assertThat(ties(new TestParams(1).set("density", 0.2), x)).containsExactly(0f, 0f, 0f, 0f);
        assertThat(ties(new TestParams(1).set("density", 1.0), x)).containsExactly(x);
        assertThat(ties(new TestParams(1).set("density", 3.0), x)).containsExactly(x);
    }

    @Test
    void tiesLambdaScalesTheMergedDeltaOntoTheBase() {
        float[] b = {1, 1};
        float[][] x = {{3, 0}};
        // τ = [2, −1], density 1, one model: m = τ; out = fma(0.5, m, b) = [2, 0.5].
        assertThat(PlanRunner.run(SparseFamily.TIES, new TestParams(1).set("lambda", 0.5), b, x, 0)).containsExactly(2f, 0.5f);
    }

    @Test
    void countConsensusIgnoresMagnitudes() {
        float[][] x = {{10}, {-1}, {-1}};
        assertThat(ties(new TestParams(3), x)).containsExactly(10f);
        assertThat(ties(new TestParams(3).set("consensus", "count"), x)).containsExactly(-1f);
    }

    @Test
    void tiesRescaleDividesTheKeptValuesByDensity() {
        // density 0.5 of 4 → keep 4 and 3; rescale divides them by 0.5.
        TestParams p = new TestParams(1).set("density", 0.5).set("rescale", true);
        assertThat(ties(p, new float[] {4, 1, -3, 2})).containsExactly(8f, 0f, -6f, 0f);
    }

    @Test
    void specialValuesFollowTheMagnitudeKeyOrder() {
        // Keys order NaN above ±inf above everything; k = 3 of 6 keeps NaN, inf and −inf.
        // One model: NaN's sum is not ≥ 0, so σ = −1 and NaN (which never agrees) leaves m = 0.
        float[] x = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -0f, 3f};
        assertThat(ties(new TestParams(1).set("density", 0.5), x))
                .containsExactly(0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, 0f, 0f);
        // Subnormals are values like any other: no flush to zero anywhere.
        float[] tiny = {Float.MIN_VALUE, 2 * Float.MIN_VALUE, 0f, -3 * Float.MIN_VALUE};
        assertThat(ties(new TestParams(1).set("density", 0.5), tiny)).containsExactly(0f, 2 * Float.MIN_VALUE, 0f, -3 * Float.MIN_VALUE);
        // Without election a kept NaN passes through.
        assertThat(PlanRunner.run(SparseFamily.DARE_LINEAR, new TestParams(1), new float[1], new float[][] {{Float.NaN}}, 0)[0]).isNaN();
    }

    static float[] breadcrumbs(TestParams p, float[] x) {
        return PlanRunner.run(SparseFamily.BREADCRUMBS, p, new float[x.length], new float[][] {x}, 0);
    }

    @Test
    void breadcrumbsDropsTheOutliersAndTheSmallValues() {
        float[] x = {10, -9, 8, 7, -6, 5, 4, 3, -2, 1};
        // N = 10, gamma 0.1 → n_top = 1 (t_hi = 10), density 0.5 → k = 5 (t_lo = the 6th largest = 5).
        TestParams p = new TestParams(1).set("gamma", 0.1).set("density", 0.5);
        assertThat(breadcrumbs(p, x)).containsExactly(0f, -9f, 8f, 7f, -6f, 5f, 0f, 0f, 0f, 0f);
    }

    @Test
    void breadcrumbsWithGammaZeroDropsNoOutliers() {
        float[] x = {10, -9, 8, 7, -6, 5, 4, 3, -2, 1};
        TestParams p = new TestParams(1).set("gamma", 0.0).set("density", 0.3);
        assertThat(breadcrumbs(p, x)).containsExactly(10f, -9f, 8f, 0f, 0f, 0f, 0f, 0f, 0f, 0f);
    }

    @Test
    void breadcrumbsDropsEveryTieAtTheUpperThresholdAndKeepsEveryTieAtTheLower() {
        // n_top = 1 → t_hi = 10: both 10s go. k = 3 → t_lo = the 4th largest = 8: all three 8s stay.
        float[] x = {10, -10, 8, 8, -8, 1, 1, 1, 1, 1};
        TestParams p = new TestParams(1).set("gamma", 0.1).set("density", 0.3);
        assertThat(breadcrumbs(p, x)).containsExactly(0f, 0f, 8f, 8f, -8f, 0f, 0f, 0f, 0f, 0f);
    }

    @Test
    void breadcrumbsDropsFewerOutliersWhenGammaPlusDensityExceedsOne() {
        // gamma 0.5 + density 0.8 of 10: as mergekit, n_top shrinks to 10 − 8 = 2 so the band holds 8.
        float[] x = {10, -9, 8, 7, -6, 5, 4, 3, -2, 1};
        TestParams p = new TestParams(1).set("gamma", 0.5).set("density", 0.8);
        assertThat(breadcrumbs(p, x)).containsExactly(0f, 0f, 8f, 7f, -6f, 5f, 4f, 3f, -2f, 1f);
    }

    @Test
    void breadcrumbsTiesElectsSigns() {
        // gamma 0 keeps the top half; v = [4, −3] at e0 → σ = + → 4 (no normalize by default).
        float[][] x = {{4, 0.1f}, {-3, 0.2f}};
        TestParams p = new TestParams(2).set("gamma", 0.0).set("density", 0.5);
        float[] out = PlanRunner.run(SparseFamily.BREADCRUMBS_TIES, p, new float[2], x, 0);
        assertThat(out).containsExactly(4f, 0f);
    }
}
