package org.exmerge.recipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every way a recipe can be wrong gives one line naming the offending key path. */
class RecipeReaderErrorTest {

    private static final String HEAD = "merge_method: ties\n";

    static Stream<Arguments> errors() {
        return Stream.of(
                // YAML itself
                err("", "", "the config is empty"),
                err("a: [1\nb: 2\n", "", "not valid YAML at line 2, column 2: while parsing a flow sequence; expected ',' or ']', but got :"),
                err("a: 1\n\tb: 2\n", "", "not valid YAML at line 2, column 1: while scanning for the next token;"
                        + " found character '\\t(TAB)' that cannot start any token. (Do not use \\t(TAB) for indentation)"),
                err("a: 1\n---\nb: 2\n", "", "the file holds more than one YAML document ('---'); a recipe is one document (exmerge multi runs a chain of merges from one)"),
                err("name: " + "[".repeat(70) + "]".repeat(70) + "\n", "name" + "[0]".repeat(64), "nested more than 64 levels deep"),
                err("- a\n- b\n", "", "expected a map of settings (merge_method, models, ...), got a list"),
                err(HEAD + "models: [a]\nmodels: [b]\n", "models", "key 'models' appears twice in the same map (again at line 3)"),
                err(HEAD + "models:\n  - model: a\n    parameters: {weight: 1, weight: 2}\n",
                        "models[0].parameters.weight", "key 'weight' appears twice in the same map (again at line 4)"),
                err(HEAD + "s: &s 0.5\nmodels: [{model: a, parameters: {weight: *s}}]\n", "models[0].parameters.weight",
                        "alias '*s' at line 3, column 42 does not name an anchored map or list; anchors on single values are not supported, write the value"),
                // top level
                err("models: [a]\n", "merge_method", "missing; say how to merge, e.g. merge_method: ties"),
                err("merge_method: [ties]\nmodels: [a]\n", "merge_method", "expected a method name, got a list"),
                err(HEAD + "modles: [a]\n", "modles", "unknown key 'modles' at the top level (did you mean 'models'?)"),
                err(HEAD + "models: [a]\nfrobnicate: 1\n", "frobnicate",
                        "unknown key 'frobnicate' at the top level; expected one of merge_method, base_model, models, slices, parameters, dtype, out_dtype, tokenizer_source, tokenizer, chat_template, name, random_seed, seed"),
                err(HEAD + "modules: {}\n", "modules", "multi-module merges are not supported; use models or slices"),
                err(HEAD, "", "nothing to merge; give 'models' (a list of models) or 'slices'"),
                err(HEAD + "models: []\n", "", "nothing to merge; give 'models' (a list of models) or 'slices'"),
                err(HEAD + "models: [a]\nslices: [{sources: [{model: a, layer_range: [0, 1]}]}]\n", "slices", "give either 'models' or 'slices', not both"),
                err(HEAD + "models: a\n", "models", "expected a list of models, got 'a'"),
                err(HEAD + "models: [a]\ndtype: float13\n", "dtype", "unknown dtype 'float13'; expected float32, bfloat16, float16, float64, float8_e4m3fn or float8_e5m2 (also fp32, bf16, fp16, half, …, or torch.<name>)"),
                err(HEAD + "models: [a]\nout_dtype: i32\n", "out_dtype", "'i32' is not a floating-point type; merged weights are float32, bfloat16, float16, float64, float8_e4m3fn or float8_e5m2 (also fp32, bf16, fp16, half, …, or torch.<name>)"),
                err(HEAD + "models: [a]\ndtype: 16\n", "dtype", "expected a string, got 16"),
                err(HEAD + "models: [a]\nseed: 1.5\n", "seed", "expected a whole number (64-bit), got 1.5"),
                err(HEAD + "models: [a]\nrandom_seed: x\n", "random_seed", "expected a whole number (64-bit), got 'x'"),
                err(HEAD + "models: [a]\nseed: 1\nrandom_seed: 2\n", "seed", "give either seed or random_seed, not both"),
                err(HEAD + "models: [a]\nchat_template: 3\n", "chat_template", "expected a string, got 3"),
                err(HEAD + "models: [a]\ntokenizer_source: base\ntokenizer: {source: union}\n", "tokenizer", "give either tokenizer_source or tokenizer, not both"),
                err(HEAD + "models: [a]\ntokenizer: {sauce: base}\n", "tokenizer.sauce", "unknown key 'sauce' at tokenizer (did you mean 'source'?)"),
                err(HEAD + "models: [a]\ntokenizer: {source: base, tokens: {x: {}}}\n", "tokenizer.tokens.x.source",
                        "missing; name a model, {kind: zero} or {kind: model_token, model: ..., token: ...}"),
                err(HEAD + "models: [a]\ntokenizer: {tokens: {x: {source: {kind: one}}}}\n", "tokenizer.tokens.x.source.kind",
                        "expected zero or model_token, got 'one'"),
                err(HEAD + "models: [a]\ntokenizer: {tokens: {x: {source: {kind: model_token, model: a}}}}\n", "tokenizer.tokens.x.source",
                        "give exactly one of token and token_id"),
                err(HEAD + "models: [a]\ntokenizer: {tokens: {x: {source: a, force: 1}}}\n", "tokenizer.tokens.x.force",
                        "expected true or false, got 1"),
                err(HEAD + "models: [a]\ntokenizer: {pad_to_multiple_of: 0}\n", "tokenizer.pad_to_multiple_of",
                        "expected a whole number >= 1, got 0"),
                err(HEAD + "models: [a]\ntokenizer_source: [a]\n", "tokenizer_source", "expected a model name (a string) or {model: ...}, got a list"),
                // model references
                err(HEAD + "models: [a]\nbase_model: org/m+org/lora+org/other\n", "base_model",
                        "'org/m+org/lora+org/other' has more than one '+'; write model+adapter (one LoRA adapter per model)"),
                err(HEAD + "models: [a]\nbase_model: org/m+\n", "base_model",
                        "'org/m+' needs a model before '+' and a LoRA adapter after it: write model+adapter"),
                err(HEAD + "models: [a]\nbase_model: +org/lora\n", "base_model",
                        "'+org/lora' needs a model before '+' and a LoRA adapter after it: write model+adapter"),
                err(HEAD + "models: [a]\nbase_model: org/m+org/l@a@b\n", "base_model", "'org/l@a@b' has more than one '@'; write name@revision"),
                err(HEAD + "models: [a]\nbase_model: org/m@a@b\n", "base_model", "'org/m@a@b' has more than one '@'; write name@revision"),
                err(HEAD + "models: [a]\nbase_model: {model: x, lora: 3}\n", "base_model.lora", "expected an adapter directory or {path, revision}, got 3"),
                err(HEAD + "models: [a]\nbase_model: {model: x, lora: {revision: v}}\n", "base_model.lora.path",
                        "missing; give the adapter's directory or hub name"),
                err(HEAD + "models: [a]\nbase_model: {model: x+y}\n", "base_model.model",
                        "'x+y': exmerge reads a '+' as model+adapter, so a path may not hold one here; give the adapter as 'lora', or rename the directory"),
                err(HEAD + "models: [a]\nbase_model: {model: x, lora: {path: y+z}}\n", "base_model.lora.path",
                        "'y+z': exmerge reads a '+' as model+adapter, so a path may not hold one here; give the adapter as 'lora', or rename the directory"),
                err(HEAD + "models: [a]\nbase_model: {model: x, lora: ''}\n", "base_model.lora", "expected a model name, got an empty string"),
                err(HEAD + "models: [a]\nbase_model: {model: x, override_architecture: Foo}\n", "base_model.override_architecture",
                        "not supported; exmerge keeps each model's own config.json"),
                err(HEAD + "models: [a]\nbase_model: {model: {revision: main}}\n", "base_model.model.path", "missing; give the model's directory or hub name"),
                err(HEAD + "models: [a]\nbase_model: {modle: x}\n", "base_model.modle", "unknown key 'modle' at base_model (did you mean 'model'?)"),
                err(HEAD + "models: [a]\nbase_model: 3\n", "base_model", "expected a model name (a string) or {model: ...}, got 3"),
                err(HEAD + "models: ['']\n", "models[0]", "expected a model name, got an empty string"),
                // models entries
                err(HEAD + "models:\n  - parameters: {weight: 1}\n", "models[0].model", "missing; name the model (a directory or hub name)"),
                err(HEAD + "models:\n  - model: a\n  - model: b\n    paramters: {weight: 1}\n", "models[1].paramters",
                        "unknown key 'paramters' at models[1] (did you mean 'parameters'?)"),
                err(HEAD + "models: [[a]]\n", "models[0]", "expected {model: ..., parameters: ...}, got a list"),
                err(HEAD + "models: [{model: a, parameters: [1]}]\n", "models[0].parameters", "expected a map of parameter names to values, got a list"),
                // parameter values
                err(HEAD + "models:\n  - model: a\n  - model: b\n    parameters:\n      weight: null\n", "models[1].parameters.weight",
                        "expected a number, a boolean, a string, a list of numbers, or a list of {filter, value}, got nothing (null)"),
                err(HEAD + "models: [a]\nparameters: {weight: []}\n", "parameters.weight",
                        "an empty list gives no value; expected a number, a boolean, a string, a list of numbers, or a list of {filter, value}"),
                err(HEAD + "models: [a]\nparameters: {weight: [a, b]}\n", "parameters.weight[0]",
                        "expected a number, a boolean, a string, a list of numbers, or a list of {filter, value}; a list holds numbers or {filter, value} maps, got 'a'"),
                err(HEAD + "models: [a]\nparameters: {weight: [0.1, [0.2]]}\n", "parameters.weight[1]",
                        "expected a number in this gradient (a list of numbers), got a list"),
                err(HEAD + "models: [a]\nparameters: {weight: [0.1, .nan]}\n", "parameters.weight[1]", "expected a finite number, got NaN"),
                err(HEAD + "models: [a]\nparameters: {weight: .inf}\n", "parameters.weight", "expected a finite number, got Infinity"),
                err(HEAD + "models: [a]\nparameters: {t: [{filter: mlp, value: 1}, 0.5]}\n", "parameters.t[1]",
                        "expected a {filter, value} map like parameters.t[0], got 0.5"),
                err(HEAD + "models: [a]\nparameters: {t: [{filter: mlp}]}\n", "parameters.t[0].value", "missing; each {filter, value} entry needs a value"),
                err(HEAD + "models: [a]\nparameters: {t: [{filter: mlp, value: 1, weight: 2}]}\n", "parameters.t[0].weight",
                        "unknown key 'weight' at parameters.t[0]; expected one of filter, value"),
                err(HEAD + "models: [a]\nparameters: {t: [{filtre: mlp, value: 1}]}\n", "parameters.t[0].filtre",
                        "unknown key 'filtre' at parameters.t[0] (did you mean 'filter'?)"),
                err(HEAD + "models: [a]\nparameters: {t: [{pattern: mlp, value: 1}]}\n", "parameters.t[0].pattern",
                        "unknown key 'pattern' at parameters.t[0] (mergekit ignores it, so this entry would match every tensor); write 'filter'"),
                err(HEAD + "models: [a]\nparameters: {t: [{filter: 3, value: 1}]}\n", "parameters.t[0].filter",
                        "expected a string (part of a tensor name, or '*'), got 3"),
                err(HEAD + "models: [a]\nparameters: {t: [{filter: mlp, value: [{filter: x, value: 1}]}]}\n", "parameters.t[0].value",
                        "expected a number, a boolean, a string, or a list of numbers, got a list starting with a map"),
                err(HEAD + "models: [a]\nparameters: {t: [{value: {x: 1}}]}\n", "parameters.t[0].value",
                        "expected a number, a boolean, a string, or a list of numbers, got a map"),
                err(HEAD + "models: [a]\nparameters: {t: [{value: [0.1, x]}]}\n", "parameters.t[0].value[1]",
                        "expected a number in this gradient (a list of numbers), got 'x'"),
                err(HEAD + "models: [a]\ninput_model_parameters: {a: {weight: 1}}\n", "input_model_parameters",
                        "not read by mergekit either (its schema drops it, so these values would be lost); give each model's values"
                                + " under models[].parameters"),
                // slices
                err(HEAD + "slices: {sources: []}\n", "slices", "expected a list of slices, got a map"),
                err(HEAD + "slices: [a]\n", "slices[0]", "expected {sources: [...], parameters: ...}, got 'a'"),
                err(HEAD + "slices: [{parameters: {t: 1}}]\n", "slices[0].sources", "missing; a slice needs a list of sources"),
                err(HEAD + "slices: [{sources: []}]\n", "slices[0].sources", "expected a non-empty list of {model, layer_range}, got an empty list"),
                err(HEAD + "slices: [{sources: [{model: a, layer_range: [0, 4]}], base_model: b}]\n", "slices[0].base_model",
                        "a slice's own base model (b) with no top-level base_model is not supported: every slice merges over the"
                                + " recipe's one base_model, so set it at the top level"),
                err(HEAD + "base_model: a\nslices: [{sources: [{model: a, layer_range: [0, 4]}], base_model: b}]\n", "slices[0].base_model",
                        "a slice's own base model (b) other than the top-level base_model (a) is not supported: every slice merges"
                                + " over the recipe's one base_model, so set it at the top level"),
                err(HEAD + "slices: [{sources: [{model: a, layer_range: [0, 4]}], source: x}]\n", "slices[0].source",
                        "unknown key 'source' at slices[0] (did you mean 'sources'?)"),
                err(HEAD + "slices: [{sources: [a]}]\n", "slices[0].sources[0]", "expected {model: ..., layer_range: [start, end]}, got 'a'"),
                err(HEAD + "slices: [{sources: [{layer_range: [0, 4]}]}]\n", "slices[0].sources[0].model", "missing; name the model (a directory or hub name)"),
                err(HEAD + "slices: [{sources: [{model: a}]}]\n", "slices[0].sources[0].layer_range", "missing; each source needs layer_range: [start, end]"),
                err(HEAD + "slices:\n  - sources:\n      - model: a\n        layer_range: [0, 4]\n      - model: b\n        layer_range: [4, 2]\n",
                        "slices[0].sources[1].layer_range", "expected [start, end] with whole numbers 0 <= start <= end (end exclusive), got [4, 2]"),
                err(HEAD + "slices: [{sources: [{model: a, layer_range: [-1, 4]}]}]\n", "slices[0].sources[0].layer_range",
                        "expected [start, end] with whole numbers 0 <= start <= end (end exclusive), got [-1, 4]"),
                err(HEAD + "slices: [{sources: [{model: a, layer_range: [0, 4, 8]}]}]\n", "slices[0].sources[0].layer_range",
                        "expected [start, end] with whole numbers 0 <= start <= end (end exclusive), got [0, 4, 8]"),
                err(HEAD + "slices: [{sources: [{model: a, layer_range: [0, x]}]}]\n", "slices[0].sources[0].layer_range",
                        "expected [start, end] with whole numbers 0 <= start <= end (end exclusive), got [0, 'x']"),
                err(HEAD + "slices: [{sources: [{model: a, layer_range: [0.5, 4]}]}]\n", "slices[0].sources[0].layer_range",
                        "expected [start, end] with whole numbers 0 <= start <= end (end exclusive), got [0.5, 4]"),
                err(HEAD + "slices: [{sources: [{model: a, layer_range: 4}]}]\n", "slices[0].sources[0].layer_range",
                        "expected [start, end] with whole numbers 0 <= start <= end (end exclusive), got 4"),
                err(HEAD + "slices:\n  - sources: [{model: a, layer_range: [0, 8]}]\n  - sources:\n      - model: a\n        layer_range: [8, 12]\n"
                                + "      - model: b\n        layer_range: [0, 8]\n", "slices[1].sources[1].layer_range",
                        "spans 8 layers but slices[1].sources[0] spans 4; all sources of a slice must span the same number of layers"),
                err(HEAD + "slices: [{sources: [{model: a, layer_range: [0, 4], parameters: {t: [x]}}]}]\n",
                        "slices[0].sources[0].parameters.t[0]",
                        "expected a number, a boolean, a string, a list of numbers, or a list of {filter, value}; a list holds numbers or {filter, value} maps, got 'x'"),
                err(HEAD + "slices: [{sources: [{model: a, layer_range: [0, 4]}], parameters: {t: null}}]\n", "slices[0].parameters.t",
                        "expected a number, a boolean, a string, a list of numbers, or a list of {filter, value}, got nothing (null)"));
    }

    private static Arguments err(String yaml, String path, String detail) {
        return Arguments.of(yaml, path, detail);
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("errors")
    void rejectsWithKeyPath(String yaml, String path, String detail) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> RecipeReader.parse(yaml, null));
        assertThat(e).as("no error for:\n" + yaml).isNotNull();
        assertThat(e.path()).isEqualTo(path);
        assertThat(e.detail()).isEqualTo(detail);
        assertThat(e.getMessage()).isEqualTo(path.isEmpty() ? detail : path + ": " + detail).doesNotContain("\n");
    }

    @Test
    void messageIsOneLineEvenWhenAValueHasLineBreaks() {
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> RecipeReader.parse("merge_method: ties\nmodels: [a]\ndtype: \"bf\\n16\"\n", "cfg.yml"));
        assertThat(e.getMessage()).isEqualTo("cfg.yml: dtype: unknown dtype 'bf\\n16'; expected float32, bfloat16, float16, float64, float8_e4m3fn or float8_e5m2 (also fp32, bf16, fp16, half, …, or torch.<name>)");
    }
}
