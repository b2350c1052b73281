package org.exmerge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.exmerge.format.Checkpoint;
import org.exmerge.testing.Cli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** synth's OUT gets merge's refusals, and an interrupted synth leaves the earlier set whole and says so, on stderr and in --json. */
class SynthCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static List<String> names(Path d) throws Exception {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** The CLI in a child JVM whose working directory is {@code cwd}, as a user types it there. */
    private static Cli.Result runIn(Path cwd, String... args) throws Exception {
        Process p = Cli.child(List.of(), args).directory(cwd.toFile()).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Cli.Result(p.waitFor(), out, err);
    }

    private static String seed(Path model) throws Exception {
        try (Checkpoint c = Checkpoint.open(model.resolve("model.safetensors"))) {
            return c.metadata().get("exmerge.synth").split(" ")[0];
        }
    }

    @Test
    void anOutThatMergeRefusesIsRefusedInMergesWordsBeforeAnyWork() throws Exception {
        Path work = Files.createDirectories(dir.resolve("home/user/work"));
        Files.writeString(work.resolve("thesis.tex"), "years of work");
        Map<String, String> refusals = Map.of(
                "", "output path is empty (an unset shell variable?); name the model directory to write",
                ".", ".: refusing to write a model over the working directory",
                "..", "..: refusing to write a model over a parent of the working directory (" + work.getParent().toRealPath() + ")");
        for (Map.Entry<String, String> r : refusals.entrySet()) {
            Cli.Result res = runIn(work, "synth", r.getKey(), "--size", "1MB", "--finetunes", "1", "--no-sync", "--overwrite", "--json");
            assertThat(res.exit()).as("OUT '%s': %s", r.getKey(), res.err()).isEqualTo(2);
            assertThat(res.err().lines().filter(l -> l.startsWith("exmerge:"))).as(res.err())
                    .containsExactly("exmerge: error: " + r.getValue());
            JsonNode error = JSON.readTree(res.out().strip().lines().toList().getLast());
            assertThat(error.get("event").asText()).isEqualTo("error");
            assertThat(error.get("message").asText()).isEqualTo(r.getValue());
            assertThat(error.get("exit").asInt()).isEqualTo(2);
        }
        assertThat(names(work)).containsExactly("thesis.tex");
        assertThat(names(dir.resolve("home"))).containsExactly("user");
    }

    /** SIGTERM (as Ctrl-C) while sft-1 is being written over an earlier set: the earlier set stays whole and the error says so. */
    @Test
    void anInterruptedOverwriteLeavesTheEarlierSetWholeAndReportsTheCancellation() throws Exception {
        Path out = dir.resolve("m");
        Cli.Result first = Cli.run("synth", out.toString(), "--size", "64MB", "--no-sync");
        assertThat(first.exit()).as(first.err()).isZero();

        Process p = Cli.child(List.of(), "synth", out.toString(), "--size", "64MB", "--seed", "7", "--overwrite", "--threads", "1",
                "--no-sync", "--json").redirectError(dir.resolve("err.log").toFile()).start();
        p.getOutputStream().close();
        List<String> lines = new ArrayList<>();
        int starts = 0;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                lines.add(line);
                if (line.contains("\"event\":\"start\"") && ++starts == 2) {
                    p.toHandle().destroy(); // SIGTERM, as Ctrl-C, with the pipes left open: base is complete (staged), sft-1 under way
                }
            }
        }
        String err = Files.readString(dir.resolve("err.log"));
        assertThat(p.waitFor()).as(err).isEqualTo(143);
        assertThat(err.lines().filter(l -> l.startsWith("exmerge:"))).containsExactly("exmerge: error: cancelled; no output was written");
        JsonNode last = JSON.readTree(lines.getLast());
        assertThat(last.get("event").asText()).as("%s", lines).isEqualTo("error");
        assertThat(last.get("message").asText()).isEqualTo("cancelled; no output was written");
        assertThat(lines).noneMatch(l -> l.contains("\"event\":\"done\""));
        for (String m : List.of("base", "sft-1", "sft-2")) {
            assertThat(seed(out.resolve(m))).as(m).isEqualTo("seed=0");
        }
        assertThat(names(out)).containsExactly("base", "sft-1", "sft-2");
    }
}
