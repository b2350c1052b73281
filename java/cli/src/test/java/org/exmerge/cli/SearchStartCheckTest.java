package org.exmerge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.exmerge.testing.Cli;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A search's start-up: models, parameters and options are checked before any candidate is merged or
 * scored, each refusal one line with the exit code of its kind; a working directory whose path holds
 * a '+' works.
 */
class SearchStartCheckTest {
    @TempDir
    static Path dir;
    static Path models;

    @BeforeAll
    static void synth() {
        models = dir.resolve("m");
        Cli.Result r = Cli.run("synth", models.toString(), "--size", "1MB", "--finetunes", "2", "--threads", "2", "--target", "--no-sync");
        assertThat(r.exit()).as(r.err()).isZero();
    }

    static String m(String name) {
        return models.resolve(name).toString();
    }

    static Cli.Result search(String... args) {
        List<String> all = new ArrayList<>(List.of("search"));
        all.addAll(List.of(args));
        all.addAll(List.of("--threads", "2"));
        return Cli.run(all.toArray(String[]::new));
    }

    /** The exit code, one stderr line containing {@code says}, and no working directory left behind. */
    static void refused(Cli.Result r, int exit, Path work, String says) {
        assertThat(r.exit()).as(r.err()).isEqualTo(exit);
        assertThat(r.err().strip().lines()).as(r.err()).hasSize(1);
        assertThat(r.err()).contains(says);
        assertThat(work).as("nothing was started").doesNotExist();
    }

    @Test
    void aSearchRunsInAWorkingDirectoryWhosePathHoldsAPlus() throws Exception {
        Path cwd = dir.resolve("c++"); // like ~/c++/…
        Cli.Result synth = Cli.run("synth", cwd.resolve("m").toString(), "--size", "1MB", "--threads", "2", "--target", "--no-sync");
        assertThat(synth.exit()).as(synth.err()).isZero();
        for (List<String> args : List.of(
                List.of("exme", "--base", "m/base", "--checkpoints", "m/sft-1", "m/sft-2", "--alphas", "0.1", "--betas", "0.5",
                        "--evaluator", "reference:m/target", "--workdir", "w"),
                List.of("m3", "--base", "m/base", "--models", "m/sft-1", "m/sft-2", "--samples", "1", "--evaluator", "reference:m/target",
                        "--workdir", "w3"))) {
            List<String> all = new ArrayList<>(List.of("search"));
            all.addAll(args);
            Process p = Cli.child(List.of(), all.toArray(String[]::new)).directory(cwd.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("child.log").toFile()).start();
            assertThat(p.waitFor()).as(Files.readString(dir.resolve("child.log"))).isZero();
        }
        // the recipes name the models from the working directory: a recipe reads '+' as model+adapter
        assertThat(cwd.resolve("w/best.yaml")).content().contains("base_model: \"m/base\"").doesNotContain("c++");
        Process p = Cli.child(List.of(), "merge", "w/best.yaml", "again").directory(cwd.toFile()).start();
        assertThat(p.waitFor()).isZero();
    }

    @Test
    void aModelDirectoryWhoseNameHoldsAPlusIsRefusedSayingWhy() throws Exception {
        Path plus = dir.resolve("sft+v2");
        Files.createDirectories(plus);
        Files.copy(models.resolve("sft-1/model.safetensors"), plus.resolve("model.safetensors"));
        Path work = dir.resolve("plus");
        refused(search("exme", "--base", m("base"), "--checkpoints", m("sft-1"), plus.toString(), "--evaluator",
                "reference:" + m("target"), "--workdir", work.toString()), 2, work, "means model+adapter");
    }

    @Test
    void modelsAreCheckedBeforeAnyWork() {
        Path work = dir.resolve("checked");
        String target = "reference:" + m("target");
        refused(search("exme", "--base", m("base"), "--checkpoints", m("sft-1"), m("sft-2x"), "--evaluator", target,
                "--workdir", work.toString()), 3, work, "sft-2x");
        refused(search("exme", "--base", m("base"), "--checkpoints", m("sft-1"), m("sft-2x"), "--evaluator", "command:echo '{\"score\": 1}'",
                "--workdir", work.toString()), 3, work, "sft-2x");
        refused(search("exme", "--base", m("basex"), "--checkpoints", m("sft-1"), m("sft-2"), "--evaluator", target,
                "--workdir", work.toString()), 3, work, "basex");
        refused(search("exme", "--base", m("base"), "--checkpoints", m("sft-1"), m("base"), "--evaluator", target,
                "--workdir", work.toString()), 2, work, "is the base model");
        refused(search("exme", "--base", m("base"), "--checkpoints", m("sft-1"), m("sft-2"), "--evaluator", target,
                "--tokenizer-source", "bogus", "--workdir", work.toString()), 3, work, "bogus");
        refused(search("m3", "--base", m("base"), "--models", m("sft-1"), m("sft-2x"), "--samples", "2", "--evaluator", target,
                "--workdir", work.toString()), 3, work, "sft-2x");
    }

    @Test
    void anInputThatVanishesMidSearchIsAnInputError() throws Exception {
        Path victim = dir.resolve("victim");
        Files.createDirectories(victim);
        try (var s = Files.list(models.resolve("sft-1"))) {
            for (Path f : s.toList()) {
                Files.copy(f, victim.resolve(f.getFileName()));
            }
        }
        Cli.Result r = search("exme", "--base", m("base"), "--checkpoints", victim.toString(), m("sft-2"), "--alphas", "0.1",
                "--betas", "0.5", "--workdir", dir.resolve("vanish").toString(),
                "--evaluator", "command:case {model} in *victim*) rm -rf " + victim + ";; esac; echo '{\"score\": 1}'");
        // {model} is stage sft's scratch copy (named as the checkpoint): the evaluator removes the checkpoint itself
        assertThat(r.exit()).as(r.err()).isEqualTo(3);
        assertThat(r.err()).contains("an input changed during the search").contains(victim.toString()).doesNotContain("\tat ");
    }

    @Test
    void m3ParametersAreTheRecipeReadersToCheck() {
        Path work = dir.resolve("m3p");
        for (String p : List.of("bogus=1", "density=-1", "lambda=1e400", "consensus=nonsense")) {
            refused(search("m3", "--models", m("sft-1"), m("sft-2"), "--base", m("base"), "--evaluator", "reference:" + m("target"),
                    "--workdir", work.toString(), "--samples", "2", "--method", "ties", "--param", p), 2, work, p.substring(0, p.indexOf('=')));
        }
        refused(search("m3", "--models", m("sft-1"), m("sft-2"), "--evaluator", "reference:" + m("target"), "--workdir", work.toString(),
                "--samples", "2", "--method", "linear", "--param", "density=0.5"), 2, work, "density");
        refused(search("m3", "--models", m("sft-1"), m("sft-2"), "--base", m("base"), "--evaluator", "reference:" + m("target"),
                "--workdir", work.toString(), "--samples", "2", "--seed", "9223372036854775807"), 2, work, "--seed");
        for (String p : List.of("consensus=count", "rescale_norm=l2")) {
            Cli.Result ok = search("m3", "--models", m("sft-1"), m("sft-2"), "--base", m("base"), "--evaluator", "reference:" + m("target"),
                    "--workdir", dir.resolve("m3-" + p).toString(), "--samples", "1", "--method", "ties", "--param", p);
            assertThat(ok.exit()).as(p + ": " + ok.err()).isZero();
            assertThat(ok.out()).contains(p.replace("=", ": \"") + "\"");
        }
    }

    @Test
    void anEvalTimeoutTooLongToTimeIsAUsageError() {
        for (String t : List.of("2562048h", "PT2562048H", "PT-5S")) {
            Path work = dir.resolve("timeout");
            Cli.Result r = search("exme", "--base", m("base"), "--checkpoints", m("sft-1"), m("sft-2"), "--evaluator",
                    "command:echo '{\"score\": 1}'", "--eval-timeout", t, "--workdir", work.toString());
            assertThat(r.exit()).as(r.err()).isEqualTo(2);
            assertThat(r.err().lines().findFirst().orElseThrow()).contains("--eval-timeout").contains(t); // then the usage
            assertThat(work).doesNotExist();
        }
    }

    @Test
    void aSkippedStageIsANoticeAndAStderrLine() throws Exception {
        String failSecond = "command:case {model} in */sft-2) exit 4;; esac; echo '{\"score\": 1}'";
        Cli.Result json = search("exme", "--base", m("base"), "--checkpoints", m("sft-1"), m("sft-2"), "--alphas", "0.1", "--betas", "0.5",
                "--evaluator", failSecond, "--workdir", dir.resolve("skip-json").toString(), "--json");
        assertThat(json.exit()).as(json.err()).isZero();
        List<JsonNode> notices = SearchCommandTest.lines(json.out()).stream().filter(e -> e.get("event").asText().equals("notice")).toList();
        assertThat(notices).anyMatch(e -> e.get("message").asText().contains("merging stage is skipped"));
        Cli.Result text = search("exme", "--base", m("base"), "--checkpoints", m("sft-1"), m("sft-2"), "--alphas", "0.1", "--betas", "0.5",
                "--evaluator", failSecond, "--workdir", dir.resolve("skip-text").toString());
        assertThat(text.exit()).as(text.err()).isZero();
        assertThat(text.err()).contains("search: only 1 checkpoint scored; ExMe's merging stage is skipped")
                .contains("search: stage expo, 1 candidate\n");
    }
}
