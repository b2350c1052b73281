package org.exmerge.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.DType;
import org.exmerge.format.TensorInfo;
import org.exmerge.numeric.Bf16;
import org.exmerge.recipe.ConfigException;
import org.exmerge.testing.EngineRuns;
import org.exmerge.testing.TestModels;
import org.exmerge.testing.TestModels.T;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MergeEngineTest {
    @TempDir
    static Path dir;

    static final String EXME = """
        merge_method: exme
        base_model: base
        models:
          - model: sft1
            parameters: {alpha: 0.5}
          - model: sft2
            parameters: {alpha: 0.1}
        parameters:
          beta: 0.1
        """;

    @BeforeAll
    static void models() throws IOException {
        writeModel("base", 1, DType.BF16, Map.of());
        writeModel("sft1", 2, DType.F16, Map.of());
        writeModel("sft2", 3, DType.F32, Map.of());
    }

    /** Every tail size, plus an integer tensor that must be copied from the base untouched. */
    static void writeModel(String name, long seed, DType type, Map<String, long[]> override) throws IOException {
        List<T> ts = new ArrayList<>();
        int i = 0;
        for (var e : TestModels.tailShapes().entrySet()) {
            long[] shape = override.getOrDefault(e.getKey(), e.getValue());
            ts.add(new T(e.getKey(), type, shape, TestModels.random(seed * 100 + i++, (int) TestModels.count(shape), 0.02f)));
        }
        ts.add(new T("position_ids", DType.I64, new long[] {5}, new float[] {0, 1, 2, 3, seed}));
        TestModels.write(dir.resolve(name), ts.toArray(T[]::new));
    }



    @Test
    void exmeEqualsSpecElementByElement() throws Exception {
        Path out = EngineRuns.merge(dir, EXME, "exme", EngineRuns.opts(dir, 2, 4 << 20));
        float w1 = (float) (0.1 * (1 + 0.5));
        float w2 = (float) ((1 - 0.1) * (1 + 0.1));
        try (Checkpoint b = Checkpoint.open(dir.resolve("base")); Checkpoint x1 = Checkpoint.open(dir.resolve("sft1"));
             Checkpoint x2 = Checkpoint.open(dir.resolve("sft2")); Checkpoint o = Checkpoint.open(out)) {
            assertThat(o.tensors()).extracting(TensorInfo::name).containsExactlyElementsOf(
                    b.tensors().stream().map(TensorInfo::name).toList());
            for (TensorInfo t : b.tensors()) {
                TensorInfo ot = o.tensor(t.name());
                if (!t.dtype().isFloat()) {
                    assertThat(ot.dtype()).isEqualTo(DType.I64);
                    assertThat(o.data(t.name()).toArray(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED)).containsExactly(0, 1, 2, 3, 1);
                    continue;
                }
                assertThat(ot.dtype()).as("output type defaults to the base's").isEqualTo(DType.BF16);
                assertThat(ot.shape()).isEqualTo(t.shape());
                for (long j = 0; j < t.elementCount(); j++) {
                    float bj = TestModels.get(b.data(t.name()), DType.BF16, j);
                    float d = Math.fma(w1, TestModels.get(x1.data(t.name()), DType.F16, j) - bj, 0f);
                    d = Math.fma(w2, TestModels.get(x2.data(t.name()), DType.F32, j) - bj, d);
                    short expected = Bf16.fromFloat(Math.fma(1f, d, bj));
                    short got = o.data(t.name()).get(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, 2 * j);
                    assertThat(got).as("%s[%d]", t.name(), j).isEqualTo(expected);
                }
            }
            assertThat(o.metadata()).containsEntry("format", "pt").containsEntry("exmerge.method", "exme")
                    .containsEntry("exmerge.recipe", EXME);
        }
    }

    @Test
    void threadsAndChunkSizesNeverChangeABit() throws Exception {
        byte[] reference = Files.readAllBytes(EngineRuns.merge(dir, EXME, "t1", EngineRuns.opts(dir, 1, 4 << 20)).resolve("model.safetensors"));
        for (int threads : new int[] {2, 7}) {
            for (long chunk : new long[] {6, 1000, 1 << 16}) {
                Path out = EngineRuns.merge(dir, EXME, "t" + threads + "c" + chunk, EngineRuns.opts(dir, threads, chunk));
                assertThat(Files.readAllBytes(out.resolve("model.safetensors"))).as("threads %d chunk %d", threads, chunk)
                        .isEqualTo(reference);
            }
        }
    }

    @Test
    void shardedOutputHoldsTheSameTensors() throws Exception {
        Path single = EngineRuns.merge(dir, EXME, "single", EngineRuns.opts(dir, 2, 4 << 20));
        Path sharded = EngineRuns.merge(dir, EXME, "sharded", EngineRuns.opts(dir, 2, 4 << 20).withRun(RunOptions.defaults().withShardBytes(5000)));
        try (Stream<Path> files = Files.list(sharded)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".safetensors")).count()).isGreaterThan(2);
        }
        assertThat(sharded.resolve("model.safetensors.index.json")).exists();
        try (Checkpoint a = Checkpoint.open(single); Checkpoint b = Checkpoint.open(sharded)) {
            for (TensorInfo t : a.tensors()) {
                assertThat(b.data(t.name()).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))
                        .isEqualTo(a.data(t.name()).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            }
        }
    }

    @Test
    void gradientWeightsFollowTheLayer() throws Exception {
        // Three layers: t = 0, 0.5, 1 → weight 0, 0.5, 1 on the delta. Outside the layers (numerics §9,
        // as mergekit): embeddings read t = 0, the final norm and lm_head t = 1.
        String[] names = {"model.embed_tokens.weight", "model.layers.0.mlp.up_proj.weight", "model.layers.1.mlp.up_proj.weight",
            "model.layers.2.self_attn.q_proj.weight", "model.norm.weight", "lm_head.weight", "h.tail"};
        float[] w = {0f, 0f, 0.5f, 1f, 1f, 1f, 1f};
        for (String m : List.of("gbase", "gsft")) {
            List<T> ts = new ArrayList<>();
            for (int i = 0; i < names.length; i++) {
                ts.add(new T(names[i], DType.F32, new long[] {3, 7}, TestModels.random(m.length() * 31 + i, 21, 0.02f)));
            }
            TestModels.write(dir.resolve(m), ts.toArray(T[]::new));
        }
        String yaml = """
            merge_method: task_arithmetic
            base_model: gbase
            models:
              - model: gsft
                parameters: {weight: [0.0, 1.0]}
            dtype: float32
            """;
        Path out = EngineRuns.merge(dir, yaml, "gradient", EngineRuns.opts(dir, 2, 4 << 20));
        try (Checkpoint b = Checkpoint.open(dir.resolve("gbase")); Checkpoint x = Checkpoint.open(dir.resolve("gsft"));
             Checkpoint o = Checkpoint.open(out)) {
            for (int l = 0; l < names.length; l++) {
                MemorySegment os = o.data(names[l]);
                for (long j = 0; j < o.tensor(names[l]).elementCount(); j++) {
                    float bj = TestModels.get(b.data(names[l]), DType.F32, j);
                    float expected = Math.fma(1f, Math.fma(w[l], TestModels.get(x.data(names[l]), DType.F32, j) - bj, 0f), bj);
                    assertThat(TestModels.get(os, DType.F32, j)).as("%s[%d]", names[l], j).isEqualTo(expected);
                }
            }
        }
    }

    @Test
    void mismatchedModelsFailBeforeAnyOutput() throws Exception {
        writeModel("wrongshape", 4, DType.BF16, Map.of("h.tail", new long[] {4096}));
        String yaml = EXME.replace("model: sft2", "model: wrongshape");
        assertThatThrownBy(() -> EngineRuns.merge(dir, yaml, "never", EngineRuns.opts(dir, 2, 4 << 20)))
                .isInstanceOf(PlanException.class).hasMessageContaining("h.tail").hasMessageContaining("[4096]");
        String missing = EXME.replace("model: sft2", "model: nosuchmodel");
        assertThatThrownBy(() -> EngineRuns.merge(dir, missing, "never", EngineRuns.opts(dir, 2, 4 << 20)))
                .isInstanceOf(PlanException.class).hasMessageContaining("nosuchmodel");
        assertThat(dir.resolve("never")).doesNotExist();
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains("never"));
        }
    }

    @Test
    void configErrorsNameTheKeyPath() {
        String yaml = EXME.replace("alpha: 0.1", "alpah: 0.1");
        assertThatThrownBy(() -> EngineRuns.merge(dir, yaml, "never2", EngineRuns.opts(dir, 2, 4 << 20)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("models[1].parameters.alpah");
        String noBeta = EXME.replace("beta: 0.1", "lambda: 1"); // lambda is DARE's: ignored here, as mergekit ignores it
        assertThatThrownBy(() -> EngineRuns.merge(dir, noBeta, "never2", EngineRuns.opts(dir, 2, 4 << 20)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("parameters.beta: exme needs 'beta'");
        assertThat(dir.resolve("never2")).doesNotExist();
    }

    @Test
    void existingOutputIsKeptUnlessOverwriteIsAsked() throws Exception {
        Path out = EngineRuns.merge(dir, EXME, "twice", EngineRuns.opts(dir, 2, 4 << 20));
        byte[] first = Files.readAllBytes(out.resolve("model.safetensors"));
        assertThatThrownBy(() -> EngineRuns.merge(dir, EXME, "twice", EngineRuns.opts(dir, 2, 4 << 20))).isInstanceOf(OutputException.class);
        assertThat(Files.readAllBytes(out.resolve("model.safetensors"))).isEqualTo(first);
        EngineRuns.merge(dir, EXME.replace("beta: 0.1", "beta: 0.7"), "twice", EngineRuns.opts(dir, 2, 4 << 20).withRun(RunOptions.defaults().withOverwrite(true)));
        assertThat(Files.readAllBytes(out.resolve("model.safetensors"))).isNotEqualTo(first);
    }
}
