package org.exmerge.kernel.ffm;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.exmerge.format.DType;
import org.exmerge.kernel.JavaKernels;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.SparseOp;
import org.exmerge.numeric.MagnitudeSelect;
import org.exmerge.numeric.Philox4x32;
import org.exmerge.testing.TestModels;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * SPEC §3's fused sparsify-and-elect op ({@code mk_sparse_merge}) on every ISA path against
 * JavaKernels, byte for byte: every input/base/output type mix, 0–4 and 11 models, sizes at every vector
 * and tile tail, absolute starts that are not multiples of any vector width, misaligned operands,
 * NaN/±inf/−0/subnormal data, thresholds on a data value (ties), keep-none and keep-all bands and
 * probabilities, zero divisors, elections that sum to exactly zero. Seeds are in every message.
 */
class NativeSparseTest {
    static final DType[] TYPES = {DType.BF16, DType.F16, DType.F32};
    static final int[] TAILS = {0, 1, 15, 16, 17, 33, 63, 64, 65};
    static final int[] LARGE = {4097, 65537};
    private final JavaKernels spec = new JavaKernels();
    private static NativeKernels nat;

    @BeforeEach
    void load() {
        NativeTestSupport.requireNative(); // per test, so a machine without the library shows each one skipped
        nat = NativeKernels.instance();
    }

    /** The kinds of op the methods build (SparsePlan), plus the degenerate corners of each. */
    enum Kind { PLAIN, TIES, BREADCRUMBS, DARE, DARE_BY_PROB, EDGES }

    /** τ of element e of model i as the spec forms it (both widened, one float32 subtraction). */
    static float tau(Operand x, Operand b, long e) {
        return TestModels.get(x.segment(), x.type(), e) - TestModels.get(b.segment(), b.type(), e);
    }

    /** A key in the data (so ties at it are certain), or a corner: 0, NONE (keep none), NaN's key. */
    static long key(SplittableRandom r, Operand x, Operand b, long end) {
        int c = r.nextInt(10);
        if (c == 0 || end == 0) {
            return 0;
        }
        if (c == 1) {
            return MagnitudeSelect.NONE;
        }
        if (c == 2) {
            return MagnitudeSelect.NAN_KEY;
        }
        return MagnitudeSelect.key(tau(x, b, r.nextLong(end)));
    }

    static float weight(SplittableRandom r) {
        int c = r.nextInt(12);
        return c == 0 ? 0f : c == 1 ? -0f : c == 2 ? (float) r.nextDouble(-1e6, 1e6) : c == 3 ? -1f : (float) r.nextDouble(-2, 2);
    }

    /** A keep probability: a corner, a typical value, or the draw of an element in [start, end) (u = p: dropped). */
    static float prob(SplittableRandom r, long seed, int tensorId, int model, long start, long end) {
        int c = r.nextInt(8);
        if (c == 5 && end > start) {
            return Philox4x32.uniform(seed, r.nextLong(start, end), tensorId, model);
        }
        return c == 0 ? 0f : c == 1 ? 1f : c == 2 ? 1.5f : c == 3 ? Float.MIN_VALUE : c == 4 ? Math.nextDown(1f)
                : (float) r.nextDouble(0.05, 0.95);
    }

    static SparseOp op(Kind kind, SplittableRandom r, Operand[] xs, Operand b, long start, long end) {
        int m = xs.length;
        float[] w = new float[m];
        for (int i = 0; i < m; i++) {
            w[i] = weight(r);
        }
        int election = r.nextInt(3);
        float sumDivisor = r.nextInt(6) == 0 ? 0f : (float) r.nextDouble(0.1, 4);
        float lambda = r.nextInt(3) == 0 ? 1f : (float) r.nextDouble(-2, 2);
        long seed = r.nextLong();
        int tensorId = r.nextInt();
        SparseOp op = SparseOp.plain(w, election, r.nextBoolean(), sumDivisor, lambda, seed, tensorId);
        long[] from = new long[m];
        long[] below = new long[m];
        Arrays.fill(below, SparseOp.NO_UPPER);
        float[] p = new float[m];
        float[] div = new float[m];
        for (int i = 0; i < m; i++) {
            p[i] = prob(r, seed, tensorId, i, start, end);
            int c = r.nextInt(6);
            div[i] = c == 0 ? 0f : c == 1 ? 1f : c == 2 ? p[i] : (float) r.nextDouble(0.01, 3);
        }
        switch (kind) {
            case PLAIN -> { }
            case TIES -> {
                for (int i = 0; i < m; i++) {
                    from[i] = key(r, xs[i], b, end);
                }
                op = op.withBand(from, below).withDivisor(div, false);
            }
            case BREADCRUMBS -> {
                for (int i = 0; i < m; i++) {
                    long a = key(r, xs[i], b, end);
                    long c = key(r, xs[i], b, end);
                    from[i] = Math.min(a, c);
                    below[i] = r.nextInt(5) == 0 ? SparseOp.NO_UPPER : Math.max(a, c);
                }
                op = op.withBand(from, below).withDivisor(div, false);
            }
            case DARE -> op = op.withFixedProb(p).withDivisor(div, false);
            case DARE_BY_PROB -> op = op.withFixedProb(p).withDivisor(div, true);
            case EDGES -> {
                // Band and draw at once, every model keeping nothing or everything in turn.
                for (int i = 0; i < m; i++) {
                    from[i] = i % 2 == 0 ? MagnitudeSelect.NONE : 0;
                    p[i] = i % 3 == 0 ? 0f : 1f;
                }
                op = op.withBand(from, below).withFixedProb(p).withDivisor(div, false);
            }
            default -> throw new AssertionError(kind);
        }
        return op;
    }

    static final int[] ROWS = {1, 2, 15, 16, 17, 33, 4097};

    /**
     * DELLA (SparseOp.RANDOM_RANKED) on rows of {@code rowLength}: p = rankLow + rankSpan·(rank − 1)/(n − 1)
     * per model, with corners (p = 0 everywhere, p ≥ 1, spans past 1, rankSingle 0 or 1), sometimes a
     * magnitude band as well, dividing by p or by a divisor.
     */
    static SparseOp della(SplittableRandom r, Operand[] xs, Operand b, long end, int rowLength) {
        SparseOp op = op(Kind.PLAIN, r, xs, b, 0, end);
        int m = xs.length;
        double[] low = new double[m];
        double[] span = new double[m];
        float[] single = new float[m];
        long[] from = new long[m];
        long[] below = new long[m];
        Arrays.fill(below, SparseOp.NO_UPPER);
        float[] div = new float[m];
        for (int i = 0; i < m; i++) {
            int c = r.nextInt(8);
            double eps = r.nextDouble(0, 0.2);
            double density = r.nextDouble(0.2, 0.8);
            low[i] = c == 0 ? 0 : c == 1 ? 1 : c == 2 ? 0.7 : density - eps;
            span[i] = c == 0 ? 0 : c == 1 ? 0.5 : c == 2 ? 0.9 : c == 3 ? 1 : 2 * eps;
            if (low[i] < 0) {
                low[i] = 0;
            }
            single[i] = c == 0 ? 0f : c == 1 ? 1f : (float) (density + eps);
            if (r.nextInt(4) == 0) {
                from[i] = key(r, xs[i], b, end);
            }
            int d = r.nextInt(4);
            div[i] = d == 0 ? 0f : d == 1 ? 1f : (float) r.nextDouble(0.01, 3);
        }
        return op.withBand(from, below).withRankedProb(rowLength, low, span, single).withDivisor(div, r.nextBoolean());
    }

    /**
     * One DELLA comparison: a tensor of {@code rows} rows of {@code rowLength}, the chunk [start, start + n)
     * (cutting rows anywhere) into out at an offset; integers gives |τ| ties within rows.
     */
    private void checkDella(int isa, long seed, DType[] inTypes, DType baseType, DType outType, int rowLength, int rows,
                            int start, int n, boolean integers) {
        SplittableRandom r = new SplittableRandom(seed);
        int total = rowLength * rows;
        try (Arena arena = Arena.ofConfined()) {
            Operand[] xs = new Operand[inTypes.length];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = integers ? integers(arena, inTypes[i], total, i + 1, seed * 31 + i)
                        : TestBits.fill(arena, inTypes[i], total, (int) ((seed + i) % 5), seed * 31 + i);
            }
            Operand base = integers ? integers(arena, baseType, total, 3, seed * 31 + 7)
                    : TestBits.fill(arena, baseType, total, 3, seed * 31 + 7);
            SparseOp op = della(r, xs, base, total, rowLength);
            Operand want = TestBits.output(arena, outType, n, 0);
            Operand got = TestBits.output(arena, outType, n, (int) (seed % 7));
            spec.sparseMerge(op, xs, base, want, start, n);
            nat.sparseMerge(op, xs, base, got, start, n);
            long j = TestBits.firstDifference(want, got, n);
            assertThat(j).as("DELLA isa %s seed %d inputs %s base %s out %s row %d rows %d start %d n %d integers %b: element %d java %s native %s",
                    CpuFeatures.isaName(isa), seed, List.of(inTypes), baseType, outType, rowLength, rows, start, n, integers, j,
                    j < 0 ? "" : TestBits.show(want, j), j < 0 ? "" : TestBits.show(got, j)).isEqualTo(-1);
        }
    }

    @Test
    void dellaEveryTypeMixRowLengthAndCutMatchesTheJavaKernelsOnEveryIsa() throws Exception {
        for (int isa : NativeTestSupport.isas()) {
            NativeTestSupport.onIsa(isa, () -> {
                long seed = 500_000L * (isa + 1);
                for (DType x1 : TYPES) {
                    for (DType x2 : TYPES) {
                        for (DType b : TYPES) {
                            for (DType out : TYPES) {
                                for (int row : ROWS) {
                                    seed++;
                                    int rows = row > 1000 ? 2 : 1 + (int) (seed % 5);
                                    int total = row * rows;
                                    // a start inside the first row (or 0) and an end inside the last row
                                    int start = (int) (seed % Math.min(total, row + 3));
                                    int n = Math.max(0, total - start - (int) (seed % Math.max(1, row / 2 + 1)));
                                    checkDella(isa, seed, new DType[] {x1, x2}, b, out, row, rows, start, n,
                                            seed % 4 == 0);
                                }
                            }
                        }
                    }
                }
            });
        }
    }

    @Test
    void dellaOneToFourModelsTiesAndLongRowsOnEveryIsa() throws Exception {
        for (int isa : NativeTestSupport.isas()) {
            NativeTestSupport.onIsa(isa, () -> {
                long seed = 600_000L * (isa + 1);
                for (int m = 1; m <= 4; m++) {
                    for (int row : ROWS) {
                        for (boolean integers : new boolean[] {false, true}) {
                            seed++;
                            DType[] in = new DType[m];
                            for (int i = 0; i < m; i++) {
                                in[i] = TYPES[(int) ((seed + i) % 3)];
                            }
                            int rows = row > 1000 ? 3 : 7;
                            int total = row * rows;
                            int start = (int) (seed % total);
                            int n = (int) ((seed * 7919) % (total - start + 1));
                            checkDella(isa, seed, in, TYPES[(int) (seed % 3)], TYPES[(int) ((seed / 3) % 3)], row, rows,
                                    start, n, integers);
                        }
                    }
                }
                // rows longer than a tile and than a norms block, cut by the chunk
                checkDella(isa, ++seed, new DType[] {DType.BF16, DType.F32}, DType.BF16, DType.BF16, 70_001, 2,
                        12_345, 100_003, true);
            });
        }
    }

    @Test
    void dellaChunksOfAnySizeGiveTheBytesOfOneCall() {
        SplittableRandom r = new SplittableRandom(78);
        int row = 257;
        int n = row * 20;
        try (Arena arena = Arena.ofConfined()) {
            Operand[] xs = {TestBits.fill(arena, DType.BF16, n, 1, 1), integers(arena, DType.BF16, n, 3, 2),
                TestBits.fill(arena, DType.F16, n, 0, 3)};
            Operand base = TestBits.fill(arena, DType.BF16, n, 2, 4);
            for (int k = 0; k < 4; k++) {
                SparseOp op = della(r, xs, base, n, row);
                Operand whole = TestBits.output(arena, DType.BF16, n, 0);
                spec.sparseMerge(op, xs, base, whole, 0, n);
                Operand cut = TestBits.output(arena, DType.BF16, n, 1);
                for (int start = 0, c = 0; start < n; c++) {
                    int len = Math.min(n - start, 1 + (c * 37) % 700);
                    nat.sparseMerge(op, xs, base, new Operand(cut.segment().asSlice(2L * start), DType.BF16), start, len);
                    start += len;
                }
                assertThat(TestBits.firstDifference(whole, cut, n)).as("della %d", k).isEqualTo(-1);
            }
        }
    }

    /** One comparison: tensor of start + n elements, the chunk [start, start + n) into out at an offset. */
    private void check(int isa, long seed, Kind kind, DType[] inTypes, DType baseType, DType outType, int start, int n,
                       boolean integers) {
        SplittableRandom r = new SplittableRandom(seed);
        int end = start + n;
        try (Arena arena = Arena.ofConfined()) {
            Operand[] xs = new Operand[inTypes.length];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = integers ? integers(arena, inTypes[i], end, i + 1, seed * 31 + i)
                        : TestBits.fill(arena, inTypes[i], end, (int) ((seed + i) % 5), seed * 31 + i);
            }
            Operand base = integers ? integers(arena, baseType, end, 3, seed * 31 + 7)
                    : TestBits.fill(arena, baseType, end, 3, seed * 31 + 7);
            SparseOp op = op(kind, r, xs, base, start, end);
            Operand want = TestBits.output(arena, outType, n, 0);
            Operand got = TestBits.output(arena, outType, n, (int) (seed % 7));
            spec.sparseMerge(op, xs, base, want, start, n);
            nat.sparseMerge(op, xs, base, got, start, n);
            long j = TestBits.firstDifference(want, got, n);
            assertThat(j).as("isa %s seed %d %s inputs %s base %s out %s start %d n %d integers %b: element %d java %s native %s",
                    CpuFeatures.isaName(isa), seed, kind, List.of(inTypes), baseType, outType, start, n, integers, j,
                    j < 0 ? "" : TestBits.show(want, j), j < 0 ? "" : TestBits.show(got, j)).isEqualTo(-1);
        }
    }

    /** Small integers (±0, ±1, ±2, 3) in any type: τ, sums and counts meet exact zeros and ties often. */
    static Operand integers(Arena arena, DType t, int n, int offset, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        float[] pool = {0f, -0f, 1f, -1f, 2f, -2f, 3f};
        for (int j = 0; j < n; j++) {
            v[j] = pool[r.nextInt(pool.length)];
        }
        MemorySegment enc = TestModels.encode(t, v);
        MemorySegment s = arena.allocate(enc.byteSize() + offset + 1, 64).asSlice(offset, enc.byteSize());
        MemorySegment.copy(enc, 0, s, 0, enc.byteSize());
        return new Operand(s, t);
    }

    @Test
    void everyTypeMixAndTailMatchesTheJavaKernelsOnEveryIsa() throws Exception {
        Kind[] kinds = Kind.values();
        for (int isa : NativeTestSupport.isas()) {
            NativeTestSupport.onIsa(isa, () -> {
                long seed = 10_000L * (isa + 1);
                for (DType x1 : TYPES) {
                    for (DType x2 : TYPES) {
                        for (DType b : TYPES) {
                            for (DType out : TYPES) {
                                for (int n : TAILS) {
                                    seed++;
                                    Kind kind = kinds[(int) (seed % kinds.length)];
                                    check(isa, seed, kind, new DType[] {x1, x2}, b, out, (int) (seed % 37), n, false);
                                }
                            }
                        }
                    }
                }
            });
        }
    }

    @Test
    void zeroToFourModelsEveryKindAndLargeSizesOnEveryIsa() throws Exception {
        for (int isa : NativeTestSupport.isas()) {
            NativeTestSupport.onIsa(isa, () -> {
                long seed = 200_000L * (isa + 1);
                for (int m = 0; m <= 4; m++) { // no models: out = fma(λ, +0 or +0 / Σw, b)
                    for (Kind kind : Kind.values()) {
                        for (int n : LARGE) {
                            seed++;
                            DType[] in = new DType[m];
                            for (int i = 0; i < m; i++) {
                                in[i] = TYPES[(int) ((seed + i) % 3)];
                            }
                            check(isa, seed, kind, in, TYPES[(int) (seed % 3)], DType.BF16, (int) (seed % 61), n, false);
                        }
                    }
                }
            });
        }
    }

    @Test
    void electionsThatSumToZeroAndZeroDivisorsMatchOnEveryIsa() throws Exception {
        // Integer data: sums and sign counts are exactly 0 often (σ = +1), agreeing weights cancel to a
        // zero divisor (→ 1), thresholds sit on values many elements share.
        for (int isa : NativeTestSupport.isas()) {
            NativeTestSupport.onIsa(isa, () -> {
                long seed = 300_000L * (isa + 1);
                for (Kind kind : Kind.values()) {
                    for (int m = 1; m <= 4; m++) {
                        for (DType t : TYPES) {
                            seed++;
                            DType[] in = new DType[m];
                            Arrays.fill(in, t);
                            check(isa, seed, kind, in, t, TYPES[(int) (seed % 3)], (int) (seed % 29), 1000 + m, true);
                        }
                    }
                }
            });
        }
    }

    @Test
    void manyModelsUseTheAllocatedScratchAndMatch() throws Exception {
        for (int isa : NativeTestSupport.isas()) {
            NativeTestSupport.onIsa(isa, () -> {
                long seed = 400_000L * (isa + 1);
                for (Kind kind : Kind.values()) {
                    DType[] in = new DType[11];
                    for (int i = 0; i < in.length; i++) {
                        in[i] = TYPES[i % 3];
                    }
                    check(isa, ++seed, kind, in, DType.BF16, DType.F16, 5, 1500, false);
                }
            });
        }
    }

    @Test
    void chunksOfAnySizeGiveTheBytesOfOneCall() {
        // The engine's chunks: start moves, inputs stay at element 0, out at the chunk.
        SplittableRandom r = new SplittableRandom(77);
        int n = 5000;
        try (Arena arena = Arena.ofConfined()) {
            Operand[] xs = {TestBits.fill(arena, DType.BF16, n, 1, 1), TestBits.fill(arena, DType.BF16, n, 3, 2),
                TestBits.fill(arena, DType.F16, n, 0, 3)};
            Operand base = TestBits.fill(arena, DType.BF16, n, 2, 4);
            for (Kind kind : Kind.values()) {
                SparseOp op = op(kind, r, xs, base, 0, n);
                Operand whole = TestBits.output(arena, DType.BF16, n, 0);
                spec.sparseMerge(op, xs, base, whole, 0, n);
                Operand cut = TestBits.output(arena, DType.BF16, n, 1);
                for (int start = 0, c = 0; start < n; c++) {
                    int len = Math.min(n - start, 1 + (c * 37) % 700);
                    nat.sparseMerge(op, xs, base, new Operand(cut.segment().asSlice(2L * start), DType.BF16), start, len);
                    start += len;
                }
                assertThat(TestBits.firstDifference(whole, cut, n)).as("%s", kind).isEqualTo(-1);
            }
        }
    }

    @Test
    void heapOperandsAreStagedDellaIsNativeAndF64GoesToTheSpec() {
        SplittableRandom r = new SplittableRandom(5);
        int n = 300;
        float[] x = TestModels.random(1, n, 0.02f);
        float[] b = TestModels.random(2, n, 0.02f);
        Operand[] xs = {new Operand(TestModels.encode(DType.F32, x), DType.F32)};
        Operand base = new Operand(TestModels.encode(DType.BF16, b), DType.BF16);
        SparseOp dare = op(Kind.DARE, r, xs, base, 0, n);
        SparseOp della = SparseOp.plain(new float[] {0.8f}, SparseOp.ELECT_SUM, true, 1f, 1f, 3, 4)
                .withRankedProb(20, new double[] {0.35}, new double[] {0.3}, new float[] {0.65f})
                .withDivisor(new float[] {1f}, true);
        for (SparseOp op : new SparseOp[] {dare, della}) {
            for (DType outType : new DType[] {DType.BF16, DType.F64}) {
                Operand want = new Operand(MemorySegment.ofArray(new byte[(n - 40) * outType.size()]), outType);
                Operand got = new Operand(MemorySegment.ofArray(new byte[(n - 40) * outType.size()]), outType);
                spec.sparseMerge(op, xs, base, want, 40, n - 40);
                nat.sparseMerge(op, xs, base, got, 40, n - 40);
                assertThat(got.segment().toArray(ValueLayout.JAVA_BYTE)).as("%s out %s", op.random(), outType)
                        .isEqualTo(want.segment().toArray(ValueLayout.JAVA_BYTE));
                assertThat(Arrays.equals(want.segment().toArray(ValueLayout.JAVA_BYTE), new byte[want.segment().toArray(ValueLayout.JAVA_BYTE).length]))
                        .as("something was written").isFalse();
            }
        }
    }
}
