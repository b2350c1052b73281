package org.exmerge.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.exmerge.Exmerge;
import org.exmerge.MergeOptions;
import org.exmerge.format.DType;
import org.exmerge.kernel.Backends;
import org.exmerge.kernel.ffm.NativeTestSupport;
import org.exmerge.testing.EngineRuns;
import org.exmerge.testing.LoraAdapters;
import org.exmerge.testing.TestModels;
import org.exmerge.testing.TestModels.T;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An adapted model (numerics §12) merged on the java backend with one thread, and on every other way the
 * engine can work it out: java on two threads, native on every ISA path this CPU runs with one, two and
 * three threads, native with the adapted tensors in scratch files: the same bytes. Ranks 16, 5 and 33
 * (rank_pattern), shapes whose rows are no multiple of 4 and whose columns are no multiple of a vector,
 * one tensor past a panel of columns and one past a 4 MB block of rows, F32 factors, and a replacement of
 * another dtype than the model's with a delta added to it. A model of a type the C kernels leave to Java
 * (F64) shows its LoRA deltas as counted fallbacks.
 */
class LoraBackendsTest {
    private static final String Q = "model.layers.0.self_attn.q_proj";
    private static final String O = "model.layers.0.self_attn.o_proj";
    private static final String UP = "model.layers.0.mlp.up_proj";
    private static final String DOWN = "model.layers.0.mlp.down_proj";
    private static final Map<String, long[]> SHAPES = Map.of(
            Q + ".weight", new long[] {64, 64},
            O + ".weight", new long[] {5, 1001},
            UP + ".weight", new long[] {203, 37},
            DOWN + ".weight", new long[] {2085, 1031}); // > 4 MB in F32 and F64: several jobs

    @TempDir
    Path dir;

    private void write(DType t) throws IOException {
        List<T> ts = new ArrayList<>();
        long seed = 1;
        for (Map.Entry<String, long[]> e : SHAPES.entrySet()) {
            ts.add(new T(e.getKey(), t, e.getValue(), TestModels.random(seed++, (int) TestModels.count(e.getValue()), 0.02f)));
        }
        ts.add(new T("model.norm.weight", t, new long[] {64}, TestModels.random(seed++, 64, 1f)));
        TestModels.write(dir.resolve("m"), ts.toArray(T[]::new));
        List<T> a = new ArrayList<>();
        for (String m : List.of(Q, O, UP, DOWN)) {
            long[] w = SHAPES.get(m + ".weight");
            int r = m.equals(O) ? 5 : m.equals(UP) ? 33 : 16;
            a.add(new T(m + ".lora_A.weight", DType.F32, new long[] {r, w[1]}, TestModels.random(seed++, (int) (r * w[1]), 0.05f)));
            a.add(new T(m + ".lora_B.weight", DType.F32, new long[] {w[0], r}, TestModels.random(seed++, (int) (w[0] * r), 0.05f)));
        }
        DType other = t == DType.F32 ? DType.BF16 : DType.F32;
        a.add(new T(Q + ".base_layer.weight", other, new long[] {64, 64}, TestModels.random(seed++, 64 * 64, 0.02f)));
        LoraAdapters.write(dir.resolve("a"), """
                "r": 16, "lora_alpha": 24, "rank_pattern": {"o_proj": 5, "up_proj": 33}""", a.toArray(T[]::new));
    }

    private record Run(byte[] bytes, Map<String, Long> fallbacks) {}

    private Run merge(String backend, int threads, boolean files, String out) throws Exception {
        String yaml = "merge_method: linear\nmodels:\n  - model: m+a\n    parameters: {weight: 1}\n";
        MergeOptions o = EngineRuns.opts(dir, threads, 1 << 16).withBackend(backend);
        if (files) {
            long[] need = {0};
            MergeOptions plain = o;
            Exmerge.plan(Exmerge.Source.parse(yaml, out), dir.resolve(out), plain, plan -> {
                try {
                    need[0] = MergeExecutor.fit(plan, plain.run()).needBytes();
                } catch (org.exmerge.error.BudgetException e) {
                    throw new AssertionError(e);
                }
            });
            o = o.withRun(o.run().withMemoryBytes(need[0] + 64)); // nothing spare: the adapted tensors go to scratch files
        }
        var stats = Exmerge.merge(Exmerge.Source.parse(yaml, out), dir.resolve(out), o, ProgressListener.NONE);
        return new Run(Files.readAllBytes(dir.resolve(out).resolve("model.safetensors")), stats.fallbacks());
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "F16", "F32", "F64"})
    void everyBackendIsaAndThreadCountWritesTheBytesOfTheJavaRun(DType t) throws Exception {
        write(t);
        Run reference = merge("java", 1, false, "ref");
        assertThat(reference.fallbacks()).isEmpty();
        assertThat(merge("java", 2, true, "java-2").bytes()).as("java, 2 threads, scratch files").isEqualTo(reference.bytes());
        Assumptions.assumeTrue(Backends.available().contains("native"), "no native backend here");
        for (int isa : NativeTestSupport.isas()) {
            NativeTestSupport.onIsa(isa, () -> {
                String path = NativeTestSupport.isaName(isa);
                for (int threads : new int[] {1, 2, 3}) {
                    Run run = merge("native", threads, threads == 2, path + "-" + threads);
                    assertThat(run.bytes()).as("native/%s, %d threads", path, threads).isEqualTo(reference.bytes());
                    // Only F64 is left to the Java spec (numerics §1: it computes in float64 and keeps v as is).
                    if (t == DType.F64) {
                        assertThat(run.fallbacks()).as("native/%s", path).containsKey("loraRows");
                    } else {
                        assertThat(run.fallbacks()).as("native/%s", path).doesNotContainKey("loraRows");
                    }
                }
            });
        }
    }
}
