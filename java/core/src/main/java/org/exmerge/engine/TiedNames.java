package org.exmerge.engine;

import java.util.List;
import java.util.Map;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.TensorInfo;

/**
 * Output embeddings a model with tied embeddings does not save. transformers drops {@code lm_head.weight}
 * from a checkpoint whose config ties it to the input embedding (Llama 3.2 1B/3B, Qwen2.5 ≤ 3B, Gemma),
 * so one fine-tune of a family may hold it and another not. mergekit reads such a model's input
 * embedding in its place (its architectures' {@code tied_names}); so does exmerge, by these names,
 * which are those mergekit's architectures tie.
 */
final class TiedNames {
    private static final Map<String, List<String>> TIED = Map.of(
            "lm_head.weight", List.of("model.embed_tokens.weight", "model.language_model.embed_tokens.weight",
                    "transformer.wte.weight", "wte.weight", "backbone.embeddings.weight", "shared.weight"),
            "output.weight", List.of("model.tok_embeddings.weight"),
            "lm_head.decoder.weight", List.of("roberta.embeddings.word_embeddings.weight"),
            "cls.predictions.decoder.weight", List.of("bert.embeddings.word_embeddings.weight"),
            "vocab_projector.weight", List.of("distilbert.embeddings.word_embeddings.weight"));

    private TiedNames() {}

    /** Whether {@code name} is an output embedding a model may leave out for its input embedding. */
    static boolean isOutputEmbedding(String name) {
        return TIED.containsKey(name);
    }

    /** The input embedding of {@code c} that {@code name} (an output embedding) is tied to, when {@code c} holds one; else null. */
    static String tiedTo(Checkpoint c, String name) {
        TensorInfo t = tied(c, name);
        return t == null ? null : t.name();
    }

    /** The tensor {@code c} holds in place of {@code name}, which it lacks, as its tied embedding; null if none. */
    static TensorInfo tied(Checkpoint c, String name) {
        for (String t : TIED.getOrDefault(name, List.of())) {
            TensorInfo info = c.tensor(t);
            if (info != null) {
                return info;
            }
        }
        return null;
    }
}
