package org.exmerge.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.exmerge.engine.CancelToken;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SearchEvaluatorsTest {
    @TempDir
    Path dir;

    Evaluator.Request request(String name, int slot, Duration timeout) {
        return new Evaluator.Request(dir.resolve(name + ".json"), dir, slot, timeout, dir.resolve("logs").resolve(name),
                new CancelToken());
    }

    @Test
    void scoreObjectIsParsedStrictly() {
        Score s = CommandEvaluator.parse("{\"score\": 71.33, \"tasks\": {\"gsm8k\": 60.8, \"humaneval\": 67.68}}");
        assertThat(s.score()).isEqualTo(71.33);
        assertThat(s.tasks()).containsExactly(java.util.Map.entry("gsm8k", 60.8), java.util.Map.entry("humaneval", 67.68));
        assertThat(CommandEvaluator.parse("{\"score\": -2}").tasks()).isEmpty();
        for (String bad : List.of("", "71.3", "[1]", "{\"tasks\": {}}", "{\"score\": \"7\"}", "{\"score\": 1, \"tasks\": {\"a\": \"x\"}}",
                "{\"score\": 1, \"tasks\": [1]}", "{\"score\": 1")) {
            assertThatThrownBy(() -> CommandEvaluator.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void anythingBesidesOneScoreObjectIsRefused() {
        for (String bad : List.of("{\"score\": 5} trailing", "{\"score\": 5}{\"score\": 6}", "{\"score\": 5, \"score\": 6}",
                "{\"score\": 5, \"tasks\": {\"a\": 1e999}}", "{\"score\": 5, \"tasks\": {\"a\": -1e999}}", "{\"score\": 1e999}")) {
            assertThatThrownBy(() -> CommandEvaluator.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        }
        assertThat(CommandEvaluator.parse("{\"score\": 5}  \n").score()).isEqualTo(5);
        assertThatThrownBy(() -> CommandEvaluator.parse("{\"score\": 5} {}")).hasMessageStartingWith("evaluator output is more than one JSON value");
        assertThatThrownBy(() -> CommandEvaluator.parse("{\"score\": 5, \"score\": 6}")).hasMessageContaining("a key given twice");
    }

    @Test
    void placeholdersAreShellQuotedAndTheLastStdoutLineIsTheScore() throws Exception {
        Path model = dir.resolve("a model's dir; rm -rf $HOME");
        Files.createDirectories(model);
        CommandEvaluator ev = new CommandEvaluator(
                "echo log line; test -d {model} || exit 7; echo \"{\\\"score\\\": {slot}, \\\"tasks\\\": {\\\"n\\\": $(basename {model} | wc -c)}}\"");
        Score s = ev.evaluate(model, request("q", 3, null));
        assertThat(s.score()).isEqualTo(3);
        assertThat(s.tasks().get("n")).isEqualTo(model.getFileName().toString().length() + 1.0);
        assertThat(dir.resolve("logs").resolve("q.stdout")).content().startsWith("log line");
    }

    @Test
    void outFileIsReadWhenTheTemplateNamesIt() throws Exception {
        CommandEvaluator ev = new CommandEvaluator("echo noise; echo '{\"score\": 0.5}' > {out}");
        assertThat(ev.evaluate(dir, request("o", 0, null)).score()).isEqualTo(0.5);
        CommandEvaluator none = new CommandEvaluator("echo '{\"score\": 0.5}'; true {out}");
        assertThatThrownBy(() -> none.evaluate(dir, request("p", 0, null))).isInstanceOf(EvaluationException.class)
                .hasMessageContaining("wrote no");
    }

    @Test
    void failuresCarryTheStderrTail() {
        CommandEvaluator ev = new CommandEvaluator("echo 'CUDA out of memory' >&2; exit 1");
        assertThatThrownBy(() -> ev.evaluate(dir, request("f", 0, null))).isInstanceOfSatisfying(EvaluationException.class,
                e -> {
                    assertThat(e.getMessage()).contains("status 1");
                    assertThat(e.stderrTail()).isEqualTo("CUDA out of memory");
                });
    }

    @Test
    void aTimeoutKillsTheWholeTree() throws Exception {
        Path pidFile = dir.resolve("child.pid");
        CommandEvaluator ev = new CommandEvaluator("sleep 60 & echo $! > " + pidFile + "; wait");
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> ev.evaluate(dir, request("t", 0, Duration.ofMillis(700))))
                .isInstanceOf(EvaluationException.class).hasMessageContaining("timed out");
        assertThat((System.nanoTime() - t0) / 1e9).isLessThan(10);
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        Thread.sleep(200);
        assertThat(running(pid)).as("the background child").isFalse();
    }

    @Test
    void aTimeoutAlsoKillsWhatTheEvaluatorLeftToInit() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Processes.onPath("setsid") != null, "needs setsid(1)");
        Path pidFile = dir.resolve("orphan.pid");
        // the subshell exits at once: its sleep is reparented to init, out of the evaluator's tree
        CommandEvaluator ev = new CommandEvaluator("(sleep 60 & echo $! > " + pidFile + "); sleep 60");
        assertThatThrownBy(() -> ev.evaluate(dir, request("orphan", 0, Duration.ofMillis(700))))
                .isInstanceOf(EvaluationException.class).hasMessageContaining("timed out");
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        Thread.sleep(200);
        assertThat(running(pid)).as("the orphaned background child").isFalse();
    }

    /** Alive and not a zombie (a container's init may never reap the killed orphan). */
    static boolean running(long pid) throws Exception {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        if (!Files.exists(stat)) {
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        }
        String s;
        try {
            s = Files.readString(stat);
        } catch (java.io.IOException gone) {
            return false;
        }
        char state = s.charAt(s.lastIndexOf(')') + 2);
        return state != 'Z' && state != 'X';
    }

    @Test
    void lmEvalResultsPickAccThenAccNormThenTheFirstNonStderrNumber() throws Exception {
        String json = """
                {"results": {
                  "arc_easy": {"alias": "arc_easy", "acc,none": 0.75, "acc_stderr,none": 0.01, "acc_norm,none": 0.8},
                  "hellaswag": {"alias": "hellaswag", "acc_norm,none": 0.5, "acc_norm_stderr,none": 0.02},
                  "gsm8k": {"alias": "gsm8k", "exact_match_stderr,strict-match": 0.01, "exact_match,strict-match": 0.25}},
                 "versions": {}, "n-shot": {}}
                """;
        Score s = LmEvalEvaluator.read(json, List.of("arc_easy", "hellaswag", "gsm8k"), null);
        assertThat(s.tasks()).containsEntry("arc_easy", 0.75).containsEntry("hellaswag", 0.5).containsEntry("gsm8k", 0.25);
        assertThat(s.score()).isEqualTo(0.5);
        assertThat(LmEvalEvaluator.read(json, List.of("arc_easy"), "acc_norm").score()).isEqualTo(0.8);
        // a group name the file does not list: every task in it counts
        assertThat(LmEvalEvaluator.read(json, List.of("my_group"), null).tasks()).hasSize(3);
        assertThatThrownBy(() -> LmEvalEvaluator.read(json, List.of("gsm8k"), "acc")).hasMessageContaining("no numeric metric acc");
        assertThatThrownBy(() -> LmEvalEvaluator.read("{}", List.of("x"), null)).hasMessageContaining("results");
    }

    @Test
    void lmEvalFailsWhenARequestedTaskIsMissing() {
        String json = "{\"results\": {\"gsm8k\": {\"acc,none\": 0.5}}}";
        assertThatThrownBy(() -> LmEvalEvaluator.read(json, List.of("gsm8k", "mmlu"), null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no results for the requested task mmlu");
    }

    @Test
    void lmEvalReadsPythonsNaNAndRefusesOnlyAUsedOne() throws Exception {
        String json = "{\"results\": {\"gsm8k\": {\"acc,none\": 0.5, \"acc_stderr,none\": NaN}, \"arc\": {\"acc,none\": Infinity}}}";
        assertThat(LmEvalEvaluator.read(json, List.of("gsm8k"), null).score()).isEqualTo(0.5);
        assertThatThrownBy(() -> LmEvalEvaluator.read(json, List.of("gsm8k", "arc"), null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("arc").hasMessageContaining("not a finite score");
        String nan = "{\"results\": {\"gsm8k\": {\"acc,none\": NaN, \"acc_norm,none\": 0.5}}}";
        assertThatThrownBy(() -> LmEvalEvaluator.read(nan, List.of("gsm8k"), null)).hasMessageContaining("acc,none is NaN");
    }

    @Test
    void lmEvalErrorsAreOneLine() throws Exception {
        Path fake = dir.resolve("fake_lm_eval");
        Files.writeString(fake, "#!/bin/sh\nout=\"\"; while [ $# -gt 0 ]; do case \"$1\" in --output_path) out=$2; shift;; esac; shift; done\n"
                + "mkdir -p \"$out\"; echo '{\"results\": {\"gsm8k\": {\"acc,none\": 0.5,}}}' > \"$out/results_1.json\"\n");
        fake.toFile().setExecutable(true);
        LmEvalEvaluator ev = new LmEvalEvaluator("gsm8k", fake.toString(), null);
        assertThatThrownBy(() -> ev.evaluate(dir, request("lm", 0, null))).isInstanceOf(EvaluationException.class)
                .satisfies(e -> assertThat(e.getMessage()).contains("not JSON").doesNotContain("\n"));
    }

    @Test
    void evaluatorSpecsParse() {
        assertThat(Evaluators.parse("command:./e.sh {model}", Evaluators.Settings.defaults()).describe()).isEqualTo("command:./e.sh {model}");
        assertThat(Evaluators.parse("lm-eval:gsm8k", new Evaluators.Settings("srun lm_eval", "exact_match", null)).describe())
                .isEqualTo("lm-eval:gsm8k program=srun lm_eval metric=exact_match");
        assertThat(Evaluators.parse("reference:t", Evaluators.Settings.defaults())).isInstanceOf(ReferenceEvaluator.class);
        assertThatThrownBy(() -> Evaluators.parse("eval.sh", Evaluators.Settings.defaults())).hasMessageContaining("KIND:ARG");
        assertThatThrownBy(() -> Evaluators.parse("magic:x", Evaluators.Settings.defaults())).hasMessageContaining("unknown evaluator");
    }
}
