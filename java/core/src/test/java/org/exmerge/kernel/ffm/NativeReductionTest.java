package org.exmerge.kernel.ffm;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import org.exmerge.format.DType;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.TestBits;
import org.exmerge.numeric.BlockReduction;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** numerics §4's float64 reductions on every ISA path, bit-equal to numeric.BlockReduction, block by block. */
class NativeReductionTest {
    static final DType[] TYPES = {DType.BF16, DType.F16, DType.F32};
    static final int[] SIZES = {0, 1, 3, 63, 64, 65, 127, 129, 1000, 65535, 65536, 65537, 3 * 65536 + 17};
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
    void sumsAndDotsMatchBlockReductionOnEveryIsa() throws Exception {
        for (int isa : NativeTestSupport.isas()) {
            NativeTestSupport.onIsa(isa, () -> {
                long seed = 300L * (isa + 1);
                for (DType tx : TYPES) {
                    for (int n : SIZES) {
                        seed++;
                        try (Arena arena = Arena.ofConfined()) {
                            // Finite data mostly: every few seeds keeps the NaN/Inf patterns in.
                            Operand x = finite(TestBits.fill(arena, tx, n, (int) (seed % 5), seed), seed % 4 != 0, n);
                            DType ty = TYPES[(int) (seed % 3)];
                            Operand y = finite(TestBits.fill(arena, ty, n, 1, seed + 7), seed % 4 != 0, n);
                            String at = String.format("isa %s seed %d %s/%s n %d", CpuFeatures.isaName(isa), seed, tx, ty, n);
                            int blocks = (int) BlockReduction.blockCount(n);
                            double[] got = new double[blocks];
                            assertSame(at + " sumSquares", BlockReduction.sumSquares(x.segment(), tx, n), nat.sumSquares(x, n, got));
                            for (int b = 0; b < blocks; b++) {
                                assertSame(at + " block " + b, BlockReduction.blockSumSquares(x.segment(), tx, 65536L * b, n), got[b]);
                            }
                            assertSame(at + " sumAbs", BlockReduction.sumAbs(x.segment(), tx, n), nat.sumAbs(x, n, null));
                            assertSame(at + " dot", BlockReduction.dot(x.segment(), tx, y.segment(), ty, n), nat.dot(x, y, n, got));
                            for (int b = 0; b < blocks; b++) {
                                assertSame(at + " dot block " + b,
                                        BlockReduction.blockDot(x.segment(), tx, y.segment(), ty, 65536L * b, n), got[b]);
                            }
                        }
                    }
                }
            });
        }
    }

    @Test
    void theOrderIsTheSpecsNotASimpleSum() throws Exception {
        // 1e16 then 1.0 many times: a left-to-right sum keeps 1e16 (each 1.0 is lost), the spec's lanes do not.
        try (Arena arena = Arena.ofConfined()) {
            int n = 4096;
            var s = arena.allocate(4L * n, 4);
            for (int i = 0; i < n; i++) {
                s.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, i == 0 ? 1e8f : 1f);
            }
            Operand x = new Operand(s, DType.F32);
            double sum = 0;
            for (int i = 0; i < n; i++) {
                double v = s.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i);
                sum += v * v;
            }
            double naive = sum;
            for (int isa : NativeTestSupport.isas()) {
                NativeTestSupport.onIsa(isa, () -> {
                    double got = nat.sumSquares(x, n, null);
                    assertThat(got).isEqualTo(BlockReduction.sumSquares(s, DType.F32, n)).isNotEqualTo(naive);
                });
            }
        }
    }

    /** Replaces non-finite values by 1.5 unless {@code keep}, so most seeds check sums of real size. */
    private static Operand finite(Operand o, boolean clean, int n) {
        if (!clean) {
            return o;
        }
        for (int j = 0; j < n; j++) {
            float v = org.exmerge.testing.TestModels.get(o.segment(), o.type(), j);
            if (!Float.isFinite(v)) {
                switch (o.type()) {
                    case F32 -> o.segment().set(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, 4L * j, 1.5f);
                    case BF16 -> o.segment().set(TestBits.I16, 2L * j, (short) 0x3FC0);
                    default -> o.segment().set(TestBits.I16, 2L * j, (short) 0x3E00);
                }
            }
        }
        return o;
    }
}
