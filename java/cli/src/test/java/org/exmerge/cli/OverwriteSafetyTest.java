package org.exmerge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.exmerge.testing.Cli;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cases where --overwrite used to delete what OUT resolved to; each must now leave every byte in place. */
class OverwriteSafetyTest {
    @TempDir
    static Path dir;
    static Path models;
    static Path recipe;

    @BeforeAll
    static void setUp() throws Exception {
        models = dir.resolve("models");
        Cli.Result r = Cli.run("synth", models.toString(), "--size", "1MB", "--threads", "1");
        assertThat(r.exit()).as(r.err()).isZero();
        recipe = Files.writeString(dir.resolve("cfg.yaml"), """
                merge_method: linear
                models:
                  - model: %s
                  - model: %s
                """.formatted(models.resolve("sft-1"), models.resolve("sft-2")));
    }

    private static List<String> names(Path d) throws Exception {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** The CLI in a child JVM whose working directory is {@code cwd}, as a user types it there. */
    private static Cli.Result runIn(Path cwd, String... args) throws Exception {
        Process p = Cli.child(List.of(), args).directory(cwd.toFile()).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes());
        String err = new String(p.getErrorStream().readAllBytes());
        return new Cli.Result(p.waitFor(), out, err);
    }

    @Test
    void anEmptyOrRelativeOutThatNamesTheWorkingDirectoryOrAParentIsRefused() throws Exception {
        Path work = Files.createDirectories(dir.resolve("home/user/work"));
        Files.writeString(work.resolve("thesis.tex"), "years of work");
        for (String out : List.of("", ".", "..", "../..", work.toString())) {
            Cli.Result r = runIn(work, "merge", recipe.toString(), out, "--overwrite");
            assertThat(r.exit()).as("OUT '%s': %s", out, r.err()).isEqualTo(2);
            assertThat(r.err().strip().lines()).as(r.err()).hasSize(1).first().asString().startsWith("exmerge: error: ");
        }
        assertThat(work.resolve("thesis.tex")).hasContent("years of work");
        assertThat(names(dir.resolve("home"))).containsExactly("user");
    }

    @Test
    void anInputModelTheRecipeOrADirectoryHoldingThemIsNeverTheOutput() throws Exception {
        byte[] before = Files.readAllBytes(models.resolve("sft-1/model.safetensors"));
        for (Path out : List.of(models.resolve("sft-1"), recipe, models, models.resolve("sft-1/../sft-1"))) {
            Cli.Result r = Cli.run("merge", recipe.toString(), out.toString(), "--overwrite");
            assertThat(r.exit()).as("OUT %s: %s", out, r.err()).isEqualTo(2);
            assertThat(r.err()).contains("input of this run");
        }
        assertThat(Files.readAllBytes(models.resolve("sft-1/model.safetensors"))).isEqualTo(before);
        assertThat(Files.readString(recipe)).startsWith("merge_method: linear");
    }

    @Test
    void overwriteReplacesAnEarlierOutputButNothingElse() throws Exception {
        Path out = dir.resolve("merged");
        assertThat(Cli.run("merge", recipe.toString(), out.toString()).exit()).isZero();
        Cli.Result again = Cli.run("merge", recipe.toString(), out.toString());
        assertThat(again.exit()).as("exists, no --overwrite").isEqualTo(4);
        assertThat(again.err()).contains("--overwrite");
        assertThat(Cli.run("merge", recipe.toString(), out.toString(), "--overwrite").exit()).isZero();

        Path mine = Files.createDirectories(dir.resolve("mine"));
        Files.writeString(mine.resolve("notes.txt"), "keep");
        Cli.Result r = Cli.run("merge", recipe.toString(), mine.toString(), "--overwrite");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("notes.txt");
        assertThat(mine.resolve("notes.txt")).hasContent("keep");

        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertThat(Cli.run("merge", recipe.toString(), empty.toString(), "--overwrite").exit()).isZero();
        assertThat(empty.resolve("model.safetensors")).exists();
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".tmp-") || n.contains(".old-"));
        }
    }

    @Test
    void theNextRunRemovesWhatAKilledRunLeft() throws Exception {
        Path big = dir.resolve("big");
        assertThat(Cli.run("synth", big.toString(), "--size", "32MB", "--finetunes", "1").exit()).isZero();
        Path out = dir.resolve("killed");
        Process p = Cli.child(List.of("-Xmx128m"), "exme", "--base", big.resolve("base").toString(), "--sft",
                big.resolve("sft-1").toString(), "--alpha", "0.5", "--threads", "1", "--chunk-size", "1024", "--json",
                out.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()))) {
            assertThat(lines.readLine()).contains("\"start\"");
            p.destroyForcibly(); // SIGKILL: no shutdown hook, no clean-up of its own
        }
        p.waitFor();
        assertThat(names(dir)).as("what the killed run left").anyMatch(n -> n.startsWith(".killed.tmp-"));
        Cli.Result r = Cli.run("merge", recipe.toString(), out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(names(dir)).noneMatch(n -> n.startsWith(".killed."));
    }
}
