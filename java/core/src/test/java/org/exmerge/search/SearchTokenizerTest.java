package org.exmerge.search;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.exmerge.MergeOptions;
import org.exmerge.engine.CancelToken;
import org.exmerge.engine.ProgressListener;
import org.exmerge.engine.RunOptions;
import org.exmerge.format.DType;
import org.exmerge.synth.LlamaShape;
import org.exmerge.synth.Synth;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An ExMe search over checkpoints whose tokenizers number the tokens differently: every merged
 * candidate carries the tokenizer source, the search records it, and the winner's recipe rebuilds it.
 */
class SearchTokenizerTest {
    @TempDir
    Path dir;

    @Test
    void everyCandidateMergesUnderTheTokenizerSource() throws Exception {
        Path models = dir.resolve("models");
        LlamaShape shape = LlamaShape.forBytes(1_000_000, DType.BF16);
        RunOptions run = RunOptions.defaults().withThreads(2);
        Synth.write(models, shape, DType.BF16, 2, 0, run, ProgressListener.NONE, new CancelToken());
        Synth.writeTarget(models, shape, DType.BF16, 2, 0, run, ProgressListener.NONE, new CancelToken());
        // sft-2 as a checkpoint whose tokenizer swaps two ids: its rows must be put back in the base's order.
        Path swapped = dir.resolve("swapped");
        Files.createDirectories(swapped);
        try (var files = Files.list(models.resolve("sft-2"))) {
            for (Path f : files.toList()) {
                Files.copy(f, swapped.resolve(f.getFileName()));
            }
        }
        String tok = Files.readString(swapped.resolve("tokenizer.json"));
        assertThat(tok).contains("\"hello\": 3, \"world\": 4");
        Files.writeString(swapped.resolve("tokenizer.json"), tok.replace("\"hello\": 3, \"world\": 4", "\"hello\": 4, \"world\": 3"));

        ExmeSearch s = new ExmeSearch(models.resolve("base"), List.of(models.resolve("sft-1"), swapped), List.of(0.2), List.of(0.5), 2,
                "union");
        MergeOptions m = MergeOptions.defaults().withRun(run).withCancel(new CancelToken());
        SearchOutcome r = s.run(new SearchOptions(dir.resolve("work"), new ReferenceEvaluator(models.resolve("target"), null), 1, false,
                false, null, m), SearchListener.NONE);

        assertThat(r.failures()).isEmpty();
        for (String stage : List.of(ExmeSearch.EXPO, ExmeSearch.EXME)) {
            assertThat(r.stages().get(stage)).isNotEmpty()
                    .allSatisfy(x -> assertThat(x.candidate().recipe()).endsWith("tokenizer_source: union\n"));
        }
        assertThat(Files.readString(dir.resolve("work/search.json"))).contains("\"tokenizer_source\"");
        assertThat(Files.readString(r.recipe())).contains("tokenizer_source: union");
        assertThat(r.chosen()).isNotEmpty();
    }
}
