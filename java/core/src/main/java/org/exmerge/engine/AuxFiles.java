package org.exmerge.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.exmerge.error.InputFiles;
import org.exmerge.format.DType;
import org.exmerge.tokenizer.TokenizerFiles;
import org.exmerge.tokenizer.VocabPlan;

/**
 * Carries a model's non-weight files (config, generation config, tokenizer) to the output, updating
 * config.json where the merge changed it (dtype, layer count).
 */
final class AuxFiles {
    static final List<String> TOKENIZER = List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
            "tokenizer.model", "vocab.json", "merges.txt", "added_tokens.json", "chat_template.jinja", "chat_template.json");
    /** Carried beside config.json, which is rewritten. */
    static final List<String> CONFIG = List.of("generation_config.json", "preprocessor_config.json");

    private AuxFiles() {}

    /**
     * Refuses, while planning, the files {@link #copy} would carry but could not: one that is there
     * but is no readable file (a directory, a dangling link, a FIFO), which copying would skip as if
     * the model had none, and a config.json that is not a JSON object. Arguments as {@link #copy}'s.
     */
    static void check(Path configFrom, Path tokenizerFrom) throws IOException {
        if (tokenizerFrom != null) {
            for (String name : TOKENIZER) {
                InputFiles.present(tokenizerFrom.resolve(name));
            }
        }
        if (configFrom != null) {
            for (String name : CONFIG) {
                InputFiles.present(configFrom.resolve(name));
            }
            Path config = configFrom.resolve("config.json");
            if (InputFiles.present(config)) {
                ConfigJson.check(config);
            }
        }
    }

    /**
     * @param configFrom where config.json and its companions come from (null: none)
     * @param tokenizerFrom where the tokenizer files come from (null: none)
     * @param vocab the output vocabulary when a tokenizer source changed the rows (its new tokens join the tokenizer files), else null
     */
    static void copy(Path configFrom, Path tokenizerFrom, Path to, DType dtype, int layerCount, VocabPlan vocab)
            throws IOException {
        copyPresent(tokenizerFrom, TOKENIZER, to);
        if (vocab != null && !vocab.newTokens().isEmpty()) {
            TokenizerFiles.addTokens(to, vocab.newTokens());
        }
        if (configFrom == null) {
            return;
        }
        copyPresent(configFrom, CONFIG, to);
        Path config = configFrom.resolve("config.json");
        if (Files.isRegularFile(config)) {
            ConfigJson.rewrite(config, to.resolve("config.json"), dtype == null ? null : dtype.configName(), layerCount,
                    LAYER_COUNT_KEYS, vocab == null ? -1 : vocab.rows());
        }
    }

    private static void copyPresent(Path from, List<String> names, Path to) throws IOException {
        if (from == null) {
            return;
        }
        for (String name : names) {
            Path f = from.resolve(name);
            if (Files.isRegularFile(f)) {
                Files.copy(f, to.resolve(name));
            }
        }
    }

    /** The keys architectures store their layer count under (Llama and most: the first; GPT-2, MPT, Falcon: the others). */
    static final List<String> LAYER_COUNT_KEYS = List.of("num_hidden_layers", "n_layer", "num_layers", "n_layers");

}
