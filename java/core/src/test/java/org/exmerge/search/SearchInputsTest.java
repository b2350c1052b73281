package org.exmerge.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.exmerge.MergeOptions;
import org.exmerge.engine.CancelToken;
import org.exmerge.engine.ProgressListener;
import org.exmerge.engine.RunOptions;
import org.exmerge.error.ExmergeException;
import org.exmerge.format.DType;
import org.exmerge.recipe.ConfigException;
import org.exmerge.synth.LlamaShape;
import org.exmerge.synth.Synth;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A search checks every model and parameter before it merges or scores anything. */
class SearchInputsTest {
    @TempDir
    static Path dir;
    static Path models;
    static Path other;

    @BeforeAll
    static void synth() throws Exception {
        models = dir.resolve("models");
        other = dir.resolve("other");
        RunOptions run = RunOptions.defaults().withThreads(2);
        LlamaShape shape = LlamaShape.forBytes(1_000_000, DType.BF16);
        Synth.write(models, shape, DType.BF16, 2, 0, run, ProgressListener.NONE, new CancelToken());
        Synth.writeTarget(models, shape, DType.BF16, 2, 0, run, ProgressListener.NONE, new CancelToken());
        Synth.write(other, LlamaShape.forBytes(3_000_000, DType.BF16), DType.BF16, 1, 0, run, ProgressListener.NONE, new CancelToken());
    }

    static Path m(String name) {
        return models.resolve(name);
    }

    /** An evaluator that records what it was asked to score. */
    static final class Recording implements Evaluator {
        final List<Path> scored = new ArrayList<>();

        @Override
        public String describe() {
            return "recording";
        }

        @Override
        public synchronized Score evaluate(Path model, Request req) {
            scored.add(model);
            return new Score(1, java.util.Map.of());
        }
    }

    static SearchOptions options(Path work, Evaluator ev) {
        MergeOptions m = MergeOptions.defaults().withRun(RunOptions.defaults().withThreads(2));
        return new SearchOptions(work, ev, 1, false, false, null, m);
    }

    static ExmeSearch exme(Path base, List<Path> checkpoints, String tokenizerSource) {
        return new ExmeSearch(base, checkpoints, List.of(0.1), List.of(0.5), 2, tokenizerSource);
    }

    /** Runs the search, expecting it to stop before any work: nothing scored, no working directory. */
    static Throwable refused(ExmeSearch s, String work) {
        Recording ev = new Recording();
        Path w = dir.resolve(work);
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> s.run(options(w, ev), SearchListener.NONE));
        assertThat(t).isNotNull();
        assertThat(ev.scored).isEmpty();
        assertThat(w).doesNotExist();
        return t;
    }

    @Test
    void aMistypedModelIsAnInputErrorBeforeAnyWork() {
        Throwable typo = refused(exme(m("base"), List.of(m("sft-1"), m("sft-2x")), null), "typo");
        assertThat(typo).isInstanceOfSatisfying(ExmergeException.class, e -> assertThat(e.kind()).isEqualTo(ExmergeException.Kind.INPUT))
                .hasMessageContaining("sft-2x").hasMessageContaining("no such file");
        Throwable base = refused(exme(m("basex"), List.of(m("sft-1"), m("sft-2")), null), "basex");
        assertThat(base).isInstanceOf(ExmergeException.class).hasMessageContaining("basex");
        Throwable tok = refused(exme(m("base"), List.of(m("sft-1"), m("sft-2")), "bogus"), "tokenizer");
        assertThat(tok).isInstanceOf(ExmergeException.class).hasMessageContaining("bogus");
    }

    @Test
    void aCheckpointThatDoesNotFitTheBaseIsRefusedBeforeAnyWork() {
        Throwable t = refused(exme(m("base"), List.of(m("sft-1"), other.resolve("sft-1")), null), "shapes");
        assertThat(t).isInstanceOfSatisfying(ExmergeException.class, e -> assertThat(e.kind()).isEqualTo(ExmergeException.Kind.INPUT));
    }

    @Test
    void theBaseAsACheckpointIsAUsageError() throws Exception {
        Throwable t = refused(exme(m("base"), List.of(m("sft-1"), dir.resolve("models/../models/base")), null), "base-twice");
        assertThat(t).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is the base model");
        Files.createSymbolicLink(dir.resolve("base-link"), m("base"));
        assertThat(refused(exme(m("base"), List.of(m("sft-1"), dir.resolve("base-link")), null), "base-link-work"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> exme(m("base"), List.of(m("sft-1"), m("sft-1")), null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("twice");
    }

    @Test
    void anInputThatVanishesDuringTheSearchIsAnInputErrorNamingIt() throws Exception {
        Path victim = dir.resolve("victim");
        copy(m("sft-1"), victim);
        // the evaluator removes the checkpoint once stage 1 scored it
        Evaluator ev = new Evaluator() {
            @Override
            public String describe() {
                return "remover";
            }

            @Override
            public Score evaluate(Path model, Request req) throws EvaluationException {
                if (model.getFileName().equals(victim.getFileName())) { // stage sft's scratch copy, named as the checkpoint
                    try {
                        org.exmerge.format.FileTrees.deleteTree(victim);
                    } catch (java.io.IOException e) {
                        throw new EvaluationException(e.toString(), "");
                    }
                }
                return new Score(1, java.util.Map.of());
            }
        };
        ExmeSearch s = exme(m("base"), List.of(victim, m("sft-2")), null);
        assertThatThrownBy(() -> s.run(options(dir.resolve("vanish"), ev), SearchListener.NONE))
                .isInstanceOfSatisfying(ExmergeException.class, e -> assertThat(e.kind()).isEqualTo(ExmergeException.Kind.INPUT))
                .hasMessageContaining("an input changed during the search").hasMessageContaining(victim.toString());
    }

    static void copy(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        try (var s = Files.list(from)) {
            for (Path f : s.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }

    @Test
    void duplicateGridValuesAreOneCandidate() throws Exception {
        Recording ev = new Recording();
        ExmeSearch s = new ExmeSearch(m("base"), List.of(m("sft-1"), m("sft-2")), List.of(0.1, 0.1, 0.3, 0.1), List.of(0.5, 0.5), 2);
        SearchOutcome o = s.run(options(dir.resolve("dupes"), ev), SearchListener.NONE);
        assertThat(o.stages().get(ExmeSearch.EXPO)).hasSize(2 * 2);
        assertThat(o.stages().get(ExmeSearch.EXME)).hasSize(1);
        assertThat(ev.scored).hasSize(2 + 4 + 1).doesNotHaveDuplicates();
        assertThat(s.settings(ev).get("alphas").toString()).isEqualTo("[0.1,0.3]");
    }

    @Test
    void checkpointsWithOneDirectoryNameGetLabelsThatTellThemApart() throws Exception {
        // Trainer runs save run-a/checkpoint-500 and run-b/checkpoint-500: the plots once died on the
        // two series of one name, after the search had written its winner.
        copy(m("sft-1"), dir.resolve("run-a/checkpoint-500"));
        copy(m("sft-2"), dir.resolve("run-b/checkpoint-500"));
        Recording ev = new Recording();
        SearchOutcome o = exme(m("base"), List.of(dir.resolve("run-a/checkpoint-500"), dir.resolve("run-b/checkpoint-500")), null)
                .run(options(dir.resolve("same-names"), ev), SearchListener.NONE);
        assertThat(o.stages().get(ExmeSearch.SFT)).extracting(r -> r.candidate().label())
                .containsExactly("run-a/checkpoint-500", "run-b/checkpoint-500");
        assertThat(o.stages().get(ExmeSearch.EXPO)).extracting(r -> r.candidate().label())
                .containsExactly("run-a/checkpoint-500 α=0.1", "run-b/checkpoint-500 α=0.1");
        assertThat(Files.readString(o.report())).contains("EXPO-1 (run-a/checkpoint-500)").contains("EXPO-2 (run-b/checkpoint-500)");
        assertThat(dir.resolve("same-names/alpha.png")).isNotEmptyFile();
        assertThat(dir.resolve("same-names/beta.png")).isNotEmptyFile();
    }

    @Test
    void labelsAreTheShortestTailThatIsUnique() {
        Path a = Path.of("/x/run-a/ckpt");
        Path b = Path.of("/x/run-b/ckpt");
        Path c = Path.of("/y/run-a/ckpt");
        Path d = Path.of("/x/other");
        assertThat(Recipes.labels(List.of(a, b, c, d)).values()).containsExactly("x/run-a/ckpt", "run-b/ckpt", "y/run-a/ckpt", "other");
        assertThat(Recipes.labels(List.of(d, Path.of("/z/sft+/x/lora"), Path.of("/w/sft+/x/lora"))).values())
                .containsExactly("other", "z/sft+x/lora", "w/sft+x/lora");
    }

    @Test
    void aSkippedStageIsToldAsItHappens() throws Exception {
        List<String> told = new ArrayList<>();
        Evaluator ev = new Evaluator() {
            @Override
            public String describe() {
                return "one fails";
            }

            @Override
            public Score evaluate(Path model, Request req) throws EvaluationException {
                if (model.endsWith("sft-2")) {
                    throw new EvaluationException("no", "");
                }
                return new Score(1, java.util.Map.of());
            }
        };
        SearchOutcome o = exme(m("base"), List.of(m("sft-1"), m("sft-2")), null).run(options(dir.resolve("skip"), ev), new SearchListener() {
            @Override
            public void note(String message) {
                told.add(message);
            }
        });
        assertThat(o.notes()).anyMatch(n -> n.contains("merging stage is skipped"));
        assertThat(told).anyMatch(n -> n.contains("merging stage is skipped"));
    }

    @Test
    void m3ParametersAreCheckedByTheRecipeReaderBeforeAnyWork() throws Exception {
        for (String[] p : List.of(new String[] {"bogus", "1"}, new String[] {"density", "-1"}, new String[] {"lambda", "1e400"},
                new String[] {"consensus", "nonsense"})) {
            Recording ev = new Recording();
            Path w = dir.resolve("m3-" + p[0]);
            M3Search s = new M3Search(List.of(m("sft-1"), m("sft-2")), m("base"), "ties", 0.5, 2, 0, List.<String[]>of(p));
            assertThatThrownBy(() -> s.run(options(w, ev), SearchListener.NONE)).as(p[0]).isInstanceOf(ConfigException.class)
                    .hasMessageContaining(p[0]);
            assertThat(ev.scored).isEmpty();
            assertThat(w).doesNotExist();
        }
        M3Search linear = new M3Search(List.of(m("sft-1"), m("sft-2")), null, "linear", 0.5, 2, 0, List.<String[]>of(new String[] {"density", "0.5"}));
        assertThatThrownBy(() -> linear.run(options(dir.resolve("m3-linear"), new Recording()), SearchListener.NONE))
                .isInstanceOf(ConfigException.class).hasMessageContaining("density");
    }

    @Test
    void m3TakesChoiceParameters() throws Exception {
        Recording ev = new Recording();
        M3Search s = new M3Search(List.of(m("sft-1"), m("sft-2")), m("base"), "ties", 0.5, 1, 0,
                List.<String[]>of(new String[] {"consensus", "count"}, new String[] {"density", "0.5"}));
        SearchOutcome o = s.run(options(dir.resolve("m3-choice"), ev), SearchListener.NONE);
        assertThat(o.winner().candidate().recipe()).contains("consensus: \"count\"").contains("density: 0.5");
    }

    @Test
    void m3SeedsThatWouldWrapAreRefused() {
        List<Path> two = List.of(m("sft-1"), m("sft-2"));
        assertThatThrownBy(() -> new M3Search(two, m("base"), "ties", 0.5, 2, Long.MAX_VALUE, List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--seed");
        new M3Search(two, m("base"), "ties", 0.5, 1, Long.MAX_VALUE, List.of());
        new M3Search(two, m("base"), "ties", 0.5, 3, Long.MAX_VALUE - 2, List.of());
    }

    @Test
    void aDirectoryWhoseNameHoldsAPlusIsRefusedSayingWhy() throws Exception {
        Path plus = dir.resolve("models/sft+v2");
        copy(m("sft-1"), plus);
        assertThatThrownBy(() -> Recipes.named(plus)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'+'").hasMessageContaining("model+adapter").hasMessageContaining("rename");
    }

    @Test
    void anEvalTimeoutTooLongToTimeIsRefused() {
        MergeOptions m = MergeOptions.defaults();
        assertThatThrownBy(() -> new SearchOptions(dir, new Recording(), 1, false, false, java.time.Duration.ofHours(2562048), m))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--eval-timeout");
        assertThatThrownBy(() -> new SearchOptions(dir, new Recording(), 1, false, false, java.time.Duration.ofSeconds(-1), m))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
