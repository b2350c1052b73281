package org.exmerge.recipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.exmerge.format.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecipeReaderTest {

    static Path resource(String name) throws URISyntaxException {
        return Path.of(RecipeReaderTest.class.getResource(name).toURI());
    }

    static Recipe parse(String yaml) throws ConfigException {
        return RecipeReader.parse(yaml, null);
    }

    @Test
    void readsTiesConfigWithPerModelParameters() throws Exception {
        Recipe r = RecipeReader.read(resource("ties-per-model.yml"));

        assertThat(r.mergeMethod()).isEqualTo("ties");
        assertThat(r.baseModel()).isEqualTo("mistralai/Mistral-7B-v0.1");
        assertThat(r.dtype()).isEqualTo(DType.BF16);
        assertThat(r.outDtype()).isNull();
        assertThat(r.outputDtype()).isEqualTo(DType.BF16);
        assertThat(r.slices()).isEmpty();
        assertThat(r.models()).extracting(ModelRef::model).containsExactly(
                "mistralai/Mistral-7B-v0.1", "./models/OpenHermes-2.5-Mistral-7B", "./models/zephyr-7b-beta");

        // A model written without parameters gets an empty block that still knows its path.
        Params baseParams = r.models().get(0).parameters();
        assertThat(baseParams.keys()).isEmpty();
        assertThat(baseParams.path()).isEqualTo("models[0].parameters");

        Params hermes = r.models().get(1).parameters();
        assertThat(hermes.keys()).containsExactly("density", "weight");
        assertThat(hermes.get("density")).isEqualTo(new ParamValue.Scalar("models[1].parameters.density", 0.5));
        assertThat(hermes.get("weight")).isEqualTo(new ParamValue.Scalar("models[1].parameters.weight", 0.6));

        Params zephyr = r.models().get(2).parameters();
        assertThat(zephyr.get("density")).isEqualTo(new ParamValue.Gradient("models[2].parameters.density", new double[] {1, 0.7, 0.1}));
        ParamValue.Filtered weight = (ParamValue.Filtered) zephyr.get("weight");
        assertThat(weight.path()).isEqualTo("models[2].parameters.weight");
        assertThat(weight.entries()).containsExactly(
                new ParamValue.Entry("mlp", new ParamValue.Scalar("models[2].parameters.weight[0].value", 0.5)),
                new ParamValue.Entry(null, new ParamValue.Scalar("models[2].parameters.weight[1].value", 0.3)));

        assertThat(r.parameters().path()).isEqualTo("parameters");
        assertThat(r.parameters().get("normalize")).isEqualTo(new ParamValue.Scalar("parameters.normalize", true));
        assertThat(r.parameters().get("int8_mask")).isEqualTo(new ParamValue.Scalar("parameters.int8_mask", true));
        // Base listed in models too: named once, first.
        assertThat(r.modelNames()).containsExactly(
                "mistralai/Mistral-7B-v0.1", "./models/OpenHermes-2.5-Mistral-7B", "./models/zephyr-7b-beta");
    }

    /** mergekit's slice schema: base_model naming the recipe's base (or null) and residual_weight (which mergekit never reads). */
    @Test
    void takesMergekitsOtherSliceKeys() throws Exception {
        Recipe r = RecipeReader.parse("""
                merge_method: task_arithmetic
                base_model: {model: m/base}
                slices:
                  - sources:
                      - {model: m/sft-1, layer_range: [0, 2]}
                      - {model: m/base, layer_range: [0, 2]}
                    base_model: ./m/base/
                    residual_weight: 0.3
                  - sources:
                      - {model: m/sft-1, layer_range: [2, 4]}
                      - {model: m/base, layer_range: [2, 4]}
                    base_model: null
                    residual_weight: null
                parameters: {weight: 0.5}
                """, "slices.yml");
        assertThat(r.baseModel()).isEqualTo("m/base");
        assertThat(r.slices()).hasSize(2);
    }

    @Test
    void readsSlerpSlicesWithFilteredGradients() throws Exception {
        Recipe r = RecipeReader.read(resource("slerp-gradient-slices.yml"));

        assertThat(r.mergeMethod()).isEqualTo("slerp");
        assertThat(r.models()).isEmpty();
        assertThat(r.slices()).hasSize(1);
        Slice s = r.slices().get(0);
        assertThat(s.layerCount()).isEqualTo(32);
        assertThat(s.sources()).extracting(SliceSource::model, SliceSource::layerStart, SliceSource::layerEnd).containsExactly(
                org.assertj.core.groups.Tuple.tuple("./models/OpenPipe-mistral-ft-optimized-1218", 0, 32),
                org.assertj.core.groups.Tuple.tuple("./models/NeuralHermes-2.5-Mistral-7B", 0, 32));
        assertThat(s.parameters().path()).isEqualTo("slices[0].parameters");
        assertThat(s.sources().get(1).parameters().path()).isEqualTo("slices[0].sources[1].parameters");

        ParamValue t = r.parameters().get("t");
        String attn = "model.layers.8.self_attn.q_proj.weight";
        String mlp = "model.layers.8.mlp.up_proj.weight";
        String norm = "model.norm.weight";
        // Layer 8 of 32: t = 8/31, read from each curve.
        double pos = ParamResolver.layerT(LayerNames.layerIndex(attn), s.layerCount());
        assertThat(ParamResolver.number(t, attn, pos)).isEqualTo(ParamResolver.gradientAt(new double[] {0, 0.5, 0.3, 0.7, 1}, pos));
        assertThat(ParamResolver.number(t, mlp, pos)).isEqualTo(ParamResolver.gradientAt(new double[] {1, 0.5, 0.7, 0.3, 0}, pos));
        assertThat(ParamResolver.number(t, norm, 0.0)).isEqualTo(0.5);
        assertThat(r.modelNames()).containsExactly(
                "./models/OpenPipe-mistral-ft-optimized-1218", "./models/NeuralHermes-2.5-Mistral-7B");
    }

    @Test
    void readsStackedSlicesWithAnchorsTokenizerBlockAndSeed() throws Exception {
        Recipe r = RecipeReader.read(resource("passthrough-stack.yml"));

        assertThat(r.mergeMethod()).isEqualTo("passthrough");
        assertThat(r.dtype()).isEqualTo(DType.F16);
        assertThat(r.outDtype()).isEqualTo(DType.BF16);
        assertThat(r.outputDtype()).isEqualTo(DType.BF16);
        assertThat(r.seed()).isEqualTo(1234L);
        assertThat(r.tokenizerSource()).isEqualTo("union");
        assertThat(r.chatTemplate()).isEqualTo("chatml");
        assertThat(r.baseModel()).isNull();
        assertThat(r.slices()).hasSize(2);

        SliceSource first = r.slices().get(0).sources().get(0);
        SliceSource second = r.slices().get(1).sources().get(0);
        // {model: {path, revision}} becomes path@revision, as mergekit prints a ModelReference.
        assertThat(first.model()).isEqualTo("./models/base-llama@main");
        assertThat(second.model()).isEqualTo("./models/finetuned-llama");
        assertThat(second.layerStart()).isEqualTo(8);
        assertThat(second.layerEnd()).isEqualTo(32);

        // The alias reuses the anchored block's values; paths name the place the alias stands, so an
        // error in slice 1 points at slice 1.
        ParamValue.Filtered scale1 = (ParamValue.Filtered) first.parameters().get("scale");
        ParamValue.Filtered scale2 = (ParamValue.Filtered) second.parameters().get("scale");
        assertThat(scale1.path()).isEqualTo("slices[0].sources[0].parameters.scale");
        assertThat(scale2.path()).isEqualTo("slices[1].sources[0].parameters.scale");
        assertThat(scale2.entries().get(1).value().path()).isEqualTo("slices[1].sources[0].parameters.scale[1].value");
        assertThat(scale1.entries()).hasSize(2);
        assertThat(scale2.entries()).extracting(ParamValue.Entry::filter).containsExactly("o_proj", null);
        assertThat(ParamResolver.number(scale2, "model.layers.3.self_attn.o_proj.weight", 0)).isEqualTo(0.0);
        assertThat(ParamResolver.number(scale2, "model.layers.3.self_attn.q_proj.weight", 0)).isEqualTo(1.0);
        assertThat(r.slices().get(1).parameters().get("scale")).isEqualTo(new ParamValue.Scalar("slices[1].parameters.scale", 1.0));
        assertThat(r.modelNames()).containsExactly("./models/base-llama@main", "./models/finetuned-llama");
    }

    @Test
    void acceptsMergekitModelReferenceForms() throws ConfigException {
        Recipe r = parse("""
                merge_method: linear
                base_model: {model: org/base}
                models:
                  - model: org/a@v1.0
                  - model: {model: org/b}
                  - model: {model: {path: org/c}}
                  - org/d
                """);
        assertThat(r.baseModel()).isEqualTo("org/base");
        assertThat(r.models()).extracting(ModelRef::model).containsExactly("org/a@v1.0", "org/b", "org/c", "org/d");
        assertThat(r.models().get(3).parameters().path()).isEqualTo("models[3].parameters");
        assertThat(r.modelNames()).containsExactly("org/base", "org/a@v1.0", "org/b", "org/c", "org/d");
    }

    @Test
    void readsLoraAdaptersInBothForms() throws ConfigException {
        // mergekit's ModelReference: 'model+adapter', or {model, lora} with either as a name or {path, revision}.
        Recipe r = parse("""
                merge_method: task_arithmetic
                base_model: org/base
                models:
                  - model: org/base+./adapters/chat
                    parameters: {weight: 0.5}
                  - model: {model: org/base, lora: ./adapters/code}
                  - model: {model: {path: org/base, revision: v2}, lora: {path: org/lora, revision: main}}
                  - org/base@v2+org/lora@main
                tokenizer_source: org/base+./adapters/chat
                """);
        assertThat(r.models()).extracting(ModelRef::model).containsExactly("org/base+./adapters/chat", "org/base+./adapters/code",
                "org/base@v2+org/lora@main", "org/base@v2+org/lora@main");
        assertThat(r.modelNames()).containsExactly("org/base", "org/base+./adapters/chat", "org/base+./adapters/code",
                "org/base@v2+org/lora@main");
        assertThat(r.tokenizerSource()).isEqualTo("org/base+./adapters/chat");
        assertThat(ModelName.parse(r.models().get(2).model())).isEqualTo(new ModelName("org/base@v2", "org/lora@main"));
        assertThat(ModelName.parse("org/base")).isEqualTo(new ModelName("org/base", null));
        assertThat(ModelName.parse("a+b")).hasToString("a+b");
    }

    @Test
    void readsEveryScalarKindAndSingleFilterMap() throws ConfigException {
        Recipe r = parse("""
                merge_method: dare_ties
                models:
                  - model: a
                parameters:
                  int_number: 2
                  exponent: 1e-3
                  flag: false
                  yaml11_flag: yes
                  word: sum
                  quoted_number: "0.5"
                  single: {filter: mlp, value: [0.1, 0.2]}
                """);
        Params p = r.parameters();
        assertThat(p.keys()).containsExactly("int_number", "exponent", "flag", "yaml11_flag", "word", "quoted_number", "single");
        assertThat(p.get("int_number")).isEqualTo(new ParamValue.Scalar("parameters.int_number", 2.0));
        assertThat(p.get("exponent")).isEqualTo(new ParamValue.Scalar("parameters.exponent", 0.001));
        assertThat(p.get("flag")).isEqualTo(new ParamValue.Scalar("parameters.flag", false));
        assertThat(p.get("yaml11_flag")).isEqualTo(new ParamValue.Scalar("parameters.yaml11_flag", true));
        assertThat(p.get("word")).isEqualTo(new ParamValue.Scalar("parameters.word", "sum"));
        // A quoted number is a string, as in PyYAML; methods reject it where they need a number.
        assertThat(p.get("quoted_number")).isEqualTo(new ParamValue.Scalar("parameters.quoted_number", "0.5"));
        assertThat(p.get("single")).isEqualTo(new ParamValue.Filtered("parameters.single", java.util.List.of(
                new ParamValue.Entry("mlp", new ParamValue.Gradient("parameters.single.value", new double[] {0.1, 0.2})))));
    }

    @Test
    void readsTopLevelOptions() throws ConfigException {
        Recipe r = parse("""
                merge_method: task_arithmetic
                base_model: base
                models: [{model: a, parameters: {weight: 1}}]
                dtype: torch.float32
                out_dtype: fp16
                tokenizer_source: base
                seed: 7
                name: ignored
                parameters:
                """);
        assertThat(r.dtype()).isEqualTo(DType.F32);
        assertThat(r.outDtype()).isEqualTo(DType.F16);
        assertThat(r.tokenizerSource()).isEqualTo("base");
        assertThat(r.seed()).isEqualTo(7L);
        assertThat(r.chatTemplate()).isNull();
        assertThat(r.parameters().keys()).isEmpty();
        assertThat(r.parameters().path()).isEqualTo("parameters");
    }

    @Test
    void tokenizerSourceMayNameAModelAndTokenizerBlockDefaultsToUnion() throws ConfigException {
        assertThat(parse("merge_method: linear\nmodels: [a]\ntokenizer_source: org/tok\n").tokenizerSource()).isEqualTo("org/tok");
        assertThat(parse("merge_method: linear\nmodels: [a]\ntokenizer: {source: base}\n").tokenizerSource()).isEqualTo("base");
        assertThat(parse("merge_method: linear\nmodels: [a]\ntokenizer: {}\n").tokenizerSource()).isEqualTo("union");
        assertThat(parse("merge_method: linear\nmodels: [a]\n").tokenizerSource()).isNull();
    }

    @Test
    void resolvesAnchorsOnListsAndMergeKeys() throws ConfigException {
        Recipe r = parse("""
                merge_method: ties
                models:
                  - model: a
                    parameters: &p {density: 0.5, weight: &w [0.1, 0.9]}
                  - model: b
                    parameters:
                      <<: *p
                      density: 0.7
                  - model: c
                    parameters:
                      weight: *w
                """);
        Params b = r.models().get(1).parameters();
        // Keys written in the map win over merged ones; merged keys keep their place.
        assertThat(b.keys()).containsExactly("density", "weight");
        assertThat(b.get("density")).isEqualTo(new ParamValue.Scalar("models[1].parameters.density", 0.7));
        assertThat(b.get("weight")).isEqualTo(new ParamValue.Gradient("models[1].parameters.weight", new double[] {0.1, 0.9}));
        assertThat(r.models().get(2).parameters().get("weight"))
                .isEqualTo(new ParamValue.Gradient("models[2].parameters.weight", new double[] {0.1, 0.9}));
    }

    @Test
    void errorsFromAFileNameTheFile(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("merge.yml");
        Files.writeString(f, "merge_method: ties\nmodels:\n  - model: a\n    parameters:\n      weight: [0.5, abc]\n");
        assertThatThrownBy(() -> RecipeReader.read(f))
                .isInstanceOf(ConfigException.class)
                .hasMessage(f + ": models[0].parameters.weight[1]: expected a number in this gradient (a list of numbers), got 'abc'")
                .satisfies(e -> {
                    ConfigException c = (ConfigException) e;
                    assertThat(c.path()).isEqualTo("models[0].parameters.weight[1]");
                    assertThat(c.source()).isEqualTo(f.toString());
                });
    }

    @Test
    void errorsFromParseNameTheSourceWhenGiven() {
        assertThatThrownBy(() -> RecipeReader.parse("models: [a]\n", "inline"))
                .hasMessage("inline: merge_method: missing; say how to merge, e.g. merge_method: ties");
    }

    @Test
    void nonUtf8FileIsAConfigError(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("bad.yml");
        Files.write(f, new byte[] {'a', ':', ' ', (byte) 0xC3, (byte) 0x28});
        assertThatThrownBy(() -> RecipeReader.read(f)).isInstanceOf(ConfigException.class).hasMessage(f + ": not UTF-8 text (byte 0xc3 at offset 3, line 1)");
    }

    @Test
    void quotedNumbersAreNumbersAsInMergekit() throws Exception {
        Recipe r = parse("""
                merge_method: slerp
                base_model: a
                slices:
                  - sources:
                      - {model: a, layer_range: ["0", " 4"]}
                      - {model: b, layer_range: [0, "4"]}
                parameters:
                  t: ["0", "0.5", 1]
                """);
        assertThat(r.slices().get(0).sources().get(0).layerStart()).isZero();
        assertThat(r.slices().get(0).sources().get(0).layerEnd()).isEqualTo(4);
        assertThat(r.slices().get(0).sources().get(1).layerEnd()).isEqualTo(4);
        assertThat(((ParamValue.Gradient) r.parameters().get("t")).values()).containsExactly(0, 0.5, 1);
    }
}
