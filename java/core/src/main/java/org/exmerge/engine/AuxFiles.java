package org.exmerge.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.exmerge.format.DType;

/**
 * Carries a model's non-weight files (config, generation config, tokenizer) to the output, updating
 * config.json where the merge changed it (dtype, layer count).
 */
final class AuxFiles {
    static final List<String> CARRIED = List.of("generation_config.json", "tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "tokenizer.model", "vocab.json", "merges.txt", "added_tokens.json",
            "chat_template.jinja", "chat_template.json", "preprocessor_config.json");

    private AuxFiles() {}

    static void copy(Path from, Path to, DType dtype, int layerCount) throws IOException {
        if (from == null) {
            return;
        }
        for (String name : CARRIED) {
            Path f = from.resolve(name);
            if (Files.isRegularFile(f)) {
                Files.copy(f, to.resolve(name));
            }
        }
        Path config = from.resolve("config.json");
        if (Files.isRegularFile(config)) {
            ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            ObjectNode node;
            try {
                node = (ObjectNode) json.readTree(config.toFile());
            } catch (IOException | ClassCastException e) {
                throw new IOException(config + ": not a JSON object: " + e.getMessage(), e);
            }
            if (dtype != null) {
                node.put("torch_dtype", torchName(dtype));
            }
            if (layerCount >= 0) {
                setLayerCount(node, layerCount);
            }
            json.writeValue(to.resolve("config.json").toFile(), node);
        }
    }

    /** The keys architectures store their layer count under (Llama and most: the first; GPT-2, MPT, Falcon: the others). */
    static final List<String> LAYER_COUNT_KEYS = List.of("num_hidden_layers", "n_layer", "num_layers", "n_layers");

    /** Sets every layer-count key the config has (num_hidden_layers when it has none), e.g. after slices stacked layers. */
    static void setLayerCount(ObjectNode config, int layers) {
        boolean found = false;
        for (String key : LAYER_COUNT_KEYS) {
            if (config.path(key).isIntegralNumber()) {
                config.put(key, layers);
                found = true;
            }
        }
        if (!found) {
            config.put("num_hidden_layers", layers);
        }
    }

    static String torchName(DType t) {
        return switch (t) {
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            case F32 -> "float32";
            case F64 -> "float64";
            case F8_E4M3 -> "float8_e4m3fn";
            case F8_E5M2 -> "float8_e5m2";
            default -> t.name().toLowerCase(Locale.ROOT);
        };
    }
}
