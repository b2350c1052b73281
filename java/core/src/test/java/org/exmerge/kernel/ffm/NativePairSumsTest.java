package org.exmerge.kernel.ffm;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import org.exmerge.format.DType;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.TestBits;
import org.exmerge.kernel.VectorSpan;
import org.exmerge.numeric.BlockReduction;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * mk_pair_sums on every ISA path against numerics §4 as numeric.BlockReduction states it, block by
 * block (KernelConformanceTest holds it to the Java kernels over every span shape; this is the tie to
 * the reduction the docs define, and the summation order itself).
 */
class NativePairSumsTest {
    static final DType[] TYPES = {DType.BF16, DType.F16, DType.F32};
    static final int[] SIZES = {1, 3, 63, 64, 65, 127, 129, 1000, 1025, 65535, 65536, 65537, 3 * 65536 + 17};
    private static NativeKernels nat;

    @BeforeEach
    void load() {
        NativeTestSupport.requireNative(); // per test, so a machine without the library shows each one skipped
        nat = NativeKernels.instance();
    }

    /** Equal bits, or both NaN (which NaN payload survives a NaN + NaN add is the hardware's choice). */
    static boolean same(double a, double b) {
        return Double.doubleToRawLongBits(a) == Double.doubleToRawLongBits(b) || (Double.isNaN(a) && Double.isNaN(b));
    }

    private static void assertSame(String what, double want, double got) {
        assertThat(same(want, got)).as("%s: BlockReduction %s (%016X), native %s (%016X)", what, want,
                Double.doubleToRawLongBits(want), got, Double.doubleToRawLongBits(got)).isTrue();
    }

    @Test
    void squaresAndDotsAreBlockReductionsBlocksOnEveryIsa() throws Exception {
        int[][] pairs = {{0, 0}, {0, 1}, {1, 1}};
        for (int isa : NativeTestSupport.isas()) {
            NativeTestSupport.onIsa(isa, () -> {
                long seed = 300L * (isa + 1);
                for (DType tx : TYPES) {
                    for (int n : SIZES) {
                        seed++;
                        try (Arena arena = Arena.ofConfined()) {
                            Operand x = TestBits.fill(arena, tx, n, (int) (seed % 5), seed);
                            DType ty = TYPES[(int) (seed % 3)];
                            Operand y = TestBits.fill(arena, ty, n, 1, seed + 7);
                            String at = String.format("isa %s seed %d %s/%s n %d", CpuFeatures.isaName(isa), seed, tx, ty, n);
                            int blocks = (int) VectorSpan.blockCount(n);
                            double[] got = new double[3 * blocks];
                            nat.pairSums(new Operand[] {x, y}, null, pairs, new VectorSpan(0, 1, n, 1, n, 0, blocks), got);
                            for (int b = 0; b < blocks; b++) {
                                long start = 65536L * b;
                                assertSame(at + " x² block " + b, BlockReduction.blockSumSquares(x.segment(), tx, start, n), got[3 * b]);
                                assertSame(at + " xy block " + b,
                                        BlockReduction.blockDot(x.segment(), tx, y.segment(), ty, start, n), got[3 * b + 1]);
                                assertSame(at + " y² block " + b, BlockReduction.blockSumSquares(y.segment(), ty, start, n),
                                        got[3 * b + 2]);
                            }
                        }
                    }
                }
            });
        }
    }

    @Test
    void theOrderIsTheSpecsNotASimpleSum() throws Exception {
        // 1e8 then 1.0 many times: a left-to-right sum of squares keeps only 1e16 (each 1.0 is lost), the lanes do not.
        try (Arena arena = Arena.ofConfined()) {
            int n = 4096;
            var s = arena.allocate(4L * n, 4);
            for (int i = 0; i < n; i++) {
                s.setAtIndex(ValueLayout.JAVA_FLOAT, i, i == 0 ? 1e8f : 1f);
            }
            Operand x = new Operand(s, DType.F32);
            double naive = 0;
            for (int i = 0; i < n; i++) {
                double v = s.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                naive += v * v;
            }
            double sum = naive;
            for (int isa : NativeTestSupport.isas()) {
                NativeTestSupport.onIsa(isa, () -> {
                    double[] got = new double[1];
                    nat.pairSums(new Operand[] {x}, null, new int[][] {{0, 0}}, new VectorSpan(0, 1, n, 1, n, 0, 1), got);
                    assertThat(got[0]).isEqualTo(BlockReduction.sumSquares(s, DType.F32, n)).isNotEqualTo(sum);
                });
            }
        }
    }
}
