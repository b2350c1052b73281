package org.exmerge.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.exmerge.format.TestFiles.spec;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Shard layout and the writer's refusal of misuse. */
class ShardWriterTest {
    @TempDir
    Path dir;

    private static List<List<String>> names(List<List<TensorSpec>> layout) {
        return layout.stream().map(s -> s.stream().map(TensorSpec::name).toList()).toList();
    }

    @Test
    void layoutFillsShardsGreedilyInOrder() {
        List<TensorSpec> specs = List.of(spec("a", DType.U8, 40), spec("b", DType.U8, 60), spec("c", DType.U8, 1),
                spec("d", DType.U8, 100), spec("e", DType.U8, 0));
        assertThat(names(ShardWriter.layout(specs, 100)))
                .containsExactly(List.of("a", "b"), List.of("c"), List.of("d", "e"));
    }

    @Test
    void tensorLargerThanAShardGetsItsOwn() {
        List<TensorSpec> specs = List.of(spec("a", DType.U8, 10), spec("big", DType.F32, 100), spec("e", DType.U8, 0),
                spec("c", DType.U8, 10));
        assertThat(names(ShardWriter.layout(specs, 50)))
                .containsExactly(List.of("a"), List.of("big"), List.of("e", "c"));
    }

    @Test
    void layoutOfNothingIsOneEmptyShard() {
        assertThat(ShardWriter.layout(List.of(), 10)).containsExactly(List.of());
    }

    @Test
    void layoutNeedsAPositiveShardSize() {
        assertThatThrownBy(() -> ShardWriter.layout(List.of(), 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void layoutSurvivesSizesNearLongMax() {
        List<TensorSpec> specs = List.of(spec("a", DType.U8, Long.MAX_VALUE - 1), spec("b", DType.U8, 1));
        assertThat(names(ShardWriter.layout(specs, Long.MAX_VALUE))).containsExactly(List.of("a", "b"));
        assertThat(names(ShardWriter.layout(specs, Long.MAX_VALUE - 1))).containsExactly(List.of("a"), List.of("b"));
    }

    @Test
    void fileNamesFollowHuggingFace() throws IOException {
        List<TensorSpec> specs = List.of(spec("a", DType.U8, 8), spec("b", DType.U8, 8), spec("c", DType.U8, 8));
        try (ShardWriter w = new ShardWriter(dir, specs, 8, Map.of())) {
            assertThat(w.fileNames()).containsExactly("model-00001-of-00003.safetensors",
                    "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors");
        }
        try (ShardWriter w = new ShardWriter(dir, specs, 24, Map.of())) {
            assertThat(w.fileNames()).containsExactly("model.safetensors");
        }
    }

    @Test
    void moreBytesThanTheSpecsHoldIsRefusedBeforeWriting() throws IOException {
        try (ShardWriter w = new ShardWriter(dir, List.of(spec("a", DType.F32, 2)), 100, Map.of())) {
            w.write(ByteBuffer.allocate(5));
            ByteBuffer tooMuch = ByteBuffer.allocate(4);
            assertThatThrownBy(() -> w.write(tooMuch)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("only 3 remain");
            assertThat(tooMuch.position()).isZero();
            assertThatThrownBy(() -> w.write(MemorySegment.ofArray(new byte[4])))
                    .isInstanceOf(IllegalStateException.class);
            w.write(ByteBuffer.allocate(3));
            w.finish();
        }
    }

    @Test
    void finishNamesTheTensorThatIsShort() throws IOException {
        List<TensorSpec> specs = List.of(spec("a", DType.F32, 2), spec("b", DType.F32, 2), spec("c", DType.F32, 2));
        try (ShardWriter w = new ShardWriter(dir, specs, 8, Map.of())) {
            w.write(ByteBuffer.allocate(10));
            assertThatThrownBy(w::finish).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("tensor 'b' received 2 of 8 bytes (14 bytes missing in all)");
            w.write(ByteBuffer.allocate(14)); // the writer stays usable after a premature finish
            w.finish();
        }
        assertThat(dir.resolve("model.safetensors.index.json")).exists();
    }

    @Test
    void nothingMayBeWrittenAfterFinishOrClose() throws IOException {
        ShardWriter w = new ShardWriter(dir, List.of(spec("a", DType.U8, 1)), 100, Map.of());
        w.write(ByteBuffer.allocate(1));
        w.finish();
        assertThatThrownBy(() -> w.write(ByteBuffer.allocate(0))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("finished");
        assertThatThrownBy(w::finish).isInstanceOf(IllegalStateException.class);
        w.close();
        ShardWriter v = new ShardWriter(Files.createDirectory(dir.resolve("v")), List.of(spec("a", DType.U8, 1)), 100,
                Map.of());
        v.close();
        assertThatThrownBy(() -> v.write(ByteBuffer.allocate(1))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void chunksWrittenInAnyOrderFromManyThreadsGiveTheAppendedFiles() throws Exception {
        List<TensorSpec> specs = List.of(spec("a", DType.F32, 300), spec("empty", DType.BF16, 0),
                spec("b", DType.BF16, 7, 61), spec("c", DType.U8, 1001), spec("d", DType.F16, 250));
        java.util.Random random = new java.util.Random(7);
        byte[][] data = new byte[specs.size()][];
        for (int t = 0; t < specs.size(); t++) {
            data[t] = new byte[(int) specs.get(t).byteSize()];
            random.nextBytes(data[t]);
        }
        Path appended = Files.createDirectory(dir.resolve("appended"));
        try (ShardWriter w = new ShardWriter(appended, specs, 1500, Map.of())) {
            for (byte[] d : data) {
                w.write(ByteBuffer.wrap(d));
            }
            w.finish();
        }
        // Chunks of 1..97 bytes, shuffled, written by 4 threads at once.
        record Chunk(int tensor, int offset, int length) {}
        List<Chunk> chunks = new java.util.ArrayList<>();
        for (int t = 0; t < specs.size(); t++) {
            for (int off = 0; off < data[t].length; ) {
                int len = Math.min(1 + random.nextInt(97), data[t].length - off);
                chunks.add(new Chunk(t, off, len));
                off += len;
            }
        }
        java.util.Collections.shuffle(chunks, random);
        Path placed = Files.createDirectory(dir.resolve("placed"));
        try (ShardWriter w = new ShardWriter(placed, specs, 1500, Map.of());
             var pool = java.util.concurrent.Executors.newFixedThreadPool(4)) {
            List<java.util.concurrent.Future<Void>> done = new java.util.ArrayList<>();
            for (Chunk c : chunks) {
                done.add(pool.submit(() -> {
                    w.writeAt(c.tensor(), c.offset(),
                            MemorySegment.ofArray(data[c.tensor()]).asSlice(c.offset(), c.length()));
                    return null;
                }));
            }
            for (var f : done) {
                f.get();
            }
            w.finish();
        }
        try (var files = Files.list(appended)) {
            List<Path> all = files.sorted().toList();
            assertThat(all).hasSizeGreaterThan(2); // several shards and the index
            for (Path f : all) {
                assertThat(placed.resolve(f.getFileName())).hasSameBinaryContentAs(f);
            }
        }
        try (var files = Files.list(placed)) {
            assertThat(files.count()).isEqualTo(Files.list(appended).count());
        }
    }

    @Test
    void writeAtRefusesRangesOutsideTheTensorAndBytesWrittenTwice() throws IOException {
        List<TensorSpec> specs = List.of(spec("a", DType.F32, 2), spec("b", DType.U8, 3));
        try (ShardWriter w = new ShardWriter(dir, specs, 100, Map.of())) {
            assertThatThrownBy(() -> w.writeAt(0, 5, MemorySegment.ofArray(new byte[4])))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("bytes [5, 5 + 4) lie outside tensor 'a' of 8 bytes");
            assertThatThrownBy(() -> w.writeAt(1, -1, MemorySegment.ofArray(new byte[1])))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tensor 'b'");
            w.writeAt(1, 0, MemorySegment.ofArray(new byte[2]));
            assertThatThrownBy(() -> w.writeAt(1, 1, MemorySegment.ofArray(new byte[2])))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("tensor 'b' received more than its 3 bytes");
            assertThatThrownBy(() -> w.writeAt(0, 0, MemorySegment.ofArray(new byte[8])))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("failed");
        }
    }

    @Test
    void aModelWithNoTensorBytesStillGetsItsFile() throws Exception {
        try (ShardWriter w = new ShardWriter(dir, List.of(spec("e", DType.F32, 0, 4)), 100, Map.of())) {
            w.finish();
        }
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertThat(c.tensors()).extracting(TensorInfo::name).containsExactly("e");
        }
    }

    @Test
    void fileBytesAreTheShardFilesSizes() throws Exception {
        List<TensorSpec> specs = List.of(spec("a", DType.F32, 300), spec("b", DType.BF16, 7, 61), spec("c", DType.U8, 1001));
        long expected;
        try (ShardWriter w = new ShardWriter(dir, specs, 1500, Map.of("k", "v"))) {
            expected = w.fileBytes();
            // the figure a run and its --dry-run check the free space against, without a writer
            assertThat(ShardWriter.fileBytes(specs, 1500, Map.of("k", "v"))).isEqualTo(expected);
            for (TensorSpec t : specs) {
                w.write(ByteBuffer.allocate((int) t.byteSize()));
            }
            w.finish();
            long sum = 0;
            for (String name : w.fileNames()) {
                sum += Files.size(dir.resolve(name));
            }
            assertThat(sum).isEqualTo(expected);
        }
    }

    @Test
    void aDiskThatFillsDuringTheWritesGivesEveryWriterTheIoError() throws Exception {
        Path tiny = Files.createDirectory(dir.resolve("tiny"));
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", tiny.toString())
                .redirectErrorStream(true).start();
        org.junit.jupiter.api.Assumptions.assumeTrue(mount.waitFor() == 0, "needs permission to mount a tmpfs");
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(4)) {
            int chunk = 64 << 10;
            List<TensorSpec> specs = List.of(spec("t", DType.U8, 32L * chunk)); // 2 MiB into 1 MiB
            try (ShardWriter w = new ShardWriter(tiny, specs, Long.MAX_VALUE, Map.of())) {
                List<java.util.concurrent.Future<Void>> done = new java.util.ArrayList<>();
                for (int c = 0; c < 32; c++) {
                    long at = (long) c * chunk;
                    done.add(pool.submit(() -> {
                        w.writeAt(0, at, java.lang.foreign.Arena.ofAuto().allocate(chunk));
                        return null;
                    }));
                }
                int failures = 0;
                for (var f : done) {
                    try {
                        f.get();
                    } catch (java.util.concurrent.ExecutionException e) {
                        failures++;
                        // the shard's file is named: the operating system's reason alone names none
                        assertThat(e.getCause()).isInstanceOf(IOException.class)
                                .hasMessage(tiny.resolve("model.safetensors") + ": no space left on device");
                    }
                }
                assertThat(failures).isPositive();
                assertThatThrownBy(w::finish).isInstanceOf(IOException.class)
                        .hasMessage(tiny.resolve("model.safetensors") + ": no space left on device");
            }
        } finally {
            new ProcessBuilder("umount", tiny.toString()).start().waitFor();
        }
    }

    @Test
    void duplicateNamesAreRefusedUpFront() {
        assertThatThrownBy(() -> new ShardWriter(dir, List.of(spec("a", DType.U8, 1), spec("a", DType.U8, 1)), 1,
                Map.of())).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'a' is given twice");
    }

    @Test
    void existingFilesAreNeverOverwritten() throws IOException {
        Files.writeString(dir.resolve("model.safetensors"), "keep");
        try (ShardWriter w = new ShardWriter(dir, List.of(spec("a", DType.U8, 1)), 100, Map.of())) {
            assertThatThrownBy(() -> w.write(ByteBuffer.allocate(1)))
                    .isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
            // Every later write repeats the first failure, as an I/O error naming the file.
            assertThatThrownBy(() -> w.write(ByteBuffer.allocate(1))).isInstanceOf(IOException.class)
                    .hasMessageContaining("model.safetensors")
                    .hasCauseInstanceOf(java.nio.file.FileAlreadyExistsException.class);
        }
        assertThat(dir.resolve("model.safetensors")).hasContent("keep");
    }

    @Test
    void targetMustBeADirectory() {
        assertThatThrownBy(() -> new ShardWriter(dir.resolve("absent"), List.of(), 1, Map.of()))
                .isInstanceOf(java.nio.file.NotDirectoryException.class);
    }

    @Test
    void formatPtIsKeptWhenGiven() throws Exception {
        try (ShardWriter w = new ShardWriter(dir, List.of(), 1, Map.of("format", "mlx", "a", "b"))) {
            w.finish();
        }
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertThat(c.metadata()).containsOnly(Map.entry("format", "mlx"), Map.entry("a", "b"));
        }
    }
}
