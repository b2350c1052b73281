package org.exmerge.engine;

import java.util.Locale;
import java.util.Set;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.TensorInfo;
import org.exmerge.recipe.LayerNames;

/**
 * The tensors indexed by token id, which a tokenizer source reorders: token embeddings and output
 * heads outside the layers (Llama {@code embed_tokens}/{@code lm_head}, GPT-2 {@code wte}, BERT
 * {@code word_embeddings}, GPT-NeoX {@code embed_in}/{@code embed_out}, Meta's {@code tok_embeddings}),
 * weights and biases alike; position embeddings are not.
 */
public final class VocabTensors {
    private static final Set<String> TOKEN_EMBEDDINGS = Set.of("embed_tokens", "wte", "word_embeddings", "embed_in", "tok_embeddings");
    private static final Set<String> HEADS = Set.of("lm_head", "embed_out");

    private VocabTensors() {}

    public static boolean isVocabTensor(String name) {
        return LayerNames.layerIndex(name) < 0 && (has(name, TOKEN_EMBEDDINGS) || has(name, HEADS));
    }

    /** Whether {@code name} is a token embedding (input side), not an output head. */
    public static boolean isTokenEmbedding(String name) {
        return LayerNames.layerIndex(name) < 0 && has(name, TOKEN_EMBEDDINGS);
    }

    /** The model's vocabulary rows: its token embedding's first dimension (else its output head's), or -1 without either. */
    public static int rows(Checkpoint c) {
        long rows = -1;
        for (TensorInfo t : c.tensors()) {
            if (t.rank() >= 1 && LayerNames.layerIndex(t.name()) < 0) {
                if (has(t.name(), TOKEN_EMBEDDINGS)) {
                    return Math.toIntExact(t.dim(0));
                }
                if (rows < 0 && has(t.name(), HEADS)) {
                    rows = t.dim(0);
                }
            }
        }
        return Math.toIntExact(rows);
    }

    private static boolean has(String name, Set<String> parts) {
        for (String p : name.toLowerCase(Locale.ROOT).split("\\.")) {
            if (parts.contains(p)) {
                return true;
            }
        }
        return false;
    }
}
