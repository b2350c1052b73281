package org.exmerge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.TensorInfo;
import org.exmerge.testing.Cli;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SearchCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path dir;
    static Path models;

    @BeforeAll
    static void synth() {
        models = dir.resolve("models");
        Cli.Result r = Cli.run("synth", models.toString(), "--size", "1MB", "--finetunes", "3", "--threads", "2", "--target", "--no-sync");
        assertThat(r.exit()).as(r.err()).isZero();
    }

    static String m(String name) {
        return models.resolve(name).toString();
    }

    static List<JsonNode> lines(String text) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String l : text.split("\n")) {
            if (l.startsWith("{")) {
                out.add(JSON.readTree(l));
            }
        }
        return out;
    }

    static List<JsonNode> results(Path work) throws Exception {
        return lines(Files.readString(work.resolve("results.jsonl")));
    }

    /** The same files with the same bytes, but for the model card, whose title is the directory's own name. */
    static void assertSameFiles(Path a, Path b) throws Exception {
        try (Stream<Path> s = Files.list(a)) {
            for (Path f : s.toList()) {
                if (f.getFileName().toString().equals("README.md")) {
                    assertThat(Files.readString(f).replace("# " + a.getFileName() + "\n", ""))
                            .isEqualTo(Files.readString(b.resolve("README.md")).replace("# " + b.getFileName() + "\n", ""));
                } else {
                    assertThat(Files.mismatch(f, b.resolve(f.getFileName()))).as(f.getFileName().toString()).isEqualTo(-1L);
                }
            }
        }
    }

    static Path script(String name, String body) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    @Test
    void exmeSearchWritesTheWinnerThatMergeRebuildsBitForBit() throws Exception {
        Path work = dir.resolve("exme");
        Cli.Result r = Cli.run("search", "exme", "--base", m("base"), "--checkpoints", m("sft-1"), m("sft-2"),
                "--evaluator", "reference:" + m("target"), "--workdir", work.toString(), "--json", "--threads", "2");
        assertThat(r.exit()).as(r.err()).isZero();
        List<JsonNode> events = lines(r.out());
        assertThat(events.stream().filter(e -> e.get("event").asText().equals("candidate"))).hasSize(2 + 10 + 9)
                .allMatch(e -> e.has("score") && e.has("hash") && e.has("params") && e.has("seconds"));
        JsonNode done = events.getLast();
        assertThat(done.get("event").asText()).isEqualTo("search_done");
        assertThat(done.get("chosen").get("beta").asDouble()).isEqualTo(0.6);
        assertThat(done.get("recipe").asText()).contains("merge_method: exme").contains("beta: 0.6");
        assertThat(work.resolve("report.md")).content().contains("| **ExMe** | β = 0.6 |").contains("alpha.png");
        assertThat(work.resolve("alpha.png")).isNotEmptyFile();
        assertThat(work.resolve("beta.png")).isNotEmptyFile();

        Path again = dir.resolve("rebuilt");
        Cli.Result m = Cli.run("merge", work.resolve("best.yaml").toString(), again.toString(), "--threads", "1");
        assertThat(m.exit()).as(m.err()).isZero();
        assertSameFiles(work.resolve("best"), again);
        try (Checkpoint c = Checkpoint.open(work.resolve("best"))) {
            assertThat(c.metadata().values()).anyMatch(v -> v.contains("beta: 0.6"));
        }
        try (Stream<Path> s = Files.list(work.resolve("candidates"))) {
            assertThat(s.toList()).isEmpty();
        }

        // same command again: everything comes from the log
        Cli.Result again2 = Cli.run("search", "exme", "--base", m("base"), "--checkpoints", m("sft-1"), m("sft-2"),
                "--evaluator", "reference:" + m("target"), "--workdir", work.toString(), "--json");
        assertThat(again2.exit()).as(again2.err()).isZero();
        assertThat(lines(again2.out()).stream().filter(e -> e.get("event").asText().equals("candidate")))
                .allMatch(e -> e.get("resumed").asBoolean());
        assertThat(results(work)).hasSize(21);

        // another evaluator: refused with exit 2, saying what differs
        Cli.Result other = Cli.run("search", "exme", "--base", m("base"), "--checkpoints", m("sft-1"), m("sft-2"),
                "--evaluator", "command:echo '{\"score\": 1}'", "--workdir", work.toString());
        assertThat(other.exit()).isEqualTo(2);
        assertThat(other.err()).contains("evaluator was").contains("--rescore");
    }

    @Test
    void theTokenizerSourceReachesEveryCandidate() throws Exception {
        Path work = dir.resolve("m3-tokenizer");
        Cli.Result r = Cli.run("search", "m3", "--models", m("sft-1"), m("sft-2"), "--base", m("base"), "--samples", "2",
                "--evaluator", "reference:" + m("target"), "--workdir", work.toString(), "--tokenizer-source", "union");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(work.resolve("best.yaml")).content().endsWith("tokenizer_source: union\n");
        assertThat(work.resolve("search.json")).content().contains("\"tokenizer_source\"");
    }

    @Test
    void aFailingEvaluatorIsRecordedAndTheSearchGoesOn() throws Exception {
        Path work = dir.resolve("failing");
        // the 4th evaluation fails; the others score their call number (later is better)
        Path eval = script("count.sh", """
                n=$(cat "$2/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$2/count"
                if [ $n -eq 4 ]; then echo "boom on call $n" >&2; exit 3; fi
                echo "progress noise"
                echo "{\\"score\\": $n, \\"tasks\\": {\\"calls\\": $n}}"
                """);
        Cli.Result r = Cli.run("search", "exme", "--base", m("base"), "--checkpoints", m("sft-1"), m("sft-2"),
                "--alphas", "0.1,0.2,0.3", "--betas", "0.4,0.6", "--evaluator", "command:" + eval + " {model} {workdir}",
                "--workdir", work.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains("FAILED: evaluator exited with status 3");
        List<JsonNode> rs = results(work);
        assertThat(rs).hasSize(2 + 6 + 2);
        JsonNode failed = rs.get(3);
        assertThat(failed.get("score").isNull()).isTrue();
        assertThat(failed.get("failure").asText()).contains("status 3");
        assertThat(failed.get("stderr_tail").asText()).contains("boom on call 4");
        assertThat(failed.get("evaluator").asText()).startsWith("command:");
        assertThat(work.resolve("report.md")).content().contains("## Failures").contains("boom on call 4");
        assertThat(r.out()).contains("merge_method: exme").contains("beta: 0.6");

        // resuming retries the failed candidate and never re-scores a scored one (the retried one now
        // scores best in its stage, so stage 3 gets new candidates)
        java.util.Set<String> scored = new java.util.HashSet<>();
        rs.stream().filter(n -> !n.get("score").isNull()).forEach(n -> scored.add(n.get("hash").asText()));
        Cli.Result again = Cli.run("search", "exme", "--base", m("base"), "--checkpoints", m("sft-1"), m("sft-2"),
                "--alphas", "0.1,0.2,0.3", "--betas", "0.4,0.6", "--evaluator", "command:" + eval + " {model} {workdir}",
                "--workdir", work.toString(), "--json");
        assertThat(again.exit()).as(again.err()).isZero();
        List<JsonNode> fresh = lines(again.out()).stream()
                .filter(e -> e.get("event").asText().equals("candidate") && !e.get("resumed").asBoolean()).toList();
        assertThat(fresh.getFirst().get("hash").asText()).isEqualTo(failed.get("hash").asText());
        assertThat(fresh).noneMatch(e -> scored.contains(e.get("hash").asText()));
    }

    @Test
    void aStageWhoseEveryCandidateFailsStopsWithAClearError() throws Exception {
        Path work = dir.resolve("allfail");
        Cli.Result r = Cli.run("search", "exme", "--base", m("base"), "--checkpoints", m("sft-1"), m("sft-2"),
                "--evaluator", "command:echo not json", "--workdir", work.toString());
        assertThat(r.exit()).isEqualTo(3);
        assertThat(r.err()).contains("every candidate of stage sft failed").contains("not JSON");
    }

    @Test
    void aTimedOutEvaluatorIsKilledAndRecorded() throws Exception {
        Path work = dir.resolve("timeout");
        long t0 = System.nanoTime();
        Cli.Result r = Cli.run("search", "exme", "--base", m("base"), "--checkpoints", m("sft-1"), m("sft-2"),
                "--alphas", "0.2", "--betas", "0.5", "--eval-timeout", "1s", "--evaluator",
                "command:case {model} in *sft-2) sleep 60;; esac; echo '{\"score\": 1}'", "--workdir", work.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat((System.nanoTime() - t0) / 1e9).isLessThan(30);
        assertThat(results(work).get(1).get("failure").asText()).contains("timed out after 1");
        // one checkpoint left: the winner is its best extrapolation
        assertThat(r.out()).contains("merge_method: expo");
        assertThat(work.resolve("report.md")).content().contains("merging stage is skipped");
    }

    @Test
    void lmEvalEvaluatorReadsTheHarnessResultsFile() throws Exception {
        Path fake = script("lm_eval", """
                out=""; while [ $# -gt 0 ]; do case "$1" in --output_path) out="$2"; shift;; --model_args) args="$2"; shift;; esac; shift; done
                n=$(ls "$(dirname "$out")" | wc -l)
                mkdir -p "$out/some__model"
                cat > "$out/some__model/results_2024-01-01T00-00-00.json" <<JSON
                {"results": {"arc_easy": {"alias": "arc_easy", "acc,none": 0.5, "acc_stderr,none": 0.01, "acc_norm,none": 0.9},
                             "hellaswag": {"alias": "hellaswag", "acc_norm,none": 0.7, "acc_norm_stderr,none": 0.02}},
                 "config": {"model_args": "$args"}}
                JSON
                """);
        Path work = dir.resolve("m3");
        Cli.Result r = Cli.run("search", "m3", "--models", m("sft-1"), m("sft-2"), "--base", m("base"), "--method", "ties",
                "--param", "density=0.5", "--alpha", "0.5", "--samples", "3", "--seed", "7",
                "--evaluator", "lm-eval:arc_easy,hellaswag", "--lm-eval-program", fake.toString(), "--workdir", work.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        List<JsonNode> rs = results(work);
        assertThat(rs).hasSize(3);
        for (JsonNode n : rs) {
            assertThat(n.get("score").asDouble()).isEqualTo(0.6); // (acc 0.5 + acc_norm 0.7) / 2
            assertThat(n.get("tasks").get("hellaswag").asDouble()).isEqualTo(0.7);
        }
        // ties → the first candidate wins; its recipe is explicit and rebuilds it
        assertThat(r.out()).contains("merge_method: ties").contains("seed: 7").contains("density: 0.5");
        assertThat(work.resolve("lambda.png")).isNotEmptyFile();
        Path again = dir.resolve("m3-rebuilt");
        assertThat(Cli.run("merge", work.resolve("best.yaml").toString(), again.toString()).exit()).isZero();
        assertSameFiles(work.resolve("best"), again);

        // the explicit recipe is the m3 method at seed S+k: same tensors
        double lambda = rs.getFirst().get("params").get("lambda").asDouble();
        Path m3 = dir.resolve("m3.yaml");
        Files.writeString(m3, "merge_method: m3\nbase_model: " + m("base") + "\nmodels:\n  - model: " + m("sft-1")
                + "\n  - model: " + m("sft-2") + "\nparameters:\n  base_method: ties\n  alpha: 0.5\n  density: 0.5\nseed: 7\n");
        Path viaM3 = dir.resolve("via-m3");
        assertThat(Cli.run("merge", m3.toString(), viaM3.toString()).exit()).isZero();
        try (Checkpoint a = Checkpoint.open(viaM3); Checkpoint b = Checkpoint.open(work.resolve("best"))) {
            assertThat(a.metadata().get("exmerge.m3.lambda")).isEqualTo(Double.toString(lambda));
            for (TensorInfo t : a.tensors()) {
                assertThat(a.data(t.name()).mismatch(b.data(t.name()))).as(t.name()).isEqualTo(-1L);
            }
        }
    }

    @Test
    void parallelEvaluationsKeepAtMostNCandidatesOnDiskAndAgreeWithSerial() throws Exception {
        // each evaluation fails if more than 2 entries (hidden temporaries included; a run's few-byte
        // lock file beside its temporary is not a candidate) are in candidates/
        String eval = "command:n=$(ls -A {workdir}/candidates | grep -v '[.]lock$' | wc -l); [ $n -le 2 ] || { echo too many: $n >&2; exit 9; }; "
                + "sleep 0.3; echo '{\"score\": '$(cat {model}/model.safetensors | cksum | cut -c1-6)'}'";
        List<String> common = List.of("search", "exme", "--base", m("base"), "--checkpoints", m("sft-1"), m("sft-2"), m("sft-3"),
                "--alphas", "0.1,0.3", "--betas", "0.3,0.7", "--evaluator", eval);
        List<String> par = new ArrayList<>(common);
        par.addAll(List.of("--workdir", dir.resolve("par").toString(), "--parallel", "2"));
        Cli.Result a = Cli.run(par.toArray(String[]::new));
        assertThat(a.exit()).as(a.err()).isZero();
        assertThat(a.err()).doesNotContain("FAILED");
        List<String> ser = new ArrayList<>(common);
        ser.addAll(List.of("--workdir", dir.resolve("ser").toString()));
        Cli.Result b = Cli.run(ser.toArray(String[]::new));
        assertThat(b.exit()).as(b.err()).isZero();
        java.util.Map<String, Double> pa = new java.util.TreeMap<>();
        results(dir.resolve("par")).forEach(n -> pa.put(n.get("hash").asText(), n.get("score").asDouble()));
        java.util.Map<String, Double> se = new java.util.TreeMap<>();
        results(dir.resolve("ser")).forEach(n -> se.put(n.get("hash").asText(), n.get("score").asDouble()));
        assertThat(pa).hasSize(3 + 4 + 2).isEqualTo(se);
        assertThat(Files.readString(dir.resolve("par").resolve("best.yaml"))).isEqualTo(Files.readString(dir.resolve("ser").resolve("best.yaml")));
    }

    @Test
    void ctrlCLosesOnlyTheCandidatesInFlightAndTheRerunResumes() throws Exception {
        String eval = "command:sleep 0.4; echo '{\"score\": '$(cat {model}/model.safetensors | cksum | cut -c1-6)'}'";
        List<String> common = List.of("search", "exme", "--base", m("base"), "--checkpoints", m("sft-1"), m("sft-2"),
                "--alphas", "0.1,0.3", "--betas", "0.3,0.7", "--evaluator", eval, "--threads", "1");
        List<String> once = new ArrayList<>(common);
        once.addAll(List.of("--workdir", dir.resolve("whole").toString()));
        Cli.Result a = Cli.run(once.toArray(String[]::new));
        assertThat(a.exit()).as(a.err()).isZero();

        Path work = dir.resolve("interrupted");
        List<String> args = new ArrayList<>(common);
        args.addAll(List.of("--workdir", work.toString()));
        Process p = Cli.child(List.of("-Xmx256m"), args.toArray(String[]::new)).redirectErrorStream(true)
                .redirectOutput(dir.resolve("child.log").toFile()).start();
        Path log = work.resolve("results.jsonl");
        long deadline = System.nanoTime() + 60_000_000_000L;
        while ((!Files.exists(log) || Files.readAllLines(log).size() < 3) && System.nanoTime() < deadline && p.isAlive()) {
            Thread.sleep(50);
        }
        p.destroy(); // SIGTERM, as Ctrl-C: the shutdown hook cancels and waits for the clean-up
        assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        int done = results(work).size();
        assertThat(done).as(Files.readString(dir.resolve("child.log"))).isBetween(3, 7);
        assertThat(work.resolve("best")).doesNotExist();
        try (Stream<Path> s = Files.list(work.resolve("candidates"))) {
            assertThat(s.toList()).as("nothing half-written or unscored is left").isEmpty();
        }

        Cli.Result b = Cli.run(args.toArray(String[]::new));
        assertThat(b.exit()).as(b.err()).isZero();
        assertThat(b.err()).doesNotContain("FAILED");
        assertThat(b.err().split(", earlier run\\)", -1)).as(b.err()).hasSize(done + 1);
        java.util.Map<String, Double> x = new java.util.TreeMap<>();
        results(dir.resolve("whole")).forEach(n -> x.put(n.get("hash").asText(), n.get("score").asDouble()));
        java.util.Map<String, Double> y = new java.util.TreeMap<>();
        results(work).forEach(n -> assertThat(y.put(n.get("hash").asText(), n.get("score").asDouble())).isNull());
        assertThat(y).isEqualTo(x);
        assertSameFiles(dir.resolve("whole").resolve("best"), work.resolve("best"));
    }

    @Test
    void noSyncMergeWritesTheSameBytes() throws Exception {
        Path durable = dir.resolve("durable");
        Path scratch = dir.resolve("scratch");
        assertThat(Cli.run("exme", "--base", m("base"), "--sft", m("sft-1"), "--alpha", "0.3", durable.toString()).exit()).isZero();
        assertThat(Cli.run("exme", "--base", m("base"), "--sft", m("sft-1"), "--alpha", "0.3", "--no-sync", scratch.toString()).exit())
                .isZero();
        assertSameFiles(durable, scratch);
        assertThat(Cli.run("merge", "--help").out()).contains("--no-sync").contains("power cut").contains("incomplete or corrupted");
    }

    @Test
    void tiesGoToTheEarlierCandidateAndKeptCandidatesCopyTheirTokenizerFiles() throws Exception {
        Path work = dir.resolve("ties");
        Cli.Result r = Cli.run("search", "exme", "--base", m("base"), "--checkpoints", m("sft-3"), m("sft-1"), m("sft-2"),
                "--alphas", "0.4,0.2", "--betas", "0.7,0.3", "--evaluator", "command:echo '{\"score\": 1}'", "--keep",
                "--workdir", work.toString(), "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode chosen = lines(r.out()).getLast().get("chosen");
        assertThat(chosen.get("expo_1_checkpoint").asText()).isEqualTo(m("sft-3"));
        assertThat(chosen.get("expo_2_checkpoint").asText()).isEqualTo(m("sft-1"));
        assertThat(chosen.get("alpha_1").asDouble()).isEqualTo(0.4);
        assertThat(chosen.get("beta").asDouble()).isEqualTo(0.7);
        try (Stream<Path> s = Files.list(work.resolve("candidates"))) {
            List<Path> kept = s.toList();
            List<Path> merged = kept.stream().filter(c -> !c.getFileName().toString().startsWith("sft-")).toList();
            assertThat(merged).hasSize(2 * 2 + 2);
            for (Path c : merged) {
                assertThat(c.resolve("model.safetensors")).isRegularFile();
                // an evaluator writing the tokenizer into its candidate must not write through a link into an input
                assertThat(Files.isSymbolicLink(c.resolve("tokenizer.json"))).isFalse();
                assertThat(Files.mismatch(c.resolve("tokenizer.json"), models.resolve("base").resolve("tokenizer.json"))).isEqualTo(-1L);
            }
        }
        assertThat(Files.isSymbolicLink(work.resolve("best").resolve("tokenizer.json"))).as("best/ is self-contained").isFalse();
    }
}
