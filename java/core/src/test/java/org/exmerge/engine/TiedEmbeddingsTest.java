package org.exmerge.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.exmerge.Exmerge;
import org.exmerge.MergeOptions;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.DType;
import org.exmerge.testing.TestModels;
import org.exmerge.testing.TestModels.T;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model saved with tied embeddings has no lm_head.weight: its input embedding stands in for it, as in mergekit. */
class TiedEmbeddingsTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void models() throws Exception {
        TestModels.write(dir.resolve("untied"),
                new T("model.embed_tokens.weight", DType.BF16, new long[] {16, 8}, TestModels.random(1, 128, 0.02f)),
                new T("lm_head.weight", DType.BF16, new long[] {16, 8}, TestModels.random(2, 128, 0.02f)),
                new T("model.norm.weight", DType.BF16, new long[] {8}, TestModels.random(3, 8, 1f)));
        TestModels.write(dir.resolve("tied"),
                new T("model.embed_tokens.weight", DType.BF16, new long[] {16, 8}, TestModels.random(4, 128, 0.02f)),
                new T("model.norm.weight", DType.BF16, new long[] {8}, TestModels.random(5, 8, 1f)));
        TestModels.write(dir.resolve("neither"),
                new T("model.embed_tokens.weight", DType.BF16, new long[] {16, 8}, TestModels.random(7, 128, 0.02f)),
                new T("lm_head_renamed.weight", DType.BF16, new long[] {16, 8}, TestModels.random(6, 128, 0.02f)),
                new T("model.norm.weight", DType.BF16, new long[] {8}, TestModels.random(8, 8, 1f)));
        TestModels.write(dir.resolve("bare"),
                new T("model.norm.weight", DType.BF16, new long[] {8}, TestModels.random(9, 8, 1f)));
    }

    static Path merge(String first, double w1, String second, double w2, String out) throws Exception {
        String yaml = "merge_method: linear\nmodels:\n  - {model: " + first + ", parameters: {weight: " + w1 + "}}\n"
                + "  - {model: " + second + ", parameters: {weight: " + w2 + "}}\n";
        Path p = dir.resolve(out);
        Exmerge.merge(Exmerge.Source.parse(yaml, out), p, MergeOptions.defaults().withModelsDir(dir), ProgressListener.NONE);
        return p;
    }

    @Test
    void aTiedModelsInputEmbeddingIsItsLmHead() throws Exception {
        Path onlyTied = merge("untied", 0, "tied", 1, "only-tied");
        Path onlyUntied = merge("untied", 1, "tied", 0, "only-untied");
        try (Checkpoint t = Checkpoint.open(dir.resolve("tied")); Checkpoint u = Checkpoint.open(dir.resolve("untied"));
             Checkpoint a = Checkpoint.open(onlyTied); Checkpoint b = Checkpoint.open(onlyUntied)) {
            assertThat(a.data("lm_head.weight").mismatch(t.data("model.embed_tokens.weight"))).isEqualTo(-1L);
            assertThat(b.data("lm_head.weight").mismatch(u.data("lm_head.weight"))).isEqualTo(-1L);
        }
    }

    @Test
    void theNoticeSaysWhichModelReadsItsInputEmbedding() throws Exception {
        java.util.List<String> heard = new java.util.ArrayList<>();
        String yaml = "merge_method: linear\nmodels:\n  - {model: untied, parameters: {weight: 1}}\n  - {model: tied, parameters: {weight: 1}}\n";
        Exmerge.merge(Exmerge.Source.parse(yaml, "n"), dir.resolve("noticed"), MergeOptions.defaults().withModelsDir(dir), new ProgressListener() {
            @Override
            public void notice(String message) {
                heard.add(message);
            }
        });
        assertThat(heard).contains("model tied: no lm_head.weight (tied embeddings): its model.embed_tokens.weight is read in its place");
    }

    @Test
    void aTiedReferenceWithAnUntiedModelSaysHowToMergeThemUntied() {
        // The output takes the reference's layout (and config.json): tied, so another model's lm_head has no place in it.
        assertThatThrownBy(() -> merge("tied", 0.5, "untied", 0.5, "tied-first"))
                .hasMessageContaining("tensor 'lm_head.weight' of model 'untied' is not in 'tied', which ties it to its "
                        + "model.embed_tokens.weight (tied embeddings)")
                .hasMessageContaining("make a model that has its own lm_head.weight the base model (or the first model)");
        assertThat(dir.resolve("tied-first")).doesNotExist();
    }

    @Test
    void aModelWithNeitherIsStillAnError() {
        // 'neither' has an input embedding, so its lm_head falls back to it; its stray tensor is what is refused
        assertThatThrownBy(() -> merge("untied", 0.5, "neither", 0.5, "neither-out"))
                .hasMessageContaining("tensor 'lm_head_renamed.weight' of model 'neither' is not in 'untied'");
        // a model with no input embedding either has nothing to stand in for lm_head
        assertThatThrownBy(() -> merge("untied", 0.5, "bare", 0.5, "bare-out"))
                .hasMessageContaining("tensor 'lm_head.weight' is missing (model 'bare')");
    }
}
