package org.exmerge.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.exmerge.Exmerge;
import org.exmerge.MergeOptions;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.DType;
import org.exmerge.format.TensorInfo;
import org.exmerge.recipe.ConfigException;
import org.exmerge.testing.GeometryOracle;
import org.exmerge.testing.TestModels;
import org.exmerge.testing.TestModels.T;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** slices: layers stacked in order and renumbered, outside tensors from the first/last slice, gradients per slice. */
class SlicesTest {
    @TempDir
    static Path dir;

    static final String[] LAYER_TENSORS = {"input_layernorm.weight", "mlp.up_proj.weight", "self_attn.q_proj.weight"};

    @BeforeAll
    static void models() throws IOException {
        write("a", 1, 4, 16);
        write("b", 2, 4, 16);
        write("wide", 3, 4, 24);
    }

    /** A 4-layer Llama-named model with a config.json. */
    static void write(String name, long seed, int layers, int hidden) throws IOException {
        List<T> ts = new ArrayList<>();
        int s = 0;
        ts.add(new T("model.embed_tokens.weight", DType.BF16, new long[] {32, hidden}, TestModels.random(seed * 1000 + s++, 32 * hidden, 0.02f)));
        ts.add(new T("model.norm.weight", DType.BF16, new long[] {hidden}, TestModels.random(seed * 1000 + s++, hidden, 0.02f)));
        ts.add(new T("lm_head.weight", DType.BF16, new long[] {32, hidden}, TestModels.random(seed * 1000 + s++, 32 * hidden, 0.02f)));
        for (int l = 0; l < layers; l++) {
            ts.add(new T("model.layers." + l + ".input_layernorm.weight", DType.BF16, new long[] {hidden},
                    TestModels.random(seed * 1000 + s++, hidden, 0.02f)));
            ts.add(new T("model.layers." + l + ".mlp.up_proj.weight", DType.BF16, new long[] {12, hidden},
                    TestModels.random(seed * 1000 + s++, 12 * hidden, 0.02f)));
            ts.add(new T("model.layers." + l + ".self_attn.q_proj.weight", DType.BF16, new long[] {8, hidden},
                    TestModels.random(seed * 1000 + s++, 8 * hidden, 0.02f)));
        }
        TestModels.write(dir.resolve(name), ts.toArray(T[]::new));
        Files.writeString(dir.resolve(name).resolve("config.json"),
                "{\"architectures\": [\"LlamaForCausalLM\"], \"num_hidden_layers\": " + layers + ", \"torch_dtype\": \"bfloat16\"}");
    }

    static Path merge(String yaml, String out) throws Exception {
        Path p = dir.resolve(out);
        MergeOptions o = MergeOptions.defaults().withModelsDir(dir).withRun(RunOptions.defaults().withThreads(3).withChunkBytes(100));
        Exmerge.merge(Exmerge.Source.parse(yaml, out), p, o, ProgressListener.NONE);
        return p;
    }

    @Test
    void frankenmergeStacksTheSourceLayersRenumbered() throws Exception {
        Path out = merge("""
            merge_method: passthrough
            slices:
              - sources:
                  - model: a
                    layer_range: [0, 3]
              - sources:
                  - model: b
                    layer_range: [1, 4]
            """, "franken");
        try (Checkpoint a = Checkpoint.open(dir.resolve("a")); Checkpoint b = Checkpoint.open(dir.resolve("b"));
             Checkpoint o = Checkpoint.open(out)) {
            List<String> expected = new ArrayList<>(List.of("lm_head.weight", "model.embed_tokens.weight", "model.norm.weight"));
            for (int l = 0; l < 6; l++) {
                for (String s : LAYER_TENSORS) {
                    expected.add("model.layers." + l + "." + s);
                }
            }
            assertThat(o.tensors()).extracting(TensorInfo::name).containsExactlyElementsOf(expected.stream().sorted().toList());
            for (int l = 0; l < 6; l++) {
                Checkpoint from = l < 3 ? a : b;
                int src = l < 3 ? l : l - 2;
                for (String s : LAYER_TENSORS) {
                    assertThat(o.data("model.layers." + l + "." + s).mismatch(from.data("model.layers." + src + "." + s)))
                            .as("output layer %d %s is layer %d of %s", l, s, src, l < 3 ? "a" : "b").isEqualTo(-1L);
                }
            }
            assertThat(o.data("model.embed_tokens.weight").mismatch(a.data("model.embed_tokens.weight"))).isEqualTo(-1L);
            assertThat(o.data("model.norm.weight").mismatch(b.data("model.norm.weight"))).isEqualTo(-1L);
            assertThat(o.data("lm_head.weight").mismatch(b.data("lm_head.weight"))).isEqualTo(-1L);
        }
        JsonNode config = new ObjectMapper().readTree(out.resolve("config.json").toFile());
        assertThat(config.get("num_hidden_layers").asInt()).isEqualTo(6);
        assertThat(config.get("architectures").get(0).asText()).isEqualTo("LlamaForCausalLM");
    }

    @Test
    void slerpSlicesReadGradientsRelativeToTheirSlice() throws Exception {
        // Two slices of two layers each: in both, layer 0 of the slice reads t at 0 and layer 1 at 1.
        Path out = merge("""
            merge_method: slerp
            base_model: a
            slices:
              - sources:
                  - {model: a, layer_range: [0, 2]}
                  - {model: b, layer_range: [0, 2]}
              - sources:
                  - {model: a, layer_range: [2, 4]}
                  - {model: b, layer_range: [2, 4]}
                parameters:
                  t: [0.2, 0.4]
            parameters:
              t:
                - filter: self_attn
                  value: [0.0, 0.5, 0.3, 0.7, 1.0]
                - filter: mlp
                  value: [1.0, 0.5, 0.7, 0.3, 0.0]
                - value: 0.5
            dtype: float32
            """, "slerp-slices");
        try (Checkpoint a = Checkpoint.open(dir.resolve("a")); Checkpoint b = Checkpoint.open(dir.resolve("b"));
             Checkpoint o = Checkpoint.open(out)) {
            check(o, a, b, "model.embed_tokens.weight", "model.embed_tokens.weight", 0.5);
            check(o, a, b, "model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.q_proj.weight", 0.0);
            check(o, a, b, "model.layers.1.self_attn.q_proj.weight", "model.layers.1.self_attn.q_proj.weight", 1.0);
            check(o, a, b, "model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.up_proj.weight", 1.0);
            check(o, a, b, "model.layers.1.input_layernorm.weight", "model.layers.1.input_layernorm.weight", 0.5);
            // The second slice's own t (a gradient without filters) wins over the top level.
            check(o, a, b, "model.layers.2.self_attn.q_proj.weight", "model.layers.2.self_attn.q_proj.weight", 0.2);
            check(o, a, b, "model.layers.3.mlp.up_proj.weight", "model.layers.3.mlp.up_proj.weight", 0.4);
            // The last slice's parameters apply to the final norm and lm_head, read at t = 1 (numerics §9, as mergekit).
            check(o, a, b, "lm_head.weight", "lm_head.weight", 0.4);
        }
        JsonNode config = new ObjectMapper().readTree(out.resolve("config.json").toFile());
        assertThat(config.get("num_hidden_layers").asInt()).isEqualTo(4);
        assertThat(config.get("torch_dtype").asText()).isEqualTo("float32");
    }

    /** Output tensor {@code name} is slerp(t) of {@code a:src} and {@code b:src}, per numerics §4. */
    static void check(Checkpoint o, Checkpoint a, Checkpoint b, String name, String src, double t) {
        int n = (int) o.tensor(name).elementCount();
        float[] x1 = new float[n];
        float[] x2 = new float[n];
        for (int j = 0; j < n; j++) {
            x1[j] = TestModels.get(a.data(src), DType.BF16, j);
            x2[j] = TestModels.get(b.data(src), DType.BF16, j);
        }
        double[] c = GeometryOracle.slerpCoefficients(t, x1, x2);
        for (int j = 0; j < n; j++) {
            assertThat(TestModels.get(o.data(name), DType.F32, j)).as("%s[%d] at t=%s", name, j, t)
                    .isEqualTo(GeometryOracle.combine(c[0], c[1], x1[j], x2[j]));
        }
    }

    @Test
    void sliceMistakesNameTheirKeyPathOrFileAndTensor() {
        String franken = """
            merge_method: passthrough
            slices:
              - sources:
                  - {model: a, layer_range: [0, 2]}
              - sources:
                  - {model: b, layer_range: [2, 5]}
            """;
        assertThatThrownBy(() -> merge(franken, "never"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("slices[1].sources[0].layer_range")
                .hasMessageContaining("has 4 layers");
        String twoSources = franken.replace("[2, 5]}", "[2, 4]}\n      - {model: a, layer_range: [0, 2]}");
        assertThatThrownBy(() -> merge(twoSources, "never"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("slices[1].sources")
                .hasMessageContaining("passthrough takes exactly 1 model(s), 2 given");
        String slerpNoBase = """
            merge_method: slerp
            base_model: a
            parameters: {t: 0.5}
            slices:
              - sources:
                  - {model: b, layer_range: [0, 2]}
                  - {model: wide, layer_range: [0, 2]}
            """;
        assertThatThrownBy(() -> merge(slerpNoBase, "never"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("slices[0].sources")
                .hasMessageContaining("base_model 'a' is not among this slice's sources");
        String wide = slerpNoBase.replace("model: b,", "model: a,");
        assertThatThrownBy(() -> merge(wide, "never"))
                .isInstanceOf(PlanException.class).hasMessageContaining(dir.resolve("wide").toString())
                .hasMessageContaining("lm_head.weight").hasMessageContaining("[32, 24]");
        String unknown = slerpNoBase.replace("model: b,", "model: a,").replace("  - sources:", "  - parameters: {tee: 1}\n    sources:");
        assertThatThrownBy(() -> merge(unknown, "never"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("slices[0].parameters.tee");
        assertThat(dir.resolve("never")).doesNotExist();
    }

    @Test
    void isEmbeddingSortsOutsideTensorsBeforeOrAfterTheLayers() {
        for (String pre : List.of("model.embed_tokens.weight", "transformer.wte.weight", "transformer.wpe.weight",
                "gpt_neox.embed_in.weight", "bert.embeddings.word_embeddings.weight")) {
            assertThat(SliceLayout.isEmbedding(pre)).as(pre).isTrue();
        }
        for (String post : List.of("model.norm.weight", "lm_head.weight", "transformer.ln_f.weight", "embed_out.weight")) {
            assertThat(SliceLayout.isEmbedding(post)).as(post).isFalse();
        }
    }
}
