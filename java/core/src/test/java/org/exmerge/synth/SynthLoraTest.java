package org.exmerge.synth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.exmerge.engine.CancelToken;
import org.exmerge.engine.ProgressListener;
import org.exmerge.engine.RunOptions;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.DType;
import org.exmerge.format.FileTrees;
import org.exmerge.format.TensorInfo;
import org.exmerge.lora.LoraAdapter;
import org.exmerge.lora.LoraConfig;
import org.exmerge.testing.EngineRuns;
import org.exmerge.testing.RoundOracle;
import org.exmerge.testing.TestModels;
import org.exmerge.testing.TestModels.T;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code synth --lora}: the adapter is laid out as peft saves one, reproduces from its seed, changes
 * the base about as much as a fine-tune does, and merging {@code base+lora-1} gives the base adapted
 * by hand (float64 deltas, one rounding to bf16: numerics §12).
 */
class SynthLoraTest {
    private static final int R = 4;
    /** 3 layers of the smallest Llama shape (hidden 128, intermediate 344, one 64-wide kv head). */
    private static final LlamaShape SHAPE = LlamaShape.forBytes(2_000_000, DType.BF16);
    private static final List<String> MODULES = List.of("mlp.down_proj", "mlp.gate_proj", "mlp.up_proj", "self_attn.k_proj",
            "self_attn.o_proj", "self_attn.q_proj", "self_attn.v_proj");

    @TempDir
    static Path dir;
    static Path models;

    static void synth(Path out, int r, long seed, boolean overwrite) throws Exception {
        Synth.write(out, SHAPE, DType.BF16, 2, r, seed, RunOptions.defaults().withThreads(2).withSync(false).withOverwrite(overwrite),
                ProgressListener.NONE, new CancelToken());
    }

    @BeforeAll
    static void models() throws Exception {
        models = dir.resolve("models");
        synth(models, R, 7, false);
    }

    @Test
    void theAdapterIsLaidOutAsPeftSavesOne() throws Exception {
        Path lora = models.resolve("lora-1");
        try (Stream<Path> s = Files.list(lora)) {
            assertThat(s.map(p -> p.getFileName().toString()).sorted()).containsExactly("adapter_config.json", "adapter_model.safetensors");
        }
        JsonNode c = new ObjectMapper().readTree(lora.resolve("adapter_config.json").toFile());
        assertThat(c.get("peft_type").asText()).isEqualTo("LORA");
        assertThat(c.get("task_type").asText()).isEqualTo("CAUSAL_LM");
        assertThat(c.get("r").asInt()).isEqualTo(R);
        assertThat(c.get("lora_alpha").asInt()).isEqualTo(2 * R);
        assertThat(c.get("base_model_name_or_path").asText()).isEqualTo(models.resolve("base").toString());
        assertThat(c.get("bias").asText()).isEqualTo("none");
        assertThat(c.get("fan_in_fan_out").asBoolean()).isFalse();
        assertThat(c.get("use_rslora").asBoolean()).isFalse();
        assertThat(c.get("use_dora").asBoolean()).isFalse();
        assertThat(c.get("target_modules")).extracting(JsonNode::asText)
                .containsExactly("down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj");
        LoraConfig config = LoraConfig.read(lora);
        assertThat(config.scaling("model.layers.0.self_attn.q_proj")).isEqualTo(2.0);

        List<String> expected = new ArrayList<>();
        try (Checkpoint a = Checkpoint.open(lora.resolve("adapter_model.safetensors")); Checkpoint base = Checkpoint.open(models.resolve("base"))) {
            assertThat(a.metadata()).containsEntry("format", "pt").containsKey("exmerge.version");
            for (int l = 0; l < SHAPE.layers(); l++) {
                for (String m : MODULES) {
                    String module = "model.layers." + l + "." + m;
                    long[] w = base.tensor(module + ".weight").shape();
                    TensorInfo ta = a.tensor("base_model.model." + module + ".lora_A.weight");
                    TensorInfo tb = a.tensor("base_model.model." + module + ".lora_B.weight");
                    assertThat(ta.shape()).as(module).containsExactly(R, w[1]);
                    assertThat(tb.shape()).as(module).containsExactly(w[0], R);
                    assertThat(ta.dtype()).isEqualTo(DType.F32);
                    assertThat(tb.dtype()).isEqualTo(DType.F32);
                    expected.add(ta.name());
                    expected.add(tb.name());
                }
            }
            assertThat(a.tensors()).extracting(TensorInfo::name).containsExactlyElementsOf(expected.stream().sorted().toList());
            try (LoraAdapter adapter = LoraAdapter.open(lora, base, "base+lora-1")) {
                assertThat(adapter.edits()).hasSize(SHAPE.layers() * MODULES.size());
                assertThat(adapter.describe(adapter.edits().size())).endsWith(", r=" + R + ", alpha=" + 2 * R);
            }
        }
    }

    @Test
    void aSeedReproducesTheAdapterAndAnotherSeedDoesNot() throws Exception {
        synth(dir.resolve("again"), R, 7, false);
        synth(dir.resolve("other"), R, 8, false);
        Path weights = Path.of("lora-1", "adapter_model.safetensors");
        byte[] one = Files.readAllBytes(models.resolve(weights));
        assertThat(Files.readAllBytes(dir.resolve("again").resolve(weights))).isEqualTo(one);
        assertThat(SynthTest.tensorData(dir.resolve("other").resolve(weights))).isNotEqualTo(SynthTest.tensorData(models.resolve(weights)));
        assertThat(Files.readString(dir.resolve("again/lora-1/adapter_config.json")))
                .isEqualTo(Files.readString(models.resolve("lora-1/adapter_config.json")).replace(models.toString(), dir.resolve("again").toString()));
        // Pinned as the models' bytes are: the same command makes the same adapter, release after release.
        assertThat(SynthTest.sha256(SynthTest.tensorData(models.resolve(weights)))).isEqualTo("5b07b031d06746dc0fc7093ab47397d7295cd9a3a16fc5a99896ba91eed7a117");
    }

    /** Per element, the adapter's delta is about as large as a fine-tune's, which is δ·√2 (SynthTest). */
    @Test
    void theAdapterMovesTheBaseAsFarAsAFineTuneDoes() throws Exception {
        try (Checkpoint a = Checkpoint.open(models.resolve("lora-1/adapter_model.safetensors"));
             Checkpoint base = Checkpoint.open(models.resolve("base")); Checkpoint sft = Checkpoint.open(models.resolve("sft-1"))) {
            for (String m : List.of("model.layers.0.mlp.down_proj", "model.layers.1.self_attn.k_proj", "model.layers.2.self_attn.q_proj")) {
                double[] delta = delta(a, m);
                double lora = rms(delta);
                double[] tv = new double[delta.length];
                MemorySegment b = base.data(m + ".weight");
                MemorySegment s = sft.data(m + ".weight");
                for (int i = 0; i < tv.length; i++) {
                    tv[i] = TestModels.get(s, DType.BF16, i) - TestModels.get(b, DType.BF16, i);
                }
                assertThat(lora / rms(tv)).as(m).isBetween(0.85, 1.15);
                assertThat(lora).as(m).isBetween(0.85 * Synth.DELTA_STD * Math.sqrt(2), 1.15 * Synth.DELTA_STD * Math.sqrt(2));
            }
        }
    }

    /**
     * The oracle: every adapted weight worked out here, {@code W + 2·Σ_k B[i,k]·A[k,j]} in float64 from
     * +0 in k order and rounded once to bf16, written as a model of its own; merging it gives the bytes
     * of merging {@code base+lora-1}.
     */
    @Test
    void mergingTheAdaptedBaseIsMergingTheBaseAdaptedByHand() throws Exception {
        List<T> adapted = new ArrayList<>();
        int changed = 0;
        try (Checkpoint a = Checkpoint.open(models.resolve("lora-1/adapter_model.safetensors")); Checkpoint base = Checkpoint.open(models.resolve("base"))) {
            for (TensorInfo t : base.tensors()) {
                MemorySegment w = base.data(t.name());
                float[] v = new float[Math.toIntExact(t.elementCount())];
                String module = t.name().substring(0, t.name().length() - ".weight".length());
                double[] d = a.tensor("base_model.model." + module + ".lora_A.weight") == null ? null : delta(a, module);
                for (int i = 0; i < v.length; i++) {
                    double x = TestModels.get(w, DType.BF16, i);
                    v[i] = d == null ? (float) x : RoundOracle.value(DType.BF16, x + d[i]);
                    changed += d != null && v[i] != (float) x ? 1 : 0;
                }
                adapted.add(new T(t.name(), DType.BF16, t.shape(), v));
            }
        }
        assertThat(changed).as("elements the adapter changes").isGreaterThan(SHAPE.layers() * 100_000);
        TestModels.write(dir.resolve("by-hand"), adapted.toArray(T[]::new));
        String yaml = "merge_method: linear\nmodels:\n  - model: %s\n    parameters: {weight: 1}\ndtype: bfloat16\n";
        Path viaAdapter = EngineRuns.merge(dir, yaml.formatted(models.resolve("base") + "+" + models.resolve("lora-1")), "via-adapter",
                EngineRuns.opts(dir, 2, 1 << 16));
        Path byHand = EngineRuns.merge(dir, yaml.formatted(dir.resolve("by-hand")), "via-hand", EngineRuns.opts(dir, 1, 1 << 20));
        try (Checkpoint x = Checkpoint.open(viaAdapter); Checkpoint y = Checkpoint.open(byHand)) {
            assertThat(x.tensors()).extracting(TensorInfo::name).containsExactlyElementsOf(y.tensors().stream().map(TensorInfo::name).toList());
            for (TensorInfo t : x.tensors()) {
                assertThat(x.data(t.name()).toArray(ValueLayout.JAVA_BYTE)).as(t.name()).isEqualTo(y.data(t.name()).toArray(ValueLayout.JAVA_BYTE));
            }
        }
    }

    @Test
    void aRankThatDoesNotFitIsRefusedBeforeAnythingIsWritten() {
        assertThat(SynthLora.maxRank(SHAPE)).isEqualTo(64);
        for (int r : new int[] {-1, 65}) {
            Path out = dir.resolve("bad" + r);
            assertThatThrownBy(() -> synth(out, r, 1, false)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("between 1 and 64");
            assertThat(out).doesNotExist();
        }
    }

    @Test
    void anExistingAdapterIsReplacedOnlyWithOverwrite() throws Exception {
        Path out = dir.resolve("twice");
        synth(out, 2, 1, false);
        byte[] before = Files.readAllBytes(out.resolve("lora-1/adapter_model.safetensors"));
        for (String m : Synth.modelNames(2)) {
            FileTrees.deleteTree(out.resolve(m));
        }
        // Only lora-1 stands in the way; it is refused before the models are written again.
        assertThatThrownBy(() -> synth(out, 3, 1, false)).hasMessageContaining("lora-1").hasMessageContaining("--overwrite");
        assertThat(out.resolve("base")).doesNotExist();
        synth(out, 3, 1, true);
        assertThat(Files.readAllBytes(out.resolve("lora-1/adapter_model.safetensors"))).isNotEqualTo(before);
        assertThat(LoraConfig.read(out.resolve("lora-1")).r()).isEqualTo(3);
    }

    /** {@code 2·B·A} of {@code module} in float64, row-major [out × in], summed from +0 in k order. */
    static double[] delta(Checkpoint adapter, String module) {
        TensorInfo ta = adapter.tensor("base_model.model." + module + ".lora_A.weight");
        TensorInfo tb = adapter.tensor("base_model.model." + module + ".lora_B.weight");
        int r = Math.toIntExact(ta.dim(0));
        int in = Math.toIntExact(ta.dim(1));
        int out = Math.toIntExact(tb.dim(0));
        MemorySegment a = adapter.data(ta.name());
        MemorySegment b = adapter.data(tb.name());
        double[] d = new double[out * in];
        for (int i = 0; i < out; i++) {
            for (int j = 0; j < in; j++) {
                double s = 0.0;
                for (int k = 0; k < r; k++) {
                    s += (double) TestModels.get(b, DType.F32, (long) i * r + k) * TestModels.get(a, DType.F32, (long) k * in + j);
                }
                d[i * in + j] = 2.0 * s;
            }
        }
        return d;
    }

    static double rms(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x * x;
        }
        return Math.sqrt(s / v.length);
    }
}
