package org.exmerge.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.exmerge.format.DType;
import org.exmerge.kernel.KernelConformanceTest.Target;
import org.exmerge.numeric.MagnitudeSelect;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The conformance suite's numerics §3 half (KernelConformanceTest has the targets and the rest):
 * tau histograms and bands, sparse norms and the fused sparse merge of every backend against the Java spec,
 * over every type mix (F64 and F8 included), every op kind KernelOpGen builds, DELLA's ranked rows,
 * tails, absolute starts and misaligned operands. Histograms and norms compare exactly (any NaN
 * equals any NaN in a norm); the backend's {@link Kernels#fallbacks()} names only ops of the interface.
 */
class KernelConformanceSparseTest {
    static final DType[] TYPES = KernelConformanceTest.TYPES;
    static final int[] TAILS = KernelConformanceTest.TAILS;
    private static final JavaKernels SPEC = new JavaKernels();

    @ParameterizedTest
    @MethodSource("org.exmerge.kernel.KernelConformanceTest#targets")
    void tauHistogramsMatchTheSpecForEveryTypeMixStartAndPass(Target t) {
        t.run(() -> {
            long seed = 7_000;
            for (DType tx : TYPES) {
                for (DType tb : TYPES) {
                    seed++;
                    int n = TAILS[(int) (seed % (TAILS.length - 1))]; // up to 4097: a histogram is per element
                    int start = (int) (seed % 41);
                    try (Arena arena = Arena.ofConfined()) {
                        Operand x = TestBits.fill(arena, tx, start + n, (int) (seed % 3), seed);
                        Operand b = TestBits.fill(arena, tb, start + n, 1, seed + 1);
                        int h = n == 0 ? 0 : MagnitudeSelect.key(KernelOpGen.tau(x, b, start + seed % n)) >>> 16;
                        for (int high : new int[] {-1, h, 0x7F80}) {
                            int buckets = high < 0 ? MagnitudeSelect.HIGH_BUCKETS : MagnitudeSelect.LOW_BUCKETS;
                            long[] want = new long[buckets];
                            want[(int) (seed % buckets)] = 7; // counts add to what is there
                            long[] got = want.clone();
                            int hi = high;
                            String at = String.format("%s seed %d x %s base %s start %d n %d high %d", t, seed, tx, tb,
                                    start, n, high);
                            if (!KernelConformanceTest.refusedAlike(at, () -> SPEC.tauHistogram(x, b, start, n, hi, want),
                                    () -> t.kernels().tauHistogram(x, b, start, n, hi, got))) {
                                assertThat(Arrays.mismatch(want, got)).as(at).isEqualTo(-1);
                            }
                        }
                    }
                }
            }
        });
    }

    @ParameterizedTest
    @MethodSource("org.exmerge.kernel.KernelConformanceTest#targets")
    void tauBandsMatchTheSpecForEveryTypeMixStartBracketAndBandLength(Target t) {
        t.run(() -> {
            long seed = 8_000;
            for (DType tx : TYPES) {
                for (DType tb : TYPES) {
                    seed++;
                    int n = TAILS[(int) (seed % TAILS.length)];
                    int start = (int) (seed % 41);
                    try (Arena arena = Arena.ofConfined()) {
                        Operand x = TestBits.fill(arena, tx, start + n, (int) (seed % 3), seed);
                        Operand b = TestBits.fill(arena, tb, start + n, 1, seed + 1);
                        int k1 = n == 0 ? 0 : MagnitudeSelect.key(KernelOpGen.tau(x, b, start + seed % n));
                        int k2 = n == 0 ? 0 : MagnitudeSelect.key(KernelOpGen.tau(x, b, start + (seed * 7) % n));
                        // brackets at key 0 too: a vector path's padding lanes must not count as keys equal to a bound
                        int[][] brackets = {{Math.min(k1, k2), Math.max(k1, k2)}, {0, MagnitudeSelect.NAN_KEY}, {k1, k1},
                            {0, 0}, {0, Math.max(k1, k2)}};
                        for (int[] lh : brackets) {
                            band(t, String.format("%s seed %d x %s base %s start %d n %d keys %d to %d", t, seed, tx, tb,
                                    start, n, lh[0], lh[1]), x, b, start, n, lh[0], lh[1]);
                        }
                    }
                }
            }
        });
    }

    @ParameterizedTest
    @MethodSource("org.exmerge.kernel.KernelConformanceTest#targets")
    void tauKeysMatchTheSpecForEveryTypeMixSpreadAndPiece(Target t) {
        t.run(() -> {
            long seed = 8_500;
            for (DType tx : TYPES) {
                for (DType tb : TYPES) {
                    seed++;
                    int n = Math.max(1, TAILS[(int) (seed % TAILS.length)]);
                    try (Arena arena = Arena.ofConfined()) {
                        Operand x = TestBits.fill(arena, tx, n, (int) (seed % 3), seed);
                        Operand b = TestBits.fill(arena, tb, n, 1, seed + 1);
                        // {first, runs, of, run}: whole spreads, a middle piece, one run, an empty piece,
                        // runs longer than the tensor, a piece past the spread, too many runs
                        int[][] asks = {{0, 7, 7, 4}, {3, 5, 64, 3}, {0, 1, 1, n}, {2, 0, 9, 1}, {0, 2, 2, n + 1},
                                {5, 5, 9, 1}, {0, 1, (1 << 20) + 1, 1}};
                        for (int[] a : asks) {
                            String at = String.format("%s seed %d x %s base %s n %d runs %s", t, seed, tx, tb, n,
                                    Arrays.toString(a));
                            int[] want = new int[Math.max(0, a[1] * a[3])];
                            int[] got = new int[want.length];
                            if (!KernelConformanceTest.refusedAlike(at, () -> SPEC.tauKeys(x, b, n, a[0], a[1], a[2], a[3], want),
                                    () -> t.kernels().tauKeys(x, b, n, a[0], a[1], a[2], a[3], got))) {
                                assertThat(got).as(at).containsExactly(want);
                            }
                        }
                    }
                }
            }
        });
    }

    @ParameterizedTest
    @MethodSource("org.exmerge.kernel.KernelConformanceTest#targets")
    void kthLargestKeysMatchTheSpecOnDuplicatesNaNsAndEveryRankKind(Target t) {
        t.run(() -> {
            SplittableRandom r = new SplittableRandom(8_700);
            for (int count : new int[] {1, 2, 17, 4096, 70_001}) {
                // few distinct keys in one high bucket (a fine-tune's band), and keys spread over all
                int[] alike = new int[count + 3];
                int[] spread = new int[count + 3];
                for (int j = 0; j < count; j++) {
                    alike[j] = 0x3C00_0000 + r.nextInt(6) * 3;
                    int pick = r.nextInt(20);
                    spread[j] = pick == 0 ? MagnitudeSelect.NAN_KEY : pick == 1 ? 0 : r.nextInt(MagnitudeSelect.NAN_KEY);
                }
                for (int[] keys : new int[][] {alike, spread}) {
                    int[] before = keys.clone();
                    for (long k : new long[] {1, 2, count / 3, count / 2 + 1, count - 1, count}) {
                        if (k < 1 || k > count) {
                            continue;
                        }
                        String at = t + " count " + count + " rank " + k;
                        assertThat(t.kernels().kthLargestKey(keys, count, k)).as(at).isEqualTo(SPEC.kthLargestKey(keys, count, k));
                    }
                    assertThat(keys).as("keys left as they were").containsExactly(before);
                }
            }
            int[] keys = {5, 9, 9, 1};
            int[] notKeys = {5, -1, 9};
            int[] aboveNaN = {5, MagnitudeSelect.NAN_KEY + 1};
            Object[][] refused = {{keys, 4, 0L}, {keys, 4, 5L}, {keys, 5, 1L}, {keys, -1, 1L}, {notKeys, 3, 1L},
                    {aboveNaN, 2, 2L}};
            for (Object[] a : refused) {
                int[] ks = (int[]) a[0];
                int count = (int) a[1];
                long k = (long) a[2];
                String at = t + " refusal " + Arrays.toString(ks) + " count " + count + " rank " + k;
                assertThat(KernelConformanceTest.refusedAlike(at, () -> SPEC.kthLargestKey(ks, count, k),
                        () -> t.kernels().kthLargestKey(ks, count, k))).as(at).isTrue();
            }
            assertThat(t.kernels().kthLargestKey(keys, 4, 2)).isEqualTo(9);
            assertThat(t.kernels().kthLargestKey(keys, 3, 3)).as("only the first count keys").isEqualTo(5);
        });
    }

    /**
     * One bracket on a band that holds every key between, then on shorter ones (around the AVX2
     * path's 8-lane stores): counts and the number between always equal; a band that holds them all
     * holds the spec's keys (in any order), a shorter one only keys the spec found between.
     */
    private static void band(Target t, String at, Operand x, Operand b, int start, int n, int lo, int hi) {
        int[] all = new int[n];
        long[] want = {3, 0, 5}; // counts add to what is there
        long[] got = want.clone();
        long[] between = new long[2];
        int[] band = new int[n + 9];
        if (KernelConformanceTest.refusedAlike(at, () -> between[0] = SPEC.tauBand(x, b, start, n, lo, hi, want, all),
                () -> between[1] = t.kernels().tauBand(x, b, start, n, lo, hi, got, band))) {
            return;
        }
        assertThat(got).as(at).containsExactly(want);
        assertThat(between[1]).as(at).isEqualTo(between[0]);
        int m = (int) between[0];
        int[] wantKeys = Arrays.copyOf(all, m);
        Arrays.sort(wantKeys);
        int[] gotKeys = Arrays.copyOf(band, m);
        Arrays.sort(gotKeys);
        assertThat(gotKeys).as(at).containsExactly(wantKeys);
        for (int len : new int[] {0, 1, 7, 8, 9, m - 1}) {
            if (len < 0 || len >= m) {
                continue;
            }
            int[] short_ = new int[len];
            long[] counts = new long[3];
            assertThat(t.kernels().tauBand(x, b, start, n, lo, hi, counts, short_)).as(at + " band " + len).isEqualTo(m);
            assertThat(new long[] {counts[0] + 3, counts[1], counts[2] + 5}).as(at + " band " + len).containsExactly(want);
            for (int key : short_) {
                assertThat(Arrays.binarySearch(wantKeys, key)).as(at + " band " + len + " key " + key).isNotNegative();
            }
        }
    }

    @ParameterizedTest
    @MethodSource("org.exmerge.kernel.KernelConformanceTest#targets")
    void sparseMergeMatchesTheSpecForEveryKindTypeMixAndTail(Target t) {
        KernelOpGen.Kind[] kinds = KernelOpGen.Kind.values();
        t.run(() -> {
            long seed = 10_000;
            for (DType x1 : TYPES) {
                for (DType x2 : TYPES) {
                    for (DType b : TYPES) {
                        seed++;
                        DType out = TYPES[(int) (seed % TYPES.length)];
                        int n = TAILS[(int) (seed % TAILS.length)];
                        merge(t, seed, kinds[(int) (seed % kinds.length)], new DType[] {x1, x2}, b, out,
                                (int) (seed % 37), n, seed % 4 == 0);
                    }
                }
            }
            for (int m = 0; m <= 4; m++) { // model counts, and DELLA's ranked rows, one type throughout
                DType ty = TYPES[m % TYPES.length];
                merge(t, ++seed, kinds[m % kinds.length], nOf(m, ty), ty, ty, 5, 1023, false);
                della(t, ++seed, nOf(m, ty), ty, 17 + m, 9);
            }
        });
    }

    /**
     * The native paths' register-resident merge takes one-type calls with no draw and up to four models:
     * every model count around that bound, election and normalization, with tiles it finishes and a tail
     * it leaves to the tile path (two tiles and five elements, from a start off the vector grid); and the
     * same calls with a fixed-probability draw (a model keeping nothing, all without a draw, or a drawn
     * share), which the tile path takes whole.
     */
    @ParameterizedTest
    @MethodSource("org.exmerge.kernel.KernelConformanceTest#targets")
    void oneTypeMergeMatchesTheSpecForEveryModelCountElectionAndDraw(Target t) {
        DType[] natives = {DType.BF16, DType.F16, DType.F32};
        KernelOpGen.Kind[][] kinds = {{KernelOpGen.Kind.PLAIN, KernelOpGen.Kind.TIES, KernelOpGen.Kind.BREADCRUMBS,
                KernelOpGen.Kind.RAM, KernelOpGen.Kind.RAMPLUS},
                {KernelOpGen.Kind.DARE, KernelOpGen.Kind.DARE_BY_PROB, KernelOpGen.Kind.EDGES}};
        t.run(() -> {
            long seed = 12_000;
            for (KernelOpGen.Kind[] drawnOrNot : kinds) {
                for (int m = 1; m <= 5; m++) {
                    for (DType ty : natives) {
                        for (int election = SparseOp.ELECT_NONE; election <= SparseOp.ELECT_LONE; election++) {
                            for (boolean normalize : new boolean[] {false, true}) {
                                seed++;
                                oneTypeMerge(t, seed, drawnOrNot[(int) (seed % drawnOrNot.length)], m, ty, election,
                                        normalize, natives[(int) (seed % natives.length)]);
                            }
                        }
                    }
                }
            }
        });
    }

    /** keptCounts' argument errors (a counts array of another length, a negative range) are the spec's, on every backend. */
    @ParameterizedTest
    @MethodSource("org.exmerge.kernel.KernelConformanceTest#targets")
    void keptCountsRefuseWhatTheSpecRefuses(Target t) {
        t.run(() -> {
            try (Arena arena = Arena.ofConfined()) {
                Operand[] xs = inputs(arena, nOf(2, DType.BF16), 64, 5, true);
                Operand base = TestBits.fill(arena, DType.BF16, 64, 3, 6);
                SparseOp op = KernelOpGen.op(KernelOpGen.Kind.RAMPLUS, new SplittableRandom(5), xs, base, 0, 64);
                long[][] ranges = {{0, 64, 3}, {0, 64, 5}, {-1, 5, 4}, {0, -1, 4}};
                for (long[] a : ranges) {
                    String at = t + " keptCounts start " + a[0] + " n " + a[1] + " counts " + a[2];
                    long[] want = new long[(int) a[2]];
                    long[] got = new long[(int) a[2]];
                    assertThat(KernelConformanceTest.refusedAlike(at, () -> SPEC.keptCounts(op, xs, base, a[0], a[1], want),
                            () -> t.kernels().keptCounts(op, xs, base, a[0], a[1], got))).as(at).isTrue();
                }
                long[] none = {7, 8, 9, 10};
                t.kernels().keptCounts(op, xs, base, 64, 0, none);
                assertThat(none).as("an empty range adds nothing").containsExactly(7, 8, 9, 10);
            }
        });
    }

    private static void oneTypeMerge(Target t, long seed, KernelOpGen.Kind kind, int m, DType ty, int election,
                                     boolean normalize, DType out) {
        int start = (int) (seed % 13);
        int n = 2 * 512 + 5;
        SplittableRandom r = new SplittableRandom(seed);
        try (Arena arena = Arena.ofConfined()) {
            // Ram's and RamPlus's ops on small integers: kept values that cancel exactly, bands on values
            // many share, lone values and shared ones
            Operand[] xs = inputs(arena, nOf(m, ty), start + n, seed,
                    kind == KernelOpGen.Kind.RAM || kind == KernelOpGen.Kind.RAMPLUS);
            Operand base = TestBits.fill(arena, ty, start + n, 3, seed * 31 + 7);
            SparseOp g = KernelOpGen.op(kind, r, xs, base, start, start + n);
            SparseOp op = new SparseOp(g.weights(), g.keepFrom(), g.keepBelow(), g.random(), g.keepProb(), g.rowLength(),
                    g.rankLow(), g.rankSpan(), g.rankSingle(), g.divisor(), g.divideByProb(), election, normalize,
                    g.sumDivisor(), g.lambda(), g.seed(), g.tensorId());
            check(t, String.format("%s seed %d %s %d × %s election %d normalize %b out %s start %d", t, seed, kind, m, ty,
                    election, normalize, out, start), op, xs, base, out, start, n, arena);
        }
    }

    private static DType[] nOf(int m, DType t) {
        DType[] out = new DType[m];
        Arrays.fill(out, t);
        return out;
    }

    private static Operand[] inputs(Arena arena, DType[] types, int end, long seed, boolean integers) {
        Operand[] xs = new Operand[types.length];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = integers ? KernelOpGen.integers(arena, types[i], end, i + 1, seed * 31 + i)
                    : TestBits.fill(arena, types[i], end, (int) ((seed + i) % 5), seed * 31 + i);
        }
        return xs;
    }

    private static void merge(Target t, long seed, KernelOpGen.Kind kind, DType[] types, DType baseType, DType outType,
                              int start, int n, boolean integers) {
        SplittableRandom r = new SplittableRandom(seed);
        int end = start + n;
        try (Arena arena = Arena.ofConfined()) {
            Operand[] xs = inputs(arena, types, end, seed, integers);
            Operand base = integers ? KernelOpGen.integers(arena, baseType, end, 3, seed * 31 + 7)
                    : TestBits.fill(arena, baseType, end, 3, seed * 31 + 7);
            SparseOp op = KernelOpGen.op(kind, r, xs, base, start, end);
            check(t, String.format("%s seed %d %s inputs %s base %s out %s start %d n %d integers %b", t, seed, kind,
                    List.of(types), baseType, outType, start, n, integers), op, xs, base, outType, start, n, arena);
            if (seed % 3 == 0) { // the norms read what the merge reads; a third of the mixes keeps the suite short
                norms(t, String.format("%s seed %d %s norms", t, seed, kind), op, xs, base, end);
            }
        }
    }

    private static void della(Target t, long seed, DType[] types, DType type, int rowLength, int rows) {
        SplittableRandom r = new SplittableRandom(seed);
        int total = rowLength * rows;
        try (Arena arena = Arena.ofConfined()) {
            Operand[] xs = inputs(arena, types, total, seed, seed % 2 == 0);
            Operand base = TestBits.fill(arena, type, total, 3, seed * 31 + 7);
            SparseOp op = KernelOpGen.della(r, xs, base, total, rowLength);
            int start = rowLength / 2; // a chunk that cuts rows
            check(t, String.format("%s della seed %d %s rows %d of %d", t, seed, type, rows, rowLength), op, xs, base, type,
                    start, total - start, arena);
            norms(t, String.format("%s della seed %d norms", t, seed), op, xs, base, total);
        }
    }

    private static void check(Target t, String context, SparseOp op, Operand[] xs, Operand base, DType outType, long start,
                              int n, Arena arena) {
        Operand want = TestBits.output(arena, outType, n, 0);
        Operand got = TestBits.output(arena, outType, n, (int) (start % 7));
        long[] check = {-2};
        KernelConformanceTest.same(context, want, got, n, () -> SPEC.sparseMerge(op, xs, base, want, start, n),
                () -> check[0] = t.kernels().sparseMerge(op, xs, base, got, start, n));
        KernelConformanceTest.checkedAsWritten(context, got, n, check[0]);
        keptCounts(t, context, op, xs, base, start, n);
        assertThat(KernelConformanceTest.OPS).as("%s: fallbacks are ops of Kernels", t)
                .containsAll(t.kernels().fallbacks().keySet());
    }

    /**
     * keptCounts of every op the merge is checked on (every kind, election, draw and type mix): the
     * spec's counts exactly, added to what the array held; where the spec refuses, the backend alike.
     */
    private static void keptCounts(Target t, String context, SparseOp op, Operand[] xs, Operand base, long start, int n) {
        long[] want = new long[2 * xs.length];
        for (int k = 0; k < want.length; k++) {
            want[k] = 3L * k + 1;
        }
        long[] got = want.clone();
        if (!KernelConformanceTest.refusedAlike(context + " keptCounts", () -> SPEC.keptCounts(op, xs, base, start, n, want),
                () -> t.kernels().keptCounts(op, xs, base, start, n, got))) {
            assertThat(got).as("%s keptCounts", context).containsExactly(want);
        }
    }

    /** Every norm kind and block, bit for bit; where the spec refuses, the backend refuses alike. */
    private static void norms(Target t, String context, SparseOp op, Operand[] xs, Operand base, long total) {
        for (int norm = SparseOp.NORM_L1; norm <= SparseOp.NORM_LINF; norm++) {
            for (long block = 0; block < total; block += 65_536) {
                double[] want = new double[2 * xs.length];
                double[] got = new double[2 * xs.length];
                int nm = norm;
                long bl = block;
                if (KernelConformanceTest.refusedAlike(context, () -> SPEC.sparseNorms(op, nm, xs, base, bl, total, want),
                        () -> t.kernels().sparseNorms(op, nm, xs, base, bl, total, got))) {
                    continue;
                }
                for (int k = 0; k < want.length; k++) {
                    boolean same = Double.doubleToRawLongBits(want[k]) == Double.doubleToRawLongBits(got[k])
                            || (Double.isNaN(want[k]) && Double.isNaN(got[k]));
                    assertThat(same).as("%s norm %d block %d: out[%d] spec %s backend %s", context, norm, block, k,
                            want[k], got[k]).isTrue();
                }
            }
        }
    }
}
