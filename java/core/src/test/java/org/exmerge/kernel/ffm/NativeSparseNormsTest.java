package org.exmerge.kernel.ffm;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.SplittableRandom;
import org.exmerge.format.DType;
import org.exmerge.kernel.JavaKernels;
import org.exmerge.kernel.KernelOpGen;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.SparseOp;
import org.exmerge.kernel.TestBits;
import org.exmerge.testing.TestModels;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code Kernels.sparseNorms} ({@code mk_sparse_norms}: one numerics §4 block of rescale_norm's norms
 * before and after the drop) on every ISA path against JavaKernels, bit for bit, for L1, L2 and
 * L∞, every sparsify kind, mixed types, tensors whose last block is short, and data whose float64
 * sums round (so any change of summation order shows).
 */
class NativeSparseNormsTest {
    static final DType[] TYPES = {DType.BF16, DType.F16, DType.F32};
    static final int[] TOTALS = {1, 15, 17, 63, 65, 4097, 65_536 + 33, 2 * 65_536 + 1000};
    static final KernelOpGen.Kind[] KINDS = {KernelOpGen.Kind.PLAIN, KernelOpGen.Kind.TIES,
        KernelOpGen.Kind.BREADCRUMBS, KernelOpGen.Kind.DARE, KernelOpGen.Kind.EDGES};
    private final JavaKernels spec = new JavaKernels();
    private static NativeKernels nat;

    @BeforeEach
    void load() {
        NativeTestSupport.requireNative(); // per test, so a machine without the library shows each one skipped
        nat = NativeKernels.instance();
    }

    /** Values spanning many binades (narrower for F16), random signs, at a misaligned address. */
    static Operand wide(Arena arena, DType t, int n, int offset, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int lo = t == DType.F16 ? -14 : -40;
        int hi = t == DType.F16 ? 14 : 20;
        float[] v = new float[n];
        for (int j = 0; j < n; j++) {
            v[j] = (float) ((r.nextBoolean() ? 1 : -1) * (1 + r.nextDouble()) * Math.scalb(1.0, r.nextInt(lo, hi)));
        }
        MemorySegment enc = TestModels.encode(t, v);
        MemorySegment s = arena.allocate(enc.byteSize() + offset + 1, 64).asSlice(offset, enc.byteSize());
        MemorySegment.copy(enc, 0, s, 0, enc.byteSize());
        return new Operand(s, t);
    }

    private void check(int isa, long seed, KernelOpGen.Kind kind, DType[] types, DType baseType, int total,
                       boolean specials) {
        SplittableRandom r = new SplittableRandom(seed);
        try (Arena arena = Arena.ofConfined()) {
            Operand[] xs = new Operand[types.length];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = specials ? TestBits.fill(arena, types[i], total, i + 1, seed * 13 + i)
                        : wide(arena, types[i], total, i + 1, seed * 13 + i);
            }
            Operand base = specials ? TestBits.fill(arena, baseType, total, 3, seed * 13 + 9)
                    : wide(arena, baseType, total, 3, seed * 13 + 9);
            SparseOp op = KernelOpGen.op(kind, r, xs, base, 0, total);
            assertNormsMatch(op, xs, base, total, String.format("isa %s seed %d %s inputs %s base %s total %d specials %b",
                    CpuFeatures.isaName(isa), seed, kind, List.of(types), baseType, total, specials));
        }
    }

    @Test
    void everyNormKindAndBlockMatchesTheJavaKernelsOnEveryIsa() throws Exception {
        for (int isa : NativeTestSupport.isas()) {
            NativeTestSupport.onIsa(isa, () -> {
                long seed = 50_000L * (isa + 1);
                for (KernelOpGen.Kind kind : KINDS) {
                    for (int total : TOTALS) {
                        seed++;
                        int m = 1 + (int) (seed % 3);
                        DType[] in = new DType[m];
                        for (int i = 0; i < m; i++) {
                            in[i] = TYPES[(int) ((seed + i) % 3)];
                        }
                        check(isa, seed, kind, in, TYPES[(int) (seed % 3)], total, false);
                    }
                }
            });
        }
    }

    /** DELLA norms: rows of every length, blocks that cut rows, ties, special values. */
    private void checkDella(int isa, long seed, DType[] types, DType baseType, int rowLength, int rows, boolean specials,
                            boolean integers) {
        SplittableRandom r = new SplittableRandom(seed);
        int total = rowLength * rows;
        try (Arena arena = Arena.ofConfined()) {
            Operand[] xs = new Operand[types.length];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = integers ? KernelOpGen.integers(arena, types[i], total, i + 1, seed * 13 + i)
                        : specials ? TestBits.fill(arena, types[i], total, i + 1, seed * 13 + i)
                        : wide(arena, types[i], total, i + 1, seed * 13 + i);
            }
            Operand base = integers ? KernelOpGen.integers(arena, baseType, total, 3, seed * 13 + 9)
                    : specials ? TestBits.fill(arena, baseType, total, 3, seed * 13 + 9)
                    : wide(arena, baseType, total, 3, seed * 13 + 9);
            SparseOp op = KernelOpGen.della(r, xs, base, total, rowLength);
            assertNormsMatch(op, xs, base, total, String.format(
                    "DELLA isa %s seed %d inputs %s base %s row %d rows %d specials %b integers %b",
                    CpuFeatures.isaName(isa), seed, List.of(types), baseType, rowLength, rows, specials, integers));
        }
    }

    @Test
    void dellaNormsMatchOnEveryIsa() throws Exception {
        for (int isa : NativeTestSupport.isas()) {
            NativeTestSupport.onIsa(isa, () -> {
                long seed = 70_000L * (isa + 1);
                for (int row : KernelOpGen.ROWS) {
                    for (int m = 1; m <= 4; m++) {
                        for (int mode = 0; mode < 3; mode++) {
                            seed++;
                            DType[] in = new DType[m];
                            for (int i = 0; i < m; i++) {
                                in[i] = TYPES[(int) ((seed + i) % 3)];
                            }
                            // 4097 × 17 rows: the second block starts inside a row
                            int rows = row == 4097 ? (m == 1 ? 17 : 2) : 1 + (int) (seed % 9);
                            checkDella(isa, seed, in, TYPES[(int) (seed % 3)], row, rows, mode == 1, mode == 2);
                        }
                    }
                }
            });
        }
    }

    @Test
    void specialValuesGiveTheSameNaNsInfinitiesAndMaxima() throws Exception {
        for (int isa : NativeTestSupport.isas()) {
            NativeTestSupport.onIsa(isa, () -> {
                long seed = 60_000L * (isa + 1);
                for (KernelOpGen.Kind kind : KINDS) {
                    for (int total : new int[] {1, 17, 65, 1000}) {
                        for (DType t : TYPES) {
                            check(isa, ++seed, kind, new DType[] {t, TYPES[(int) (seed % 3)]}, t, total, true);
                        }
                    }
                }
            });
        }
    }

    /** Every norm kind and every block of the native sparseNorms equals the Java spec's, bit for bit (any NaN equals any NaN). */
    private void assertNormsMatch(SparseOp op, Operand[] xs, Operand base, long total, String context) {
        for (int norm = SparseOp.NORM_L1; norm <= SparseOp.NORM_LINF; norm++) {
            for (long block = 0; block < total; block += 65_536) {
                double[] want = new double[2 * xs.length];
                double[] got = new double[2 * xs.length];
                spec.sparseNorms(op, norm, xs, base, block, total, want);
                nat.sparseNorms(op, norm, xs, base, block, total, got);
                for (int k = 0; k < want.length; k++) {
                    boolean same = Double.doubleToRawLongBits(want[k]) == Double.doubleToRawLongBits(got[k])
                            || (Double.isNaN(want[k]) && Double.isNaN(got[k]));
                    assertThat(same).as("%s norm %d block %d: out[%d] java %s native %s", context, norm, block, k,
                            want[k], got[k]).isTrue();
                }
            }
        }
    }
}
