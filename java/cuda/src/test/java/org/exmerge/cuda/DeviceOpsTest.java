package org.exmerge.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.exmerge.format.DType;
import org.exmerge.kernel.FusionOp;
import org.exmerge.kernel.JavaKernels;
import org.exmerge.kernel.KernelOpGen;
import org.exmerge.kernel.LinearOp;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.SceOp;
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

    @Test
    void sceAndArceeFusionRunOnTheDevice() {
        CudaKernels k = kernels();
        try (Arena arena = Arena.ofConfined()) {
            int n = 70_000; // past one numerics §4 block
            Operand[] xs = {TestBits.fill(arena, DType.BF16, n, 1, 21), TestBits.fill(arena, DType.F16, n, 0, 22),
                TestBits.fill(arena, DType.F32, n, 2, 23)};
            Operand base = TestBits.fill(arena, DType.BF16, n, 0, 24);
            long[] want = new long[1 << 15];
            long[] got = new long[1 << 15];
            SPEC.sceHistogram(xs, base, 3, n - 3, -1, want);
            k.sceHistogram(xs, base, 3, n - 3, -1, got);
            assertThat(got).isEqualTo(want);
            SceOp op = new SceOp(new float[] {0.5f, 0.25f, 0.25f}, 0x3000_0000L);
            double[] squaresWant = new double[3];
            double[] squaresGot = new double[3];
            SPEC.sceSquares(op, xs, base, 65_536, n, squaresWant);
            k.sceSquares(op, xs, base, 65_536, n, squaresGot);
            assertThat(squaresGot).isEqualTo(squaresWant);
            Operand outWant = TestBits.output(arena, DType.F16, n - 3, 0);
            Operand outGot = TestBits.output(arena, DType.F16, n - 3, 0);
            SPEC.sceMerge(op, xs, base, outWant, 3, n - 3);
            k.sceMerge(op, xs, base, outGot, 3, n - 3);
            assertThat(TestBits.firstDifference(outWant, outGot, n - 3)).isEqualTo(-1);

            float[] kl = new float[n / 100];
            for (int r = 0; r < kl.length; r++) {
                kl[r] = r % 7 == 0 ? Float.NaN : r * 0.01f;
            }
            FusionOp fusion = new FusionOp(kl, 100, 0.05f);
            Arrays.fill(want, 0);
            Arrays.fill(got, 0);
            SPEC.fusionHistogram(fusion, xs[0], base, 150, n - 200, -1, want);
            k.fusionHistogram(fusion, xs[0], base, 150, n - 200, -1, got);
            assertThat(got).isEqualTo(want);
            SPEC.fusionMerge(fusion, xs[0], base, outWant, 150, n - 200);
            k.fusionMerge(fusion, xs[0], base, outGot, 150, n - 200);
            assertThat(TestBits.firstDifference(outWant, outGot, n - 200)).isEqualTo(-1);
        }
        assertThat(k.fallbacks()).isEmpty();
    }
}
