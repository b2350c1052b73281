package org.exmerge.recipe;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.exmerge.format.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RecipeWriterTest {

    @ParameterizedTest
    @ValueSource(strings = {"ties-per-model.yml", "slerp-gradient-slices.yml", "passthrough-stack.yml"})
    void writtenRecipeReadsBackEqual(String resource) throws Exception {
        Recipe original = RecipeReader.read(RecipeReaderTest.resource(resource));
        String yaml = RecipeWriter.toYaml(original);
        assertThat(RecipeReader.parse(yaml, "written")).isEqualTo(original);
    }

    @Test
    void stringsThatLookLikeOtherTypesStayStrings() throws ConfigException {
        Map<String, ParamValue> top = new LinkedHashMap<>();
        for (String s : List.of("true", "yes", "null", "~", "1.5", "0x10", "#hash", "a: b", "- x", "")) {
            top.put("p" + top.size(), new ParamValue.Scalar("parameters.p" + top.size(), s));
        }
        top.put("flag", new ParamValue.Scalar("parameters.flag", false));
        top.put("tiny", new ParamValue.Scalar("parameters.tiny", 1e-300));
        top.put("third", new ParamValue.Scalar("parameters.third", 1.0 / 3));
        top.put("g", new ParamValue.Gradient("parameters.g", new double[] {0.1, -2.5e-8, 7}));
        Recipe r = new Recipe("linear", "org/base@main", List.of(new ModelRef("org/a", new Params("models[0].parameters", Map.of()))),
                List.of(), new Params("parameters", top), DType.F64, DType.F8_E4M3, "org/tok", -5L,
                "{% for m in messages %}\n{{ m['content'] }}: \"x\"\n{% endfor %}");

        Recipe back = RecipeReader.parse(RecipeWriter.toYaml(r), null);

        assertThat(back).isEqualTo(r);
    }

    @Test
    void loraModelsAreWrittenAsModelPlusAdapter() throws ConfigException {
        String yaml = """
            merge_method: linear
            base_model: {model: b, lora: {path: l, revision: r1}}
            models:
              - model: {model: {path: a, revision: v}, lora: la}
                parameters: {weight: 1}
              - model: a+lb
            tokenizer_source: {model: a, lora: lb}
            """;
        Recipe r = RecipeReader.parse(yaml, null);
        String written = RecipeWriter.toYaml(r);
        assertThat(written).contains("base_model: b+l@r1").contains("model: a@v+la").contains("model: a+lb")
                .contains("tokenizer_source: a+lb");
        assertThat(RecipeReader.parse(written, null)).isEqualTo(r);
        Recipe sliced = RecipeReader.parse("""
            merge_method: passthrough
            slices:
              - sources: [{model: {model: a, lora: la}, layer_range: [0, 2]}]
            """, null);
        assertThat(sliced.slices().get(0).sources().get(0).model()).isEqualTo("a+la");
        assertThat(RecipeReader.parse(RecipeWriter.toYaml(sliced), null)).isEqualTo(sliced);
    }

    @Test
    void tokenizerBlockReadsBackEqual() throws ConfigException {
        String yaml = """
            merge_method: linear
            models: [a, b]
            tokenizer:
              source: union
              tokens:
                "<|im_start|>": {source: b}
                "<pad>": {source: {kind: zero}, force: true}
                x: {source: {kind: model_token, model: a, token: y}}
                z: {source: {kind: model_token, model: {model: {path: b}}, token_id: 7}}
              pad_to_multiple_of: 64
            """;
        Recipe r = RecipeReader.parse(yaml, null);
        assertThat(r.tokenizerSource()).isEqualTo("union");
        assertThat(r.tokenizerOptions().padToMultipleOf()).isEqualTo(64);
        assertThat(r.tokenizerOptions().tokens()).containsExactly(
                Map.entry("<|im_start|>", new TokenEmbedding(TokenEmbedding.Kind.MODEL, "b", null, -1, false)),
                Map.entry("<pad>", new TokenEmbedding(TokenEmbedding.Kind.ZERO, null, null, -1, true)),
                Map.entry("x", new TokenEmbedding(TokenEmbedding.Kind.MODEL_TOKEN, "a", "y", -1, false)),
                Map.entry("z", new TokenEmbedding(TokenEmbedding.Kind.MODEL_TOKEN, "b", null, 7, false)));
        assertThat(RecipeReader.parse(RecipeWriter.toYaml(r), null)).isEqualTo(r);
    }

    @Test
    void writesMergekitKeys() {
        Recipe r = new Recipe("slerp", "a", List.of(), List.of(new Slice(List.of(
                new SliceSource("a", 0, 2, Params.EMPTY), new SliceSource("b", 0, 2, Params.EMPTY)), Params.EMPTY)),
                new Params("parameters", Map.of("t", new ParamValue.Filtered("parameters.t", List.of(
                        new ParamValue.Entry("mlp", new ParamValue.Gradient("parameters.t[0].value", new double[] {0, 1})),
                        new ParamValue.Entry(null, new ParamValue.Scalar("parameters.t[1].value", 0.5)))))),
                DType.BF16, null, null, 42L);
        assertThat(RecipeWriter.toYaml(r)).isEqualTo("""
                merge_method: slerp
                base_model: a
                slices:
                - sources:
                  - model: a
                    layer_range:
                    - 0
                    - 2
                  - model: b
                    layer_range:
                    - 0
                    - 2
                parameters:
                  t:
                  - filter: mlp
                    value:
                    - 0.0
                    - 1.0
                  - value: 0.5
                dtype: bfloat16
                seed: 42
                """);
    }
}
