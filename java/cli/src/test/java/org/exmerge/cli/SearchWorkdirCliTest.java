package org.exmerge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.exmerge.testing.Cli;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code search --workdir}: what may be a working directory, its lock, and evaluators that treat {model} as scratch. */
class SearchWorkdirCliTest {
    @TempDir
    static Path dir;
    static Path models;

    @BeforeAll
    static void synth() {
        models = dir.resolve("models");
        Cli.Result r = Cli.run("synth", models.toString(), "--size", "1MB", "--finetunes", "2", "--threads", "2", "--target", "--no-sync");
        assertThat(r.exit()).as(r.err()).isZero();
    }

    static String[] search(String workdir, String evaluator) {
        return new String[] {"search", "exme", "--base", models.resolve("base").toString(), "--checkpoints",
                models.resolve("sft-1").toString(), models.resolve("sft-2").toString(), "--alphas", "0.1", "--betas", "0.5",
                "--threads", "2", "--evaluator", evaluator, "--workdir", workdir};
    }

    static String reference() {
        return "reference:" + models.resolve("target");
    }

    @Test
    void aWorkdirNoSearchMadeIsRefusedWithExit2AndLeftAlone() throws Exception {
        Path proj = dir.resolve("proj");
        Files.createDirectories(proj.resolve("candidates/sub"));
        Files.writeString(proj.resolve("report.md"), "USER DATA");
        Files.writeString(proj.resolve("candidates/sub/deep.txt"), "USER DATA");
        Cli.Result r = Cli.run(search(proj.toString(), reference()));
        assertThat(r.exit()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).contains("is not a search's working directory");
        assertThat(proj.resolve("report.md")).hasContent("USER DATA");
        assertThat(proj.resolve("candidates/sub/deep.txt")).hasContent("USER DATA");

        Path base = models.resolve("base");
        List<String> files;
        try (var s = Files.list(base)) {
            files = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        r = Cli.run(search(base.toString(), reference()));
        assertThat(r.exit()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).contains("is an input of this run");
        try (var s = Files.list(base)) {
            assertThat(s.map(p -> p.getFileName().toString()).sorted().toList()).isEqualTo(files);
        }

        r = Cli.run(search("", reference()));
        assertThat(r.exit()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).contains("--workdir is empty");
    }

    @Test
    void aSettingsFileThatIsNotJsonIsNamedInOneLine() throws Exception {
        Path w = Files.createDirectories(dir.resolve("torn"));
        Files.writeString(w.resolve("search.json"), "USER DATA");
        Cli.Result r = Cli.run(search(w.toString(), reference()));
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip().lines()).singleElement().asString()
                .startsWith("exmerge: error: " + w.resolve("search.json") + ": is not a search's settings (not JSON)");
    }

    @Test
    void aSecondSearchOnALiveSearchsWorkdirIsRefusedWithExit4() throws Exception {
        Path w = dir.resolve("shared");
        Process first = Cli.child(List.of("-Xmx256m"), search(w.toString(), "command:sleep 0.5; echo '{\"score\": 1}'"))
                .redirectErrorStream(true).redirectOutput(dir.resolve("first.log").toFile()).start();
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!Files.exists(w.resolve("search.json")) && first.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        Cli.Result second = Cli.run(search(w.toString(), "command:sleep 0.5; echo '{\"score\": 1}'"));
        assertThat(first.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(first.exitValue()).as(Files.readString(dir.resolve("first.log"))).isZero();
        assertThat(second.exit()).as(second.err()).isEqualTo(4);
        assertThat(second.err()).isEqualTo("exmerge: error: " + w + ": another search (pid " + first.pid()
                + ") is using this working directory; wait for it to end or choose another --workdir\n");
        assertThat(Files.readAllLines(w.resolve("results.jsonl"))).as("scored once").hasSize(2 + 2 + 1);

        Cli.Result after = Cli.run(search(w.toString(), "command:sleep 0.5; echo '{\"score\": 1}'"));
        assertThat(after.exit()).as("the lock of a search that ended is taken over: " + after.err()).isZero();
    }

    @Test
    void anEvaluatorThatRemovesOrRewritesItsModelLeavesTheInputsAlone() throws Exception {
        List<byte[]> before = new ArrayList<>();
        for (String m : List.of("base", "sft-1", "sft-2")) {
            before.add(Files.readAllBytes(models.resolve(m).resolve("tokenizer_config.json")));
        }
        String eval = "command:echo '{\"saved_by\": \"eval\"}' > {model}/tokenizer_config.json; rm -rf {model}; echo '{\"score\": 1}'";
        Cli.Result r = Cli.run(search(dir.resolve("scratch").toString(), eval));
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).doesNotContain("FAILED");
        for (int i = 0; i < 3; i++) {
            Path m = models.resolve(List.of("base", "sft-1", "sft-2").get(i));
            assertThat(m.resolve("model.safetensors")).isRegularFile();
            assertThat(Files.readAllBytes(m.resolve("tokenizer_config.json"))).isEqualTo(before.get(i));
        }
    }
}
