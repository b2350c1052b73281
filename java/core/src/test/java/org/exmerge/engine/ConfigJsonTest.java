package org.exmerge.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.exmerge.error.InputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ConfigJson writes the bytes Jackson's tree model wrote before it (the oracle here: read the tree,
 * put torch_dtype, set the layer count, write it indented), for configs with every kind of value.
 */
class ConfigJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {
        // Llama-like: the layer count, floats of every notation, nested objects and arrays, unicode
        "{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 4096, \"num_hidden_layers\": 32,"
            + " \"rms_norm_eps\": 1e-05, \"rope_theta\": 500000.0, \"initializer_range\": 0.02, \"torch_dtype\": \"float32\","
            + " \"rope_scaling\": {\"factor\": 8.0, \"type\": \"llama3\", \"low\": [1, 2.5, -3e-7, null, true]},"
            + " \"big\": 123456789012345678901234567890, \"neg\": -0.0, \"name\": \"m\\u00e9lange \\\"q\\\" \\n\", \"x\": null}",
        // GPT-2-like: n_layer, no torch_dtype (appended)
        "{\"n_layer\": 12, \"n_embd\": 768, \"layer_norm_epsilon\": 1E-5, \"activation_function\": \"gelu_new\"}",
        // no layer count at all (num_hidden_layers appended after torch_dtype); empty containers
        "{\"model_type\": \"x\", \"a\": {}, \"b\": [], \"c\": 3.141592653589793}",
        // the first layer key present but not an integer (replaced in place), another one integral
        "{\"num_hidden_layers\": \"32\", \"text\": {\"num_hidden_layers\": 7}}",
        "{\"num_layers\": 24, \"n_layers\": 24, \"num_hidden_layers\": 2.0}",
        "{}",
    })
    void writesWhatTheTreeModelWrote(String config) throws IOException {
        for (String dtype : new String[] {null, "bfloat16"}) {
            for (int layers : new int[] {-1, 40}) {
                Path in = dir.resolve("in.json");
                Files.writeString(in, config);
                Path got = dir.resolve("got.json");
                ConfigJson.rewrite(in, got, dtype, layers, AuxFiles.LAYER_COUNT_KEYS);
                assertThat(Files.readString(got)).as("dtype %s, layers %d", dtype, layers)
                        .isEqualTo(oracle(in, dtype, layers));
            }
        }
    }

    @Test
    void aConfigThatIsNotAnObjectIsAnErrorNamingTheFile() throws IOException {
        for (String bad : new String[] {"[1, 2]", "", "\"s\""}) {
            Path in = dir.resolve("config.json");
            Files.writeString(in, bad);
            assertThatThrownBy(() -> ConfigJson.rewrite(in, dir.resolve("out.json"), "bfloat16", 3, AuxFiles.LAYER_COUNT_KEYS))
                    .as(bad).isInstanceOf(IOException.class).hasMessageStartingWith(in + ": not a JSON object: ");
        }
        Path in = dir.resolve("config.json");
        Files.writeString(in, "{\"a\": ");
        assertThatThrownBy(() -> ConfigJson.rewrite(in, dir.resolve("out.json"), "bfloat16", 3, AuxFiles.LAYER_COUNT_KEYS))
                .isInstanceOf(InputException.class).hasMessage(in + ": not valid JSON at line 1, column 7:"
                        + " Unexpected end-of-input within/between Object entries");
    }

    /** What AuxFiles wrote before ConfigJson: the tree, torch_dtype put, every integral layer key set (else the first). */
    private static String oracle(Path in, String dtype, int layers) throws IOException {
        ObjectNode node = (ObjectNode) JSON.readTree(in.toFile());
        if (dtype != null) {
            node.put("torch_dtype", dtype);
        }
        if (layers >= 0) {
            boolean found = false;
            for (String key : AuxFiles.LAYER_COUNT_KEYS) {
                if (node.path(key).isIntegralNumber()) {
                    node.put(key, layers);
                    found = true;
                }
            }
            if (!found) {
                node.put(AuxFiles.LAYER_COUNT_KEYS.get(0), layers);
            }
        }
        return JSON.writeValueAsString(node);
    }
}
