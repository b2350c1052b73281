package org.exmerge.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.stream.Stream;
import org.exmerge.MergeOptions;
import org.exmerge.engine.CancelToken;
import org.exmerge.engine.ProgressListener;
import org.exmerge.engine.RunOptions;
import org.exmerge.format.DType;
import org.exmerge.synth.LlamaShape;
import org.exmerge.synth.Synth;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ExMe search through the library: resuming after an interruption changes nothing. */
class SearchResumeTest {
    @TempDir
    static Path dir;
    static Path models;

    @BeforeAll
    static void synth() throws Exception {
        models = dir.resolve("models");
        LlamaShape shape = LlamaShape.forBytes(1_000_000, DType.BF16);
        RunOptions run = RunOptions.defaults().withThreads(2);
        Synth.write(models, shape, DType.BF16, 3, 0, run, ProgressListener.NONE, new CancelToken());
        Synth.writeTarget(models, shape, DType.BF16, 3, 0, run, ProgressListener.NONE, new CancelToken());
    }

    static ExmeSearch search() {
        return new ExmeSearch(models.resolve("base"), List.of(models.resolve("sft-1"), models.resolve("sft-2"), models.resolve("sft-3")),
                ExmeSearch.DEFAULT_ALPHAS, ExmeSearch.DEFAULT_BETAS, 2);
    }

    static SearchOptions options(Path work, CancelToken cancel, int parallel) {
        MergeOptions m = MergeOptions.defaults().withRun(RunOptions.defaults().withThreads(2)).withCancel(cancel);
        return new SearchOptions(work, new ReferenceEvaluator(models.resolve("target"), null), parallel, false, false, null, m);
    }

    /** hash → score of every successful line. */
    static Map<String, Double> scores(Path work) throws Exception {
        Map<String, Double> m = new TreeMap<>();
        for (JsonNode n : ResultsLog.parse(Files.readString(work.resolve("results.jsonl")))) {
            if (n.hasNonNull("score")) {
                assertThat(m.put(n.get("hash").asText(), n.get("score").asDouble())).as("scored twice").isNull();
            }
        }
        return m;
    }

    static byte[] weights(Path model) throws Exception {
        return Files.readAllBytes(model.resolve("model.safetensors"));
    }

    /** A checkpoint saved again at its path is another model: its old scores are not reused without --rescore. */
    @Test
    void aResumeOverInputsThatChangedIsRefusedUnlessRescoring() throws Exception {
        Path ckpt = dir.resolve("retrained");
        Files.createDirectories(ckpt);
        try (Stream<Path> s = Files.list(models.resolve("sft-1"))) {
            for (Path f : s.toList()) {
                Files.copy(f, ckpt.resolve(f.getFileName()));
            }
        }
        ExmeSearch search = new ExmeSearch(models.resolve("base"), List.of(ckpt, models.resolve("sft-2")), List.of(0.1), List.of(0.5), 2);
        Path work = dir.resolve("stamped");
        search.run(options(work, new CancelToken(), 1), SearchListener.NONE);
        search.run(options(work, new CancelToken(), 1), SearchListener.NONE); // unchanged: resumes, nothing to score
        Path weights = ckpt.resolve("model.safetensors");
        Files.write(weights, Files.readAllBytes(weights)); // the same model written again (a new time) is the same model
        Files.setLastModifiedTime(weights, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 3_600_000));
        search.run(options(work, new CancelToken(), 1), SearchListener.NONE);

        Files.copy(models.resolve("sft-3/model.safetensors"), ckpt.resolve("model.safetensors"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> search.run(options(work, new CancelToken(), 1), SearchListener.NONE))
                .isInstanceOfSatisfying(SearchException.class, e -> assertThat(e.kind()).isEqualTo(org.exmerge.error.ExmergeException.Kind.RECIPE))
                .hasMessageContaining("the input models' files changed since it scored them");
        SearchOptions rescore = new SearchOptions(work, new ReferenceEvaluator(models.resolve("target"), null), 1, false, true, null,
                options(work, new CancelToken(), 1).merge());
        SearchOutcome again = search.run(rescore, SearchListener.NONE);
        assertThat(again.notes()).anySatisfy(n -> assertThat(n).contains("earlier results set aside"));
    }

    @Test
    void interruptedThenResumedEqualsUninterrupted() throws Exception {
        Path once = dir.resolve("once");
        SearchOutcome a = search().run(options(once, new CancelToken(), 1), SearchListener.NONE);
        // the synthetic target puts the optimum inside both grids, as in the paper
        assertThat(a.chosen()).containsEntry("alpha_1", 0.3).containsEntry("alpha_2", 0.2).containsEntry("beta", 0.6);
        assertThat(a.winner().candidate().params().get("checkpoint_1")).isEqualTo(models.resolve("sft-1").toString());
        assertThat(scores(once)).hasSize(3 + 10 + 9);

        Path twice = dir.resolve("twice");
        CancelToken cancel = new CancelToken();
        int[] seen = {0};
        SearchListener stopAfter7 = new SearchListener() {
            @Override
            public void candidate(Result r, int finished, int total) {
                if (++seen[0] == 7) {
                    cancel.cancel();
                }
            }
        };
        assertThatThrownBy(() -> search().run(options(twice, cancel, 1), stopAfter7)).isInstanceOf(CancellationException.class);
        assertThat(scores(twice)).hasSize(7);
        assertThat(twice.resolve("best")).doesNotExist();
        try (Stream<Path> s = Files.list(twice.resolve("candidates"))) {
            assertThat(s.toList()).as("half-written or unscored candidates are removed").isEmpty();
        }

        List<Result> resumed = new ArrayList<>();
        SearchOutcome b = search().run(options(twice, new CancelToken(), 2), new SearchListener() {
            @Override
            public void candidate(Result r, int finished, int total) {
                resumed.add(r);
            }
        });
        assertThat(resumed.stream().filter(Result::resumed).count()).isEqualTo(7);
        assertThat(scores(twice)).isEqualTo(scores(once));
        assertThat(b.winner().candidate().hash()).isEqualTo(a.winner().candidate().hash());
        assertThat(weights(b.best())).isEqualTo(weights(a.best()));
        assertThat(Files.readString(twice.resolve("best.yaml"))).isEqualTo(Files.readString(once.resolve("best.yaml")));

        // a third run scores nothing again
        List<Result> third = new ArrayList<>();
        search().run(options(twice, new CancelToken(), 1), new SearchListener() {
            @Override
            public void candidate(Result r, int finished, int total) {
                third.add(r);
            }
        });
        assertThat(third).hasSize(22).allMatch(Result::resumed);
    }

    @Test
    void differentGridRefusesTheWorkdirUnlessRescoring() throws Exception {
        Path work = dir.resolve("grid");
        ExmeSearch small = new ExmeSearch(models.resolve("base"), List.of(models.resolve("sft-1"), models.resolve("sft-2")),
                List.of(0.2, 0.3), List.of(0.5), 2);
        small.run(options(work, new CancelToken(), 1), SearchListener.NONE);
        ExmeSearch other = new ExmeSearch(models.resolve("base"), List.of(models.resolve("sft-1"), models.resolve("sft-2")),
                List.of(0.2, 0.4), List.of(0.5), 2);
        assertThatThrownBy(() -> other.run(options(work, new CancelToken(), 1), SearchListener.NONE))
                .isInstanceOf(SearchException.class).hasMessageContaining("alphas was [0.2,0.3], now [0.2,0.4]")
                .hasMessageContaining("--rescore");
        SearchOptions o = options(work, new CancelToken(), 1);
        SearchOptions rescore = new SearchOptions(o.workdir(), o.evaluator(), 1, false, true, null, o.merge());
        SearchOutcome r = other.run(rescore, SearchListener.NONE);
        assertThat(r.notes()).anyMatch(n -> n.contains("set aside"));
        assertThat(scores(work)).hasSize(2 + 4 + 1);
    }
}
