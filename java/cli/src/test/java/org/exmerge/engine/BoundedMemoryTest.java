package org.exmerge.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.exmerge.format.Checkpoint;
import org.exmerge.testing.Cli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Peak heap must not grow with model size: a child JVM whose heap is far smaller than the models
 * synthesises them and merges them. Tensors stream through mapped files and a fixed set of chunk
 * buffers, so this passes at any model size; a design that held a tensor or a shard on the heap
 * would die with OutOfMemoryError.
 */
class BoundedMemoryTest {
    private static final List<String> SMALL_HEAP = List.of("-Xmx32m", "-XX:+UseSerialGC");

    @Test
    void mergesModelsLargerThanTheHeap(@TempDir Path dir) throws Exception {
        Path models = dir.resolve("models");
        Cli.Result synth = Cli.runChild(SMALL_HEAP, "synth", models.toString(), "--size", "48MB", "--threads", "2");
        assertThat(synth.exit()).as(synth.err()).isZero();
        long inputBytes;
        try (Checkpoint base = Checkpoint.open(models.resolve("base"))) {
            inputBytes = 3 * base.totalBytes();
            assertThat(base.totalBytes()).isGreaterThan(40_000_000L);
        }
        Path out = dir.resolve("out");
        Cli.Result merge = Cli.runChild(SMALL_HEAP, "exme", "--base", models.resolve("base").toString(),
                "--sft", models.resolve("sft-1").toString(), "--sft", models.resolve("sft-2").toString(),
                "--alpha", "0.5,0.1", "--beta", "0.1", "--threads", "2", "--out-shard-size", "20MB", out.toString());
        assertThat(merge.exit()).as(merge.err()).isZero();
        assertThat(inputBytes).as("inputs exceed the child's heap several times").isGreaterThan(4L * 32 * 1024 * 1024);

        // The same merge in this JVM with other threads and chunks gives the same tensors.
        Path again = dir.resolve("again");
        Cli.Result inProcess = Cli.run("exme", "--base", models.resolve("base").toString(),
                "--sft", models.resolve("sft-1").toString(), "--sft", models.resolve("sft-2").toString(),
                "--alpha", "0.5,0.1", "--beta", "0.1", "--threads", "1", "--chunk-size", "100000", again.toString());
        assertThat(inProcess.exit()).as(inProcess.err()).isZero();
        try (Checkpoint a = Checkpoint.open(out); Checkpoint b = Checkpoint.open(again)) {
            assertThat(a.tensors()).hasSameSizeAs(b.tensors());
            for (var t : a.tensors()) {
                assertThat(a.data(t.name()).mismatch(b.data(t.name()))).as(t.name()).isEqualTo(-1L);
            }
        }
        try (var files = Files.list(out)) {
            assertThat(files.filter(p -> p.toString().endsWith(".safetensors")).count()).isGreaterThan(1);
        }
    }
}
