package org.exmerge.kernel.ffm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.exmerge.Exmerge;
import org.exmerge.MergeOptions;
import org.exmerge.engine.MergeStats;
import org.exmerge.engine.ProgressListener;
import org.exmerge.engine.RunOptions;
import org.exmerge.format.DType;
import org.exmerge.testing.TestModels;
import org.exmerge.testing.TestModels.T;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whole merges through the public API: the native backend writes the java backend's files, byte for byte. */
class NativeEngineTest {
    @TempDir
    static Path dir;

    static final String EXME = """
        merge_method: exme
        base_model: base
        models:
          - model: sft1
            parameters: {alpha: 0.5}
          - model: sft2
            parameters: {alpha: -0.3}
        parameters:
          beta: 0.35
        """;

    static final String TASK = """
        merge_method: task_arithmetic
        base_model: base
        models:
          - model: sft1
            parameters: {weight: [0.2, 0.8]}
          - model: sft2
            parameters: {weight: 0.6}
        parameters:
          lambda: 0.9
          normalize: true
        """;

    static final String LINEAR = """
        merge_method: linear
        models:
          - model: sft1
            parameters: {weight: 0.7}
          - model: sft2
            parameters: {weight: 0.3}
          - model: base
            parameters: {weight: 0.25}
        """;

    @BeforeEach
    void requireNative() {
        NativeTestSupport.requireNative();
    }

    @BeforeAll
    static void models() throws IOException {
        write("base", 1, DType.BF16);
        write("sft1", 2, DType.F16);
        write("sft2", 3, DType.F32);
    }

    static void write(String name, long seed, DType type) throws IOException {
        write(dir, name, seed, type);
    }

    /** A model of the tail shapes plus a 70,001-element tensor and an integer one, under {@code root}. */
    static void write(Path root, String name, long seed, DType type) throws IOException {
        List<T> ts = new ArrayList<>();
        int i = 0;
        for (var e : TestModels.tailShapes().entrySet()) {
            ts.add(new T(e.getKey(), type, e.getValue(), TestModels.random(seed * 100 + i++, (int) TestModels.count(e.getValue()), 0.02f)));
        }
        ts.add(new T("big.weight", type, new long[] {70_001}, TestModels.random(seed * 100 + 99, 70_001, 0.02f)));
        ts.add(new T("position_ids", DType.I64, new long[] {5}, new float[] {0, 1, 2, 3, seed}));
        TestModels.write(root.resolve(name), ts.toArray(T[]::new));
    }

    static byte[] merge(String yaml, String out, String backend, DType outType, int threads, long chunk) throws Exception {
        return merge(dir, yaml, out, backend, outType, threads, chunk);
    }

    /** Merges {@code yaml} with the models under {@code root}; the output file's bytes. */
    static byte[] merge(Path root, String yaml, String out, String backend, DType outType, int threads, long chunk)
            throws Exception {
        run(root, yaml, out, backend, outType, threads, chunk);
        return Files.readAllBytes(root.resolve(out).resolve("model.safetensors"));
    }

    static MergeStats run(Path root, String yaml, String out, String backend, DType outType, int threads, long chunk)
            throws Exception {
        MergeOptions o = MergeOptions.defaults().withModelsDir(root).withBackend(backend).withOutType(outType)
                .withRun(RunOptions.defaults().withThreads(threads).withChunkBytes(chunk));
        MergeStats s = Exmerge.merge(Exmerge.Source.parse(yaml, out), root.resolve(out), o, ProgressListener.NONE);
        assertThat(s.backend()).isEqualTo(backend);
        return s;
    }

    @Test
    void aRunReportsTheCallsTheNativeBackendHandedToTheJavaSpec() throws Exception {
        // F64 output computes in float64 (numerics §1), which the C kernels leave to the spec.
        assertThat(run(dir, LINEAR, "fb-native-f64", "native", DType.F64, 2, 4 << 20).fallbacks())
                .containsOnlyKeys("linear").allSatisfy((op, n) -> assertThat(n).isPositive());
        assertThat(run(dir, LINEAR, "fb-java-f64", "java", DType.F64, 2, 4 << 20).fallbacks()).isEmpty();
        // BF16 runs natively; the integer tensor is a copy, not a fallback.
        assertThat(run(dir, LINEAR, "fb-native-bf16", "native", DType.BF16, 2, 4 << 20).fallbacks()).isEmpty();
    }

    @Test
    void everyLinearFamilyRecipeAndOutputTypeIsByteIdenticalToTheJavaBackend() throws Exception {
        String[][] recipes = {{"exme", EXME}, {"task", TASK}, {"linear", LINEAR}};
        DType[] outTypes = {null, DType.F16, DType.F32, DType.BF16};
        for (String[] r : recipes) {
            for (DType t : outTypes) {
                String tag = r[0] + "-" + t;
                byte[] java = merge(r[1], tag + "-java", "java", t, 2, 4 << 20);
                byte[] nat = merge(r[1], tag + "-native", "native", t, 2, 4 << 20);
                assertThat(nat).as("%s with out type %s", r[0], t).isEqualTo(java);
            }
        }
    }

    @Test
    void oddChunkSizesAndThreadCountsDoNotChangeTheNativeBytes() throws Exception {
        byte[] java = merge(EXME, "chunks-java", "java", null, 1, 4 << 20);
        for (long chunk : new long[] {6, 1000, 65_538}) {
            for (int threads : new int[] {1, 3}) {
                assertThat(merge(EXME, "chunks-" + chunk + "-" + threads, "native", null, threads, chunk))
                        .as("chunk %d threads %d", chunk, threads).isEqualTo(java);
            }
        }
    }
}
