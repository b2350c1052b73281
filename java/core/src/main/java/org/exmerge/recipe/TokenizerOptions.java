package org.exmerge.recipe;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code tokenizer:} block beyond its source: per-token embedding sources (each token also joins
 * the output vocabulary) and the multiple the embedding rows are padded to (0: none).
 */
public record TokenizerOptions(Map<String, TokenEmbedding> tokens, int padToMultipleOf) {
    public static final TokenizerOptions NONE = new TokenizerOptions(Map.of(), 0);

    public TokenizerOptions {
        tokens = tokens == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tokens));
        if (padToMultipleOf < 0) {
            throw new IllegalArgumentException("padToMultipleOf < 0");
        }
    }

    public boolean isEmpty() {
        return tokens.isEmpty() && padToMultipleOf == 0;
    }
}
