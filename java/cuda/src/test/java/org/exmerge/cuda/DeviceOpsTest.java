package org.exmerge.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.exmerge.format.DType;
import org.exmerge.kernel.JavaKernels;
import org.exmerge.kernel.KernelOpGen;
import org.exmerge.kernel.LinearOp;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.TestBits;
import org.exmerge.kernel.VectorLinearOp;
import org.exmerge.kernel.VectorSpan;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The ops that have device kernels run on them: a call the conformance suite would pass through a
 * silent fallback too is caught here, because these calls must leave {@link CudaKernels#fallbacks()}
 * empty while still writing the spec's bytes.
 */
class DeviceOpsTest {
    private static final JavaKernels SPEC = new JavaKernels();

    private static CudaKernels kernels() {
        EmulatedDevice d = EmulatedDevice.get();
        Assumptions.assumeTrue(d != null, () -> "emulator not built here: " + EmulatedDevice.unavailable());
        return new CudaKernels(d, 1L << 24, 1L << 16);
    }

    @Test
    void pairSumsAndLinearPerVectorRunOnTheDevice() {
        CudaKernels k = kernels();
        try (Arena arena = Arena.ofConfined()) {
            int n = 37 * 30;
            Operand[] xs = {TestBits.fill(arena, DType.BF16, n, 1, 1), TestBits.fill(arena, DType.F64, n, 0, 2)};
            Operand base = TestBits.fill(arena, DType.F16, n, 3, 3);
            int[][] pairs = {{0, 0}, {0, 1}, {1, 1}};
            for (VectorSpan s : new VectorSpan[] {new VectorSpan(0, 1, 30, 37, 30, 0, 1),
                new VectorSpan(0, 30, 1, 30, 37, 0, 1)}) {
                double[] want = new double[s.outputs(3)];
                double[] got = new double[want.length];
                SPEC.pairSums(xs, base, pairs, s, want);
                k.pairSums(xs, base, pairs, s, got);
                assertThat(got).as("%s", s).isEqualTo(want);
            }
            SplittableRandom r = new SplittableRandom(7);
            LinearOp[] ops = new LinearOp[30];
            for (int p = 0; p < ops.length; p++) {
                ops[p] = KernelOpGen.linear(r, 2, true);
            }
            for (boolean strided : new boolean[] {false, true}) {
                VectorLinearOp v = new VectorLinearOp(ops, 37, strided);
                Operand want = TestBits.output(arena, DType.F32, n - 5, 0);
                Operand got = TestBits.output(arena, DType.F32, n - 5, 0);
                SPEC.linearPerVector(v, xs, base, want, 5, n - 5);
                k.linearPerVector(v, xs, base, got, 5, n - 5);
                assertThat(TestBits.firstDifference(want, got, n - 5)).as("strided %b", strided).isEqualTo(-1);
            }
        }
        assertThat(k.fallbacks()).isEmpty();
    }

    @Test
    void nearswapRunsOnTheDevice() {
        CudaKernels k = kernels();
        try (Arena arena = Arena.ofConfined()) {
            int n = 5_000;
            Operand base = TestBits.fill(arena, DType.BF16, n, 1, 11);
            for (DType t : new DType[] {DType.F16, DType.F64}) {
                Operand x = TestBits.fill(arena, t, n, 0, 12);
                Operand want = TestBits.output(arena, DType.F32, n, 0);
                Operand got = TestBits.output(arena, DType.F32, n, 0);
                SPEC.nearswap(0.3, base, x, want, n);
                k.nearswap(0.3, base, x, got, n);
                assertThat(TestBits.firstDifference(want, got, n)).as("%s", t).isEqualTo(-1);
            }
        }
        assertThat(k.fallbacks()).isEmpty();
    }
}
