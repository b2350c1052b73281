package org.exmerge.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import org.exmerge.format.DType;
import org.exmerge.kernel.JavaKernels;
import org.exmerge.kernel.LinearOp;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.SparseOp;
import org.exmerge.kernel.TestBits;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The emulated grid itself: every kernel the Java side launches exists with the parameter size it
 * packs (a drifted struct fails here by name, not as wrong bytes), launch errors are named, and
 * what the kernels do not take is handed to the spec and counted.
 */
class EmulatorTest {

    private static EmulatedDevice device() {
        EmulatedDevice d = EmulatedDevice.get();
        Assumptions.assumeTrue(d != null, () -> "emulator not built here: " + EmulatedDevice.unavailable());
        return d;
    }

    @Test
    void everyKernelIsInTheLibraryWithTheParameterSizeJavaPacks() {
        EmulatedDevice d = device();
        for (Kernel k : Kernel.values()) {
            assertThat(d.paramsSize(k.symbol)).as(k.symbol).isEqualTo(k.paramsSize);
        }
        assertThat(d.paramsSize("mkcu_no_such_kernel")).isZero();
    }

    @Test
    void aLaunchWithTheWrongParameterSizeIsANamedError() {
        EmulatedDevice d = device();
        try (Arena arena = Arena.ofConfined()) {
            Params p = new Params(arena, 8);
            assertThatThrownBy(() -> d.stream().launch(Kernel.LINEAR32, 1, 1, p.segment())).isInstanceOf(CudaException.class)
                    .hasMessage("emulated launch of mkcu_linear32 (1 x 1, 8 parameter bytes) failed: status 2");
        }
    }

    @Test
    void callsTheKernelsDoNotTakeGoToTheSpecAndAreCounted() {
        CudaKernels k = new CudaKernels(device(), 1L << 26, 1L << 20);
        JavaKernels spec = new JavaKernels();
        try (Arena arena = Arena.ofConfined()) {
            int n = 100;
            Operand[] xs = new Operand[CudaKernels.MAX_MODELS + 1];
            double[] w = new double[xs.length];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = TestBits.fill(arena, DType.BF16, n, i, i);
                w[i] = 1.0 / (i + 1);
            }
            LinearOp op = new LinearOp(w, false, false, 1, 1);
            Operand want = TestBits.output(arena, DType.F32, n, 0);
            Operand got = TestBits.output(arena, DType.F32, n, 0);
            spec.linear(op, xs, null, want, n);
            k.linear(op, xs, null, got, n);
            assertThat(TestBits.firstDifference(want, got, n)).isEqualTo(-1);
            assertThat(k.fallbacks()).containsExactly(java.util.Map.entry("linear", 1L));
            // Sixteen inputs run on the (emulated) device: nothing more is counted.
            Operand[] sixteen = java.util.Arrays.copyOf(xs, CudaKernels.MAX_MODELS);
            k.linear(new LinearOp(java.util.Arrays.copyOf(w, 16), false, false, 1, 1), sixteen, null, got, n);
            // F64 sparse inputs: the spec refuses, and the backend refuses alike through it.
            Operand f64 = TestBits.fill(arena, DType.F64, n, 0, 3);
            SparseOp sp = SparseOp.plain(new float[] {1f}, SparseOp.ELECT_SUM, false, 1f, 1f, 0, 1);
            assertThatThrownBy(() -> k.sparseMerge(sp, new Operand[] {f64}, xs[0], got, 0, n))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("F64 inputs are not supported");
            assertThat(k.fallbacks()).containsExactly(java.util.Map.entry("linear", 1L), java.util.Map.entry("sparseMerge", 1L));
        }
    }
}
