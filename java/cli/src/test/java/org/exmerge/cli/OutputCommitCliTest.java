package org.exmerge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.exmerge.testing.Cli;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a run puts its model in place: what it may touch beside OUT, and what its exit code says once OUT is written. */
class OutputCommitCliTest {
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

    private static Cli.Result merge(Path out, String... flags) {
        List<String> args = new java.util.ArrayList<>(List.of("merge", recipe.toString(), out.toString()));
        args.addAll(List.of(flags));
        return Cli.run(args.toArray(String[]::new));
    }

    @Test
    void aUsersHiddenDirectoryNamedLikeALeftoverSurvivesEveryRun() throws Exception {
        Path parent = Files.createDirectories(dir.resolve("hidden"));
        Path out = parent.resolve("mymodel");
        Path backup = Files.createDirectory(parent.resolve(".mymodel.old-backup"));
        Files.writeString(backup.resolve("notes.txt"), "my hand-made backup");
        Path tmp = Files.createDirectory(parent.resolve(".mymodel.tmp-mine"));
        Files.writeString(tmp.resolve("notes.txt"), "mine too");

        Cli.Result first = merge(out); // OUT absent: nothing may be moved to its name
        assertThat(first.exit()).as(first.err()).isZero();
        Cli.Result again = merge(out, "--overwrite"); // OUT present: nothing beside it may be deleted
        assertThat(again.exit()).as(again.err()).isZero();
        assertThat(backup.resolve("notes.txt")).hasContent("my hand-made backup");
        assertThat(tmp.resolve("notes.txt")).hasContent("mine too");
        assertThat(names(parent)).containsExactly(".mymodel.old-backup", ".mymodel.tmp-mine", "mymodel");
    }

    @Test
    void overwriteRefusesShardNamedFilesThatAreNotPartOfTheModel() throws Exception {
        Path out = dir.resolve("shards");
        assertThat(merge(out).exit()).isZero();
        Files.writeString(out.resolve("model-00002-of-00002.safetensors"), "my notes, not a model");
        Cli.Result r = merge(out, "--overwrite");
        assertThat(r.exit()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).contains("model-00002-of-00002.safetensors").contains("not part of the model");
        assertThat(out.resolve("model-00002-of-00002.safetensors")).hasContent("my notes, not a model");
        assertThat(out.resolve("model.safetensors")).exists();
    }

    @Test
    void aStdoutThatFailsAfterTheModelIsInPlaceDoesNotFailTheRun() throws Exception {
        File full = new File("/dev/full");
        assumeTrue(full.canWrite(), "/dev/full");
        Path out = dir.resolve("stdout-full");
        assertThat(merge(out).exit()).isZero();
        byte[] before = Files.readAllBytes(out.resolve("model.safetensors"));
        Files.writeString(recipe.resolveSibling("other.yaml"), Files.readString(recipe) + "    parameters: {weight: 3}\n");
        Process p = Cli.child(List.of(), "merge", recipe.resolveSibling("other.yaml").toString(), out.toString(), "--overwrite",
                "--json").redirectOutput(full).start();
        p.getOutputStream().close();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        assertThat(Files.readAllBytes(out.resolve("model.safetensors"))).as("the new model is in place").isNotEqualTo(before);
        assertThat(code).as(err).isZero();
        assertThat(err).contains("standard output: write failed").contains("the model is complete at " + out);

        // Nothing written, nothing replaced: a failed stdout is still the run's failure.
        Process inspect = Cli.child(List.of(), "inspect", out.toString(), "--json").redirectOutput(full).start();
        inspect.getOutputStream().close();
        inspect.getErrorStream().readAllBytes();
        assertThat(inspect.waitFor()).isEqualTo(4);
    }

    @Test
    void anyOutputNameTheFileSystemTakesIsWritten() throws Exception {
        String name = "n".repeat(250);
        Path out = dir.resolve("long-parent/" + name);
        Cli.Result r = merge(out);
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(out.resolve("model.safetensors")).exists();
        assertThat(merge(out, "--overwrite").exit()).isZero();
        assertThat(names(dir.resolve("long-parent"))).containsExactly(name);
    }

    /** A tmpfs of {@code size} at {@code at}, or the test is skipped where mounting is not allowed. */
    private static void mountTmpfs(Path at, String size) throws Exception {
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", at.toString())
                .redirectErrorStream(true).start();
        assumeTrue(mount.waitFor() == 0, "needs permission to mount a tmpfs");
    }

    private static void unmount(Path at) throws Exception {
        new ProcessBuilder("umount", at.toString()).start().waitFor();
    }

    @Test
    void aMountPointAsOutIsRefusedBeforeAnyWorkAndByTheDryRun() throws Exception {
        Path mp = Files.createDirectory(dir.resolve("mp"));
        mountTmpfs(mp, "20m");
        try {
            for (List<String> flags : List.of(List.of("--overwrite", "--dry-run"), List.of("--overwrite"))) {
                Cli.Result r = merge(mp, flags.toArray(String[]::new));
                assertThat(r.exit()).as(r.err()).isEqualTo(2);
                assertThat(r.err()).contains("is a mount point").doesNotContain("wrote");
            }
            assertThat(names(mp)).isEmpty();
            assertThat(names(dir)).noneMatch(n -> n.startsWith(".mp."));
        } finally {
            unmount(mp);
        }
    }

    /** A file of {@code bytes} real bytes (a sparse one would take no room on a tmpfs). */
    private static void fill(Path file, long bytes) throws Exception {
        try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer zeros = java.nio.ByteBuffer.allocate(1 << 20);
            for (long left = bytes; left > 0; left -= zeros.limit()) {
                zeros.clear().limit((int) Math.min(zeros.capacity(), left));
                while (zeros.hasRemaining()) {
                    ch.write(zeros);
                }
            }
        }
    }

    @Test
    void theDryRunAndTheRunAgreeOnWhetherTheModelFits() throws Exception {
        Path small = Files.createDirectory(dir.resolve("small"));
        Path reference = dir.resolve("fits-reference");
        assertThat(merge(reference).exit()).isZero();
        long weights = Files.size(reference.resolve("model.safetensors"));
        mountTmpfs(small, "20m");
        try {
            long free = Files.getFileStore(small).getUsableSpace();
            // Room for the tensor data and the header but nothing more: the figure each checks decides.
            fill(small.resolve("fill"), free - weights - 4096);
            Cli.Result dry = merge(small.resolve("o"), "--dry-run");
            Cli.Result real = merge(small.resolve("o"));
            assertThat(dry.exit()).as(dry.out() + dry.err()).isEqualTo(real.exit()).isEqualTo(4);
            assertThat(dry.err()).contains("not enough space");
            assertThat(names(small)).containsExactly("fill");
        } finally {
            unmount(small);
        }
    }
}
