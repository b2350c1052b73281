package org.exmerge.kernel.ffm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.exmerge.format.DType;
import org.exmerge.kernel.Backends;
import org.exmerge.kernel.JavaKernels;
import org.exmerge.kernel.LinearOp;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.TestBits;
import org.exmerge.testing.Cli;
import org.exmerge.testing.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The provider: what auto picks, forced backends, per-op fallback, and a JVM where native cannot run. */
class BackendsTest {

    @Test
    void autoAndNativeSelectTheNativeKernelsWhenTheyRun() {
        NativeTestSupport.requireNative();
        boolean gpu = Backends.available().contains("cuda"); // a GPU machine: still native first
        assertThat(Backends.select("auto").name()).isEqualTo("native");
        assertThat(Backends.select("native")).isSameAs(NativeKernels.instance());
        assertThat(Backends.select("java").name()).isEqualTo("java");
        assertThat(Backends.available()).containsExactlyElementsOf(gpu ? List.of("native", "cuda", "java")
                : List.of("native", "java"));
    }

    @Test
    void namesComeFromTheProvidersAndUnknownOnesAreClearErrors() {
        assertThat(Backends.NAMES).containsExactly("auto", "native", "cuda", "java");
        assertThat(Backends.providers()).extracting(p -> p.getClass().getSimpleName())
                .containsExactly("NativeProvider", "CudaProvider", "JavaProvider");
        assertThatThrownBy(() -> Backends.select("gpu")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown backend 'gpu'").hasMessageContaining("[auto, native, cuda, java]");
    }

    @Test
    void whereCudaCannotRunForcingItExitsTwoWithOneLineAndDoctorSaysWhy(@TempDir Path dir) throws Exception {
        org.exmerge.kernel.KernelProvider cuda = Backends.providers().get(0);
        org.junit.jupiter.api.Assumptions.assumeFalse(cuda.available(), "this machine runs CUDA");
        TestModels.write(dir.resolve("a"), new TestModels.T("w", DType.BF16, new long[] {3}, new float[] {1, 2, 3}));
        TestModels.write(dir.resolve("b"), new TestModels.T("w", DType.BF16, new long[] {3}, new float[] {3, 2, 1}));
        Path yaml = dir.resolve("soup.yaml");
        Files.writeString(yaml, "merge_method: linear\nmodels:\n  - model: " + dir.resolve("a") + "\n  - model: "
                + dir.resolve("b") + "\n");
        Cli.Result forced = Cli.run("merge", yaml.toString(), dir.resolve("forced").toString(), "--backend", "cuda");
        assertThat(forced.exit()).as(forced.err()).isEqualTo(2);
        assertThat(forced.err()).contains("backend 'cuda' is unavailable: " + cuda.unavailableReason());
        assertThat(dir.resolve("forced")).doesNotExist();
        Cli.Result doctor = Cli.run("doctor");
        assertThat(doctor.exit()).isZero();
        assertThat(doctor.out()).contains("cuda       unavailable: " + cuda.unavailableReason())
                .doesNotContain("auto       chooses cuda");
    }

    @Test
    void opsTheCLibraryDoesNotHaveFallBackToJavaWithTheSameBytes() {
        NativeTestSupport.requireNative();
        JavaKernels spec = new JavaKernels();
        try (Arena arena = Arena.ofConfined()) {
            int n = 37;
            MemorySegment d = arena.allocate(8L * n, 8);
            MemorySegment e4 = arena.allocate(n);
            for (int j = 0; j < n; j++) {
                d.setAtIndex(ValueLayout.JAVA_DOUBLE, j, Math.sin(j) / 3);
                e4.set(ValueLayout.JAVA_BYTE, j, (byte) (j * 7));
            }
            Operand f64 = new Operand(d, DType.F64);
            Operand f8 = new Operand(e4, DType.F8_E4M3);
            LinearOp op = new LinearOp(new double[] {0.3, 0.7}, true, false, 1, 1.1);
            // F64 computes in float64 (numerics §1): delegated to the Java kernels.
            Operand want = new Operand(arena.allocate(8L * n), DType.F64);
            Operand got = new Operand(arena.allocate(8L * n), DType.F64);
            Operand bf = TestBits.fill(arena, DType.BF16, n, 0, 5);
            spec.linear(op, new Operand[] {f64, bf}, bf, want, n);
            NativeKernels.instance().linear(op, new Operand[] {f64, bf}, bf, got, n);
            assertThat(got.segment().mismatch(want.segment())).isEqualTo(-1);
            // F8 inputs: delegated as well.
            Operand want16 = TestBits.output(arena, DType.BF16, n, 0);
            Operand got16 = TestBits.output(arena, DType.BF16, n, 0);
            spec.linear(op, new Operand[] {f8, bf}, bf, want16, n);
            NativeKernels.instance().linear(op, new Operand[] {f8, bf}, bf, got16, n);
            assertThat(got16.segment().mismatch(want16.segment())).isEqualTo(-1);
        }
    }

    @Test
    void whereNativeCannotRunAutoFallsBackWithOneLogLineAndForcingItNamesTheCause(@TempDir Path dir) throws Exception {
        NativeTestSupport.requireNative();
        TestModels.write(dir.resolve("a"), new TestModels.T("w", DType.BF16, new long[] {3}, new float[] {1, 2, 3}));
        TestModels.write(dir.resolve("b"), new TestModels.T("w", DType.BF16, new long[] {3}, new float[] {3, 2, 1}));
        Path yaml = dir.resolve("soup.yaml");
        Files.writeString(yaml, "merge_method: linear\nmodels:\n  - model: " + dir.resolve("a") + "\n  - model: "
                + dir.resolve("b") + "\n");
        // A forced ISA no CPU has makes the backend unavailable in that JVM, with that reason.
        var flags = java.util.List.of("-D" + NativeSupport.ISA_PROPERTY + "=avx1024");
        Cli.Result forced = Cli.runChild(flags, "merge", yaml.toString(), dir.resolve("forced").toString(), "--backend", "native");
        assertThat(forced.exit()).as(forced.err()).isEqualTo(2);
        assertThat(forced.err()).contains("backend 'native' is unavailable").contains("avx1024");
        assertThat(dir.resolve("forced")).doesNotExist();
        Cli.Result auto = Cli.runChild(flags, "merge", yaml.toString(), dir.resolve("auto").toString(), "--json");
        assertThat(auto.exit()).as(auto.err()).isZero();
        assertThat(auto.err().split("native kernels unavailable", -1)).as(auto.err()).hasSize(2); // said once
        assertThat(auto.err()).contains("avx1024");
        assertThat(dir.resolve("auto").resolve("model.safetensors")).exists();
        Cli.Result doctor = Cli.runChild(flags, "doctor");
        assertThat(doctor.exit()).isZero();
        assertThat(doctor.out()).contains("unavailable").contains("avx1024").contains("auto       chooses java");
        // Without --backend the system property chooses (here: java where auto would take native).
        Cli.Result prop = Cli.runChild(java.util.List.of("-Dexmerge.backend=java"), "merge", yaml.toString(),
                dir.resolve("prop").toString(), "--json");
        assertThat(prop.exit()).as(prop.err()).isZero();
        assertThat(prop.out()).contains("\"backend\":\"java\"").contains("\"fallbacks\":{}");
    }
}
