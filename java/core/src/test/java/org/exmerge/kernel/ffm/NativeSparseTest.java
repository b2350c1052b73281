package org.exmerge.kernel.ffm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.exmerge.kernel.KernelOpGen.ROWS;
import static org.exmerge.kernel.KernelOpGen.della;
import static org.exmerge.kernel.KernelOpGen.integers;
import static org.exmerge.kernel.KernelOpGen.op;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.exmerge.format.DType;
import org.exmerge.kernel.JavaKernels;
import org.exmerge.kernel.KernelOpGen.Kind;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.SparseOp;
import org.exmerge.kernel.TestBits;
import org.exmerge.testing.TestModels;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * numerics §3's fused sparsify-and-elect op ({@code mk_sparse_merge}) on every ISA path against
 * JavaKernels, byte for byte (every type mix and tail is KernelConformanceTest's): 0–4 and 11 models, sizes at every vector
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
