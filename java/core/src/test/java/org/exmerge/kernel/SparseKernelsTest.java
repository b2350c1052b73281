package org.exmerge.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.exmerge.format.DType;
import org.exmerge.numeric.MagnitudeSelect;
import org.exmerge.numeric.Philox4x32;
import org.exmerge.testing.TestModels;
import org.junit.jupiter.api.Test;

/** Hand-computed cases of the fused sparsify-and-elect kernel: every rule of numerics §3 on small vectors. */
class SparseKernelsTest {
    private final Kernels k = new JavaKernels();
    private static final long SEED = 42;
    private static final int TID = 7;

    static Operand f32(float... v) {
        return new Operand(TestModels.encode(DType.F32, v), DType.F32);
    }

    static float[] merge(Kernels k, SparseOp op, float[] b, float[]... xs) {
        Operand[] in = new Operand[xs.length];
        for (int i = 0; i < xs.length; i++) {
            in[i] = f32(xs[i]);
        }
        Operand out = new Operand(MemorySegment.ofArray(new byte[4 * Math.max(1, b.length)]), DType.F32);
        k.sparseMerge(op, in, f32(b), out, 0, b.length);
        float[] r = new float[b.length];
        for (int j = 0; j < r.length; j++) {
            r[j] = TestModels.get(out.segment(), DType.F32, j);
        }
        return r;
    }

    static SparseOp plain(int election, boolean normalize, float... w) {
        return SparseOp.plain(w, election, normalize, 1f, 1f, SEED, TID);
    }

    static long[] keys(float... t) {
        long[] k = new long[t.length];
        for (int i = 0; i < t.length; i++) {
            k[i] = MagnitudeSelect.key(t[i]);
        }
        return k;
    }

    static long[] noUpper(int m) {
        long[] b = new long[m];
        Arrays.fill(b, SparseOp.NO_UPPER);
        return b;
    }

    @Test
    void magnitudeBandThenSumElectionThenNormalize() {
        // Keep |τ| ≥ 1: v1 = [3, −1, 0, 2], v2 = [−2, −2, 1, 2].
        // e0: s = 1 → + → only v1 agrees → 3/1. e1: s = −3 → both → −3/2. e2: v1 is a dropped zero and
        // never agrees → 1/1. e3: 4/2.
        SparseOp op = plain(SparseOp.ELECT_SUM, true, 1f, 1f).withBand(keys(1f, 1f), noUpper(2));
        float[] out = merge(k, op, new float[4], new float[] {3, -1, 0.5f, 2}, new float[] {-2, -2, 1, 2});
        assertThat(out).containsExactly(3f, -1.5f, 1f, 2f);
    }

    @Test
    void electionTieGoesPositiveForSumAndCount() {
        // s = 1 + (−1) = 0 → σ = +1: only the positive value agrees.
        for (int e : new int[] {SparseOp.ELECT_SUM, SparseOp.ELECT_COUNT}) {
            assertThat(merge(k, plain(e, true, 1f, 1f), new float[] {0}, new float[] {1}, new float[] {-1}))
                    .as("election %d", e).containsExactly(1f);
        }
    }

    @Test
    void countAndSumCanElectDifferentSigns() {
        float[] b = {0};
        float[][] x = {{10}, {-1}, {-1}};
        // sum: s = 8 → + → 10/1; count: +1 −1 −1 = −1 → − → (−1 − 1)/2.
        assertThat(merge(k, plain(SparseOp.ELECT_SUM, true, 1f, 1f, 1f), b, x)).containsExactly(10f);
        assertThat(merge(k, plain(SparseOp.ELECT_COUNT, true, 1f, 1f, 1f), b, x)).containsExactly(-1f);
    }

    /** Ram's op (method/sparse/Ram): unit weights, keep |τ| > eps, NaN's key excluded, no sign elected. */
    static SparseOp kept(boolean normalize, int models, float eps) {
        float[] ones = new float[models];
        Arrays.fill(ones, 1f);
        long[] from = new long[models];
        long[] below = new long[models];
        Arrays.fill(from, MagnitudeSelect.key(eps) + 1L);
        Arrays.fill(below, MagnitudeSelect.NAN_KEY);
        return SparseOp.plain(ones, SparseOp.ELECT_KEPT, normalize, 1f, 1f, SEED, TID).withBand(from, below);
    }

    @Test
    void keptElectionAveragesEveryNonzeroValueWhateverItsSign() {
        float[] b = {1, 1, 1, 1, 1, 1, -0f};
        float[][] x = {
            {4, 1.25f, 1.5f, Float.NaN, Float.POSITIVE_INFINITY, 4, 0},
            {-1, 3, 0.5f, 3, Float.NEGATIVE_INFINITY, -2, 0},
            {1.75f, 1, 1, 1, 2, 1, 0},
        };
        // τ: e0 (3, −2, 0.75) all kept; e1 (0.25 dropped, 2 alone); e2 (0.5 and −0.5: not above 0.5, and
        // 0); e3 (NaN dropped, 2, 0); e4 (inf, −inf, 1: NaN); e5 (3, −3, 0 → +0); e6 (all zero; b = −0).
        assertThat(merge(k, kept(true, 3, 0.5f), b, x))
                .containsExactly(1 + 1.75f / 3, 3f, 1f, 3f, Float.NaN, 1f, 0f);
        assertThat(merge(k, kept(false, 3, 0.5f), b, x))
                .containsExactly(2.75f, 3f, 1f, 3f, Float.NaN, 1f, 0f);
        // Kept zeros and NaNs (no band at all) still never agree: the same as dropping them.
        SparseOp all = kept(true, 3, 0.5f).withBand(new long[3], noUpper(3));
        assertThat(merge(k, all, new float[] {1, 1}, new float[] {1, Float.NaN}, new float[] {3, 2}, new float[] {1, 1}))
                .containsExactly(3f, 2f);
    }

    @Test
    void keptElectionWeighsAndCountsLikeTheOtherElections() {
        // w = [2, −1], τ = [1, 3] → v = [2, −3]: both agree, m = −1, d = 1; sum elects − (3 / −1);
        // count ties at 0 → + (2 / 2). A zero weight gives v = ±0, which never agrees.
        float[] b = {0};
        assertThat(merge(k, plain(SparseOp.ELECT_KEPT, true, 2f, -1f), b, new float[] {1}, new float[] {3}))
                .containsExactly(-1f);
        assertThat(merge(k, plain(SparseOp.ELECT_SUM, true, 2f, -1f), b, new float[] {1}, new float[] {3}))
                .containsExactly(3f);
        assertThat(merge(k, plain(SparseOp.ELECT_COUNT, true, 2f, -1f), b, new float[] {1}, new float[] {3}))
                .containsExactly(1f);
        assertThat(merge(k, plain(SparseOp.ELECT_KEPT, true, 0f, 1f), b, new float[] {5}, new float[] {-4}))
                .containsExactly(-4f);
        // All dropped: divisor 0 → 1, out = b.
        SparseOp none = plain(SparseOp.ELECT_KEPT, true, 1f, 1f).withBand(new long[] {MagnitudeSelect.NONE, 0}, noUpper(2));
        assertThat(merge(k, none, new float[] {0.25f}, new float[] {3}, new float[] {0.25f})).containsExactly(0.25f);
        assertThatThrownBy(() -> plain(5, true, 1f)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("election mode 5");
        assertThatThrownBy(() -> plain(-1, true, 1f)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("election mode -1");
    }

    /** RamPlus's op (method/sparse/RamPlus): KEPT's band, ELECT_LONE, the weights λ_i for lone values only. */
    static SparseOp lone(boolean normalize, float eps, float... lambda) {
        int m = lambda.length;
        long[] from = new long[m];
        long[] below = new long[m];
        Arrays.fill(from, MagnitudeSelect.key(eps) + 1L);
        Arrays.fill(below, MagnitudeSelect.NAN_KEY);
        return SparseOp.plain(lambda, SparseOp.ELECT_LONE, normalize, 1f, 1f, SEED, TID).withBand(from, below);
    }

    // τ = x − b with b = 1 (−0 at e6), kept where |τ| > 0.5:
    // e0 (3, −2, 0.75) all three; e1 (0.25 dropped, 2 alone, 0); e2 (0.5 and −0.5 not above 0.5, 0);
    // e3 (NaN dropped, 2 alone, 0); e4 (inf, −inf, 1: NaN); e5 (3, −3, 0 → +0); e6 all zero (b = −0);
    // e7 (4 alone, 0, 0); e8 (0, 0, −1.5 alone).
    private static final float[] LONE_B = {1, 1, 1, 1, 1, 1, -0f, 1, 1};
    private static final float[][] LONE_X = {
        {4, 1.25f, 1.5f, Float.NaN, Float.POSITIVE_INFINITY, 4, 0, 5, 1},
        {-1, 3, 0.5f, 3, Float.NEGATIVE_INFINITY, -2, 0, 1, 1},
        {1.75f, 1, 1, 1, 2, 1, 0, 1, -0.5f},
    };

    @Test
    void loneElectionWeighsOnlyTheValuesOneModelKeepsAndAveragesTheRest() {
        // λ = [2, 0.5, 3] applies where one value is kept (e1, e3: 0.5 · 2; e7: 2 · 4; e8: 3 · −1.5);
        // shared values are summed unweighted and divided by their count.
        assertThat(merge(k, lone(true, 0.5f, 2f, 0.5f, 3f), LONE_B, LONE_X))
                .containsExactly(1 + 1.75f / 3, 2f, 1f, 2f, Float.NaN, 1f, 0f, 9f, -3.5f);
        assertThat(merge(k, lone(false, 0.5f, 2f, 0.5f, 3f), LONE_B, LONE_X))
                .containsExactly(2.75f, 2f, 1f, 2f, Float.NaN, 1f, 0f, 9f, -3.5f);
        // Unit weights: ram's op and bytes exactly.
        assertThat(merge(k, lone(true, 0.5f, 1f, 1f, 1f), LONE_B, LONE_X))
                .containsExactly(merge(k, kept(true, 3, 0.5f), LONE_B, LONE_X));
        // The lone value times λ is one float32 multiply, rounded, then added to b (not one fma):
        // λ = τ = 1 + 2^-12, b = −1: λ·τ rounds to 1 + 2^-11 (the 2^-24 is a tie, to even), out 2^-11,
        // where fma(λ, τ, b) would keep 2^-11 + 2^-24.
        float lam = 1f + 0x1p-12f;
        float[] fused = merge(k, lone(true, 0.5f, lam), new float[] {-1f}, new float[] {0x1p-12f});
        assertThat(fused).containsExactly(0x1p-11f);
        assertThat(fused[0]).isNotEqualTo(Math.fma(lam, lam, -1f));
        // A zero weight still counts as a value (values are unweighted): the lone value becomes +0.
        assertThat(merge(k, lone(true, 0.5f, 0f, 1f), new float[] {1}, new float[] {4}, new float[] {1}))
                .containsExactly(1f);
    }

    @Test
    void keptCountsSplitEachModelsKeptValuesIntoSharedAndLone() {
        Operand[] xs = new Operand[3];
        for (int i = 0; i < 3; i++) {
            xs[i] = f32(LONE_X[i]);
        }
        Operand b = f32(LONE_B);
        // model 0: shared e0 e4 e5, lone e7; model 1: shared e0 e4 e5, lone e1 e3; model 2: shared e0 e4, lone e8.
        long[] want = {3, 1, 3, 2, 2, 1};
        long[] counts = {10, 20, 30, 40, 50, 60}; // added to
        k.keptCounts(lone(true, 0.5f, 2f, 0.5f, 3f), xs, b, 0, LONE_B.length, counts);
        assertThat(counts).containsExactly(13, 21, 33, 42, 52, 61);
        // Any cut adds up to the same; the weights play no part under ELECT_LONE.
        long[] cut = new long[6];
        for (int s = 0; s < LONE_B.length; s += 4) {
            k.keptCounts(lone(true, 0.5f, 0f, -1f, 9f), xs, b, s, Math.min(4, LONE_B.length - s), cut);
        }
        assertThat(cut).containsExactly(want);
        // Other elections count their weighted values: unit weights count as LONE does; a zero weight
        // makes model 0's values +0 (or NaN: 0 · inf), never kept.
        long[] weighted = new long[6];
        k.keptCounts(kept(true, 3, 0.5f), xs, b, 0, LONE_B.length, weighted);
        assertThat(weighted).containsExactly(want);
        SparseOp ram = kept(true, 3, 0.5f);
        SparseOp zeroFirst = SparseOp.plain(new float[] {0f, 1f, 1f}, SparseOp.ELECT_KEPT, true, 1f, 1f, SEED, TID)
                .withBand(ram.keepFrom(), ram.keepBelow());
        long[] zeroed = new long[6];
        k.keptCounts(zeroFirst, xs, b, 0, LONE_B.length, zeroed);
        // model 1: shared e0 e4 (with model 2), lone e1 e3 e5; model 2: shared e0 e4, lone e8
        assertThat(zeroed).containsExactly(0, 0, 2, 3, 2, 1);
        assertThatThrownBy(() -> k.keptCounts(lone(true, 0.5f, 1f, 1f, 1f), xs, b, 0, 1, new long[5]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("kept counts need 6 entries");
        assertThatThrownBy(() -> k.keptCounts(lone(true, 0.5f, 1f, 1f, 1f), xs, b, 0, -1, new long[6]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> k.keptCounts(lone(true, 0.5f, 1f, 1f), xs, b, 0, 1, new long[6]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3 inputs for 2 models");
    }

    @Test
    void aZeroDivisorBecomesOne() {
        // w = [1, −1], τ = [2, −3] → v = [2, 3]; both agree; Σ agreeing w = 0 → divide by 1.
        assertThat(merge(k, plain(SparseOp.ELECT_SUM, true, 1f, -1f), new float[] {1}, new float[] {3}, new float[] {-2}))
                .containsExactly(6f);
        // Nobody agrees (all dropped): m = 0, divisor 0 → 1, out = b.
        SparseOp none = plain(SparseOp.ELECT_SUM, true, 1f, 1f).withBand(new long[] {MagnitudeSelect.NONE, MagnitudeSelect.NONE}, noUpper(2));
        assertThat(merge(k, none, new float[] {0.25f}, new float[] {3}, new float[] {-2})).containsExactly(0.25f);
    }

    @Test
    void withoutElectionEverythingIsSummedAndDividedBySumOfWeights() {
        // v = [0.5·2, 1.5·4] = [1, 6]; m = 7 / 2 = 3.5; out = fma(0.5, 3.5, 1) = 2.75.
        SparseOp op = SparseOp.plain(new float[] {0.5f, 1.5f}, SparseOp.ELECT_NONE, true, 2f, 0.5f, SEED, TID);
        assertThat(merge(k, op, new float[] {1}, new float[] {3}, new float[] {5})).containsExactly(2.75f);
    }

    @Test
    void weightingIsAPlainMultiplyAndTheSumIsRoundedEachStep() {
        // v_i = w·τ rounded, then added: differs from an fma chain where the first product is exact.
        float w = 1.0f + 0x1p-12f;
        float x = 1.0f + 0x1p-12f;
        SparseOp op = SparseOp.plain(new float[] {w, -w}, SparseOp.ELECT_NONE, false, 1f, 1f, SEED, TID);
        assertThat(merge(k, op, new float[] {0}, new float[] {x}, new float[] {x})).containsExactly(0f);
    }

    @Test
    void bandKeepsTiesAtTheLowerBoundAndDropsTiesAtTheUpper() {
        // Keep 1 ≤ |τ| < 3: τ = [3, −3, 2, 1, −1, 0.5].
        SparseOp op = plain(SparseOp.ELECT_NONE, false, 1f).withBand(keys(1f), keys(3f));
        assertThat(merge(k, op, new float[6], new float[] {3, -3, 2, 1, -1, 0.5f}))
                .containsExactly(0f, 0f, 2f, 1f, -1f, 0f);
    }

    @Test
    void randomDropKeepsWhereTheUniformIsBelowDensityAndDividesByIt() {
        int n = 64;
        float[] x = new float[n];
        for (int j = 0; j < n; j++) {
            x[j] = j + 1;
        }
        SparseOp op = plain(SparseOp.ELECT_NONE, false, 1f).withFixedProb(new float[] {0.5f}).withDivisor(new float[] {0.5f}, false);
        float[] out = merge(k, op, new float[n], x);
        int kept = 0;
        for (int j = 0; j < n; j++) {
            boolean keep = Philox4x32.uniform(SEED, j, TID, 0) < 0.5f;
            kept += keep ? 1 : 0;
            assertThat(out[j]).as("j=%d", j).isEqualTo(keep ? x[j] / 0.5f : 0f);
        }
        assertThat(kept).isBetween(1, n - 1);
    }

    @Test
    void theModelIndexSelectsTheRandomStream() {
        int n = 256;
        float[] ones = new float[n];
        Arrays.fill(ones, 1f);
        SparseOp op = plain(SparseOp.ELECT_NONE, false, 1f, 2f).withFixedProb(new float[] {0.5f, 0.5f});
        float[] out = merge(k, op, new float[n], ones, ones);
        for (int j = 0; j < n; j++) {
            float expect = (Philox4x32.uniform(SEED, j, TID, 0) < 0.5f ? 1f : 0f) + (Philox4x32.uniform(SEED, j, TID, 1) < 0.5f ? 2f : 0f);
            assertThat(out[j]).as("j=%d", j).isEqualTo(expect);
        }
    }

    @Test
    void rankedProbabilitiesRiseWithTheMagnitudeRankInEachRow() {
        // Rows of 4: τ = [0.1, −0.4, 0.2, 0.3 | 0.2, −0.2, 0.2, 0] → ranks [1, 4, 2, 3 | 2, 3, 4, 1] (ties by index).
        float[] x = {0.1f, -0.4f, 0.2f, 0.3f, 0.2f, -0.2f, 0.2f, 0f};
        int[] rank = {1, 4, 2, 3, 2, 3, 4, 1};
        double low = 0.5 - 0.1;
        SparseOp op = plain(SparseOp.ELECT_NONE, false, 1f)
                .withRankedProb(4, new double[] {low}, new double[] {2 * 0.1}, new float[] {0.6f})
                .withDivisor(new float[] {1f}, true);
        assertThat(op.rankProb(0, 1, 4)).isEqualTo((float) low);
        assertThat(op.rankProb(0, 4, 4)).isEqualTo((float) (low + 0.2));
        assertThat(op.rankProb(0, 1, 1)).isEqualTo(0.6f);
        float[] out = merge(k, op, new float[x.length], x);
        for (int j = 0; j < x.length; j++) {
            float p = (float) (low + 0.2 * (rank[j] - 1) / 3.0);
            boolean keep = Philox4x32.uniform(SEED, j, TID, 0) < p;
            assertThat(out[j]).as("j=%d", j).isEqualTo(keep ? x[j] / p : 0f);
        }
    }

    @Test
    void nanNeverAgreesAndZerosNeverAgree() {
        // v = [NaN, 1]: s = NaN, not ≥ 0 → σ = −1; neither agrees → m = 0 → out = b.
        assertThat(merge(k, plain(SparseOp.ELECT_SUM, true, 1f, 1f), new float[] {2}, new float[] {Float.NaN}, new float[] {3}))
                .containsExactly(2f);
        // count: NaN counts 0, so c = +1 → σ = +1 and 1 agrees.
        assertThat(merge(k, plain(SparseOp.ELECT_COUNT, true, 1f, 1f), new float[] {2}, new float[] {Float.NaN}, new float[] {3}))
                .containsExactly(3f);
    }

    @Test
    void outputIsNarrowedOnceAndF64OutputIsExact() {
        SparseOp op = plain(SparseOp.ELECT_NONE, false, 1f);
        float v = 1.0f + 0x1p-20f;
        Operand bf = new Operand(MemorySegment.ofArray(new byte[2]), DType.BF16);
        k.sparseMerge(op, new Operand[] {f32(v)}, f32(0), bf, 0, 1);
        assertThat(TestModels.get(bf.segment(), DType.BF16, 0)).isEqualTo(1.0f);
        Operand f64 = new Operand(MemorySegment.ofArray(new double[1]), DType.F64);
        k.sparseMerge(op, new Operand[] {f32(v)}, f32(0), f64, 0, 1);
        assertThat(f64.segment().get(Lanes.F64, 0)).isEqualTo((double) v);
    }

    @Test
    void f64InputsAndMismatchedOpsAreRefused() {
        Operand d = new Operand(MemorySegment.ofArray(new double[1]), DType.F64);
        Operand o = new Operand(MemorySegment.ofArray(new float[1]), DType.F32);
        assertThatThrownBy(() -> k.sparseMerge(plain(0, false, 1f), new Operand[] {d}, f32(0), o, 0, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("F64");
        assertThatThrownBy(() -> k.sparseMerge(plain(0, false, 1f, 1f), new Operand[] {f32(0)}, f32(0), o, 0, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("models");
        assertThatThrownBy(() -> plain(0, false, 1f).withRankedProb(4, new double[] {0.1}, new double[] {Double.POSITIVE_INFINITY},
                new float[1])).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("non-negative");
        assertThatThrownBy(() -> plain(0, false, 1f).withRankedProb(0, new double[1], new double[1], new float[1]))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
