package org.exmerge.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.exmerge.format.TestFiles.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Written by {@link ShardWriter} inside an {@link OutputDirectory}, read back by {@link Checkpoint}. */
class RoundTripTest {
    @TempDir
    Path root;

    /** Writes the specs with seeded data in uneven chunks that straddle tensors and shards. */
    static Map<String, byte[]> writeModel(Path target, List<TensorSpec> specs, long shardBytes,
            Map<String, String> metadata, long seed) throws Exception {
        Random rnd = new Random(seed);
        Map<String, byte[]> data = new HashMap<>();
        ByteBuffer all = ByteBuffer.allocate((int) specs.stream().mapToLong(TensorSpec::byteSize).sum());
        for (TensorSpec s : specs) {
            byte[] b = new byte[(int) s.byteSize()];
            rnd.nextBytes(b);
            data.put(s.name(), b);
            all.put(b);
        }
        all.flip();
        try (OutputDirectory out = OutputDirectory.create(target);
             ShardWriter w = new ShardWriter(out.path(), specs, shardBytes, metadata)) {
            boolean segments = false;
            while (all.hasRemaining()) {
                int n = Math.min(all.remaining(), 1 + rnd.nextInt(23));
                ByteBuffer chunk = all.slice(all.position(), n);
                if (segments) {
                    w.write(MemorySegment.ofBuffer(chunk));
                } else {
                    w.write(chunk);
                }
                all.position(all.position() + n);
                segments = !segments;
            }
            w.finish();
            out.commit(false);
        }
        return data;
    }

    private static void assertSameTensors(Checkpoint c, List<TensorSpec> specs, Map<String, byte[]> data) {
        assertThat(c.tensors()).extracting(TensorInfo::name)
                .containsExactlyElementsOf(specs.stream().map(TensorSpec::name).sorted().toList());
        long total = 0;
        for (TensorSpec s : specs) {
            TensorInfo t = c.tensor(s.name());
            assertThat(TensorSpec.of(t)).isEqualTo(s);
            assertThat(c.data(s.name()).toArray(ValueLayout.JAVA_BYTE)).as(s.name()).isEqualTo(data.get(s.name()));
            total += s.byteSize();
        }
        assertThat(c.totalBytes()).isEqualTo(total);
    }

    @Test
    void singleFileWithEveryDtypeScalarsAndEmptyTensors() throws Exception {
        List<TensorSpec> specs = new ArrayList<>();
        for (DType t : DType.values()) {
            specs.add(spec("m." + t.name().toLowerCase() + ".weight", t, 3, 7));
            specs.add(spec("m." + t.name().toLowerCase() + ".scalar", t));
            specs.add(spec("m." + t.name().toLowerCase() + ".empty", t, 0, 4));
        }
        Path target = root.resolve("model");
        Map<String, byte[]> data = writeModel(target, specs, 1L << 30, Map.of("recipe", "linear"), 1);
        assertThat(target.resolve("model.safetensors")).isRegularFile();
        assertThat(target.resolve("model.safetensors.index.json")).doesNotExist();
        try (Checkpoint c = Checkpoint.open(target)) {
            assertSameTensors(c, specs, data);
            assertThat(c.metadata()).containsExactly(Map.entry("format", "pt"), Map.entry("recipe", "linear"));
            assertThat(c.directory()).isEqualTo(target);
            assertThat(c.fileOf(specs.getFirst().name())).isEqualTo(target.resolve("model.safetensors"));
        }
        // The same file opened directly: the directory is its parent.
        try (Checkpoint c = Checkpoint.open(target.resolve("model.safetensors"))) {
            assertThat(c.directory()).isEqualTo(target);
            assertSameTensors(c, specs, data);
        }
    }

    @Test
    void shardedWithIndex() throws Exception {
        List<TensorSpec> specs = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            specs.add(spec(String.format("layers.%02d.w", i), i % 2 == 0 ? DType.BF16 : DType.F32, 5, 3 + i));
        }
        specs.add(spec("empty", DType.F32, 0)); // lands with the last shard's tensors
        Path target = root.resolve("sharded");
        Map<String, byte[]> data = writeModel(target, specs, 200, Map.of("k", "v"), 2);
        List<List<TensorSpec>> layout = ShardWriter.layout(specs, 200);
        int n = layout.size();
        assertThat(n).isGreaterThan(2);
        try (Checkpoint c = Checkpoint.open(target)) {
            assertSameTensors(c, specs, data);
            assertThat(c.metadata()).containsEntry("k", "v").containsEntry("format", "pt");
            for (int i = 0; i < n; i++) {
                Path shard = target.resolve(String.format("model-%05d-of-%05d.safetensors", i + 1, n));
                for (TensorSpec s : layout.get(i)) {
                    assertThat(c.fileOf(s.name())).isEqualTo(shard);
                }
            }
        }
        JsonNode index = new ObjectMapper().readTree(target.resolve("model.safetensors.index.json").toFile());
        assertThat(index.path("metadata").path("total_size").asLong())
                .isEqualTo(specs.stream().mapToLong(TensorSpec::byteSize).sum());
        List<String> keys = new ArrayList<>();
        for (Iterator<String> it = index.path("weight_map").fieldNames(); it.hasNext(); ) {
            keys.add(it.next());
        }
        assertThat(keys).isSorted().hasSize(specs.size());
    }

    @Test
    void everyShardHeaderIsPaddedSoDataStartsAligned() throws Exception {
        List<TensorSpec> specs = List.of(spec("a", DType.F32, 9), spec("bb", DType.F16, 5), spec("ccc", DType.U8, 3));
        Path target = root.resolve("aligned");
        writeModel(target, specs, 16, Map.of(), 3);
        try (var files = Files.list(target)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".safetensors")).toList()) {
                byte[] head = Files.readAllBytes(f);
                long n = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
                assertThat((8 + n) % 8).as(f.toString()).isZero();
            }
        }
    }

    @Test
    void noTensorsGivesOneEmptyFile() throws Exception {
        Path target = root.resolve("empty");
        writeModel(target, List.of(), 100, Map.of(), 4);
        try (Checkpoint c = Checkpoint.open(target)) {
            assertThat(c.tensors()).isEmpty();
            assertThat(c.totalBytes()).isZero();
        }
        assertThat(target.resolve("model.safetensors"))
                .hasSize(8 + SafetensorsHeader.encode(List.of(), Map.of("format", "pt")).length);
    }

    @Test
    void onlyEmptyTensorsAcrossShards() throws Exception {
        List<TensorSpec> specs = List.of(spec("a", DType.F32, 0), spec("big", DType.U8, 50), spec("z", DType.F32, 0));
        Path target = root.resolve("empties");
        Map<String, byte[]> data = writeModel(target, specs, 10, Map.of(), 5);
        try (Checkpoint c = Checkpoint.open(target)) {
            assertSameTensors(c, specs, data);
        }
    }

    @Test
    void heapSegmentsOfOtherArrayTypesAreWritten() throws Exception {
        float[] values = new float[300_000]; // more than the writer's 1 MiB scratch buffer
        Random rnd = new Random(6);
        for (int i = 0; i < values.length; i++) {
            values[i] = rnd.nextFloat();
        }
        Path target = root.resolve("floats");
        try (OutputDirectory out = OutputDirectory.create(target);
             ShardWriter w = new ShardWriter(out.path(), List.of(spec("f", DType.F32, values.length)), 1 << 30,
                     Map.of())) {
            w.write(MemorySegment.ofArray(values));
            w.finish();
            out.commit(false);
        }
        try (Checkpoint c = Checkpoint.open(target)) {
            float[] back = c.data("f").toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.nativeOrder()));
            assertThat(back).isEqualTo(values);
        }
    }
}
