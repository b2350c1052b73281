package org.exmerge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.exmerge.kernel.ffm.NativeTestSupport;
import org.exmerge.testing.Cli;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15 end to end: `exmerge exme` in a child JVM (so a SIGBUS crash shows as exit 134 and an
 * hs_err file rather than killing the tests), the base model truncated as soon as the child reports
 * its first progress. On either backend: exit 3, one line naming the file, no output, no temp
 * directory, no hs_err file.
 */
class InputChangeCliTest {
    @TempDir
    static Path dir;
    static Path models;

    @BeforeAll
    static void synth() {
        models = dir.resolve("models");
        // Big enough that the merge is still running when the test sees the first progress line.
        Cli.Result r = Cli.run("synth", models.toString(), "--size", "96MB", "--threads", "2");
        assertThat(r.exit()).as(r.err()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"java", "native"})
    void truncatedBaseExitsThreeWithOneLineAndLeavesNothing(String backend) throws Exception {
        if (backend.equals("native")) {
            NativeTestSupport.requireNative();
        }
        Path work = Files.createDirectories(dir.resolve("run-" + backend));
        Path base = Files.createDirectories(work.resolve("base")).resolve("model.safetensors");
        Files.copy(models.resolve("base").resolve("model.safetensors"), base);
        Path out = work.resolve("out");
        Path err = work.resolve("stderr.txt");
        Process p = Cli.child(List.of(), "exme", "--base", base.getParent().toString(), "--sft", models.resolve("sft-1").toString(),
                        "--sft", models.resolve("sft-2").toString(), "--alpha", "0.5,0.1", "--beta", "0.1", "--json",
                        "--threads", "1", "--chunk-size", "64KB", "--out-dtype", "float32", "--backend", backend,
                        out.toString())
                .directory(work.toFile()).redirectError(err.toFile()).start();
        p.getOutputStream().close();
        boolean truncated = false;
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (!truncated && line.contains("\"progress\"")) {
                    try (FileChannel ch = FileChannel.open(base, StandardOpenOption.WRITE)) {
                        ch.truncate(1_000_000);
                    }
                    truncated = true;
                }
            }
        }
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        String stderr = Files.readString(err);
        assertThat(truncated).as("a progress line came before the end; stderr: %s", stderr).isTrue();
        assertThat(p.exitValue()).as(stderr).isEqualTo(3);
        assertThat(stderr.strip()).doesNotContain("\n")
                .contains(base.toAbsolutePath() + ": changed while it was being read");
        assertThat(out).doesNotExist();
        try (Stream<Path> s = Files.list(work)) {
            assertThat(s.map(f -> f.getFileName().toString()))
                    .noneMatch(n -> n.startsWith(".out.tmp"))
                    .noneMatch(n -> n.startsWith("hs_err_pid"));
        }
    }
}
