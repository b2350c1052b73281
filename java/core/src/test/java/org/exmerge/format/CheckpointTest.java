package org.exmerge.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.exmerge.format.TestFiles.spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding a model's files, and the ways an index can disagree with its shards. */
class CheckpointTest {
    @TempDir
    Path dir;

    private static final String A = "model-00001-of-00002.safetensors";
    private static final String B = "model-00002-of-00002.safetensors";

    /** Shard A holds x and y, shard B holds z. */
    private void shards() throws Exception {
        TestFiles.write(dir, A, TestFiles.validImage(List.of(spec("x", DType.F32, 2), spec("y", DType.F16, 3)),
                Map.of("shard", "1"), 1));
        TestFiles.write(dir, B, TestFiles.validImage(List.of(spec("z", DType.BF16, 4)), Map.of("shard", "2"), 2));
    }

    private void index(String weightMap) throws Exception {
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"metadata\": {\"total_size\": 16, \"nested\": {\"x\": [1, 2]}}, \"weight_map\": " + weightMap + "}");
    }

    private SafetensorsFormatException reject(Path path) {
        SafetensorsFormatException e = catchThrowableOfType(SafetensorsFormatException.class,
                () -> Checkpoint.open(path).close());
        assertThat(e).isNotNull();
        assertThat(e.getMessage()).startsWith(e.file() + ": ");
        return e;
    }

    private SafetensorsFormatException rejectIndex(String weightMap) throws Exception {
        index(weightMap);
        return reject(dir);
    }

    @Test
    void validIndex() throws Exception {
        shards();
        index("{\"z\": \"" + B + "\", \"x\": \"" + A + "\", \"y\": \"" + A + "\"}");
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertThat(c.tensors()).extracting(TensorInfo::name).containsExactly("x", "y", "z");
            assertThat(c.fileOf("z")).isEqualTo(dir.resolve(B));
            assertThat(c.metadata()).containsEntry("shard", "1");
            assertThat(c.totalBytes()).isEqualTo(8 + 6 + 8);
            assertThat(c.tensor("nope")).isNull();
            assertThat(c.files()).containsExactly(dir.resolve(A), dir.resolve(B));
            assertThatThrownBy(() -> c.data("nope")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> c.fileOf("nope")).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void pathDoesNotExist() {
        assertThat(reject(dir.resolve("nothing")).reason()).isEqualTo("no such file or directory");
    }

    @Test
    void directoryWithoutAModel() {
        assertThat(reject(dir).reason()).contains("neither model.safetensors nor model.safetensors.index.json");
    }

    @Test
    void brokenSingleFileNamesTheFile() throws Exception {
        Path f = TestFiles.write(dir, "model.safetensors", TestFiles.image("{\"a\":{}}", 0));
        SafetensorsFormatException e = reject(dir);
        assertThat(e.file()).isEqualTo(f);
        assertThat(e.tensor()).isEqualTo("a");
    }

    @Test
    void missingShard() throws Exception {
        shards();
        SafetensorsFormatException e = rejectIndex("{\"x\": \"" + A + "\", \"y\": \"" + A + "\", \"z\": \"gone.safetensors\"}");
        assertThat(e.file()).isEqualTo(dir.resolve("model.safetensors.index.json"));
        assertThat(e.tensor()).isEqualTo("z");
        assertThat(e.reason()).contains("'gone.safetensors', which does not exist");
    }

    @Test
    void weightMapNamesATensorTheShardLacks() throws Exception {
        shards();
        SafetensorsFormatException e = rejectIndex("{\"x\": \"" + A + "\", \"y\": \"" + A + "\", \"z\": \"" + B
                + "\", \"w\": \"" + B + "\"}");
        assertThat(e.file()).isEqualTo(dir.resolve(B));
        assertThat(e.tensor()).isEqualTo("w");
        assertThat(e.reason()).contains("does not hold it");
    }

    @Test
    void shardHoldsATensorTheIndexOmits() throws Exception {
        shards();
        SafetensorsFormatException e = rejectIndex("{\"x\": \"" + A + "\", \"z\": \"" + B + "\"}");
        assertThat(e.file()).isEqualTo(dir.resolve(A));
        assertThat(e.tensor()).isEqualTo("y");
        assertThat(e.reason()).contains("does not list it");
    }

    @Test
    void tensorInTwoShards() throws Exception {
        shards();
        TestFiles.write(dir, B, TestFiles.validImage(List.of(spec("x", DType.F32, 2), spec("z", DType.BF16, 4)),
                Map.of(), 3));
        SafetensorsFormatException e = rejectIndex("{\"x\": \"" + A + "\", \"y\": \"" + A + "\", \"z\": \"" + B + "\"}");
        assertThat(e.file()).isEqualTo(dir.resolve(B));
        assertThat(e.tensor()).isEqualTo("x");
        assertThat(e.reason()).contains("two shards").contains(A).contains(B);
    }

    @Test
    void weightMapPointsOutsideTheDirectory() throws Exception {
        shards();
        for (String bad : List.of("../" + A, "/etc/passwd", "sub/" + A, "..", ".", "", "a\\\\b", "c:x")) {
            SafetensorsFormatException e = rejectIndex("{\"x\": \"" + bad + "\"}");
            assertThat(e.tensor()).isEqualTo("x");
            assertThat(e.reason()).contains("not a file name inside the model directory");
        }
    }

    @Test
    void weightMapNotAnObjectOfStrings() throws Exception {
        shards();
        assertThat(rejectIndex("[]").reason()).isEqualTo("weight_map is not an object");
        SafetensorsFormatException e = rejectIndex("{\"x\": 1}");
        assertThat(e.tensor()).isEqualTo("x");
        assertThat(e.reason()).contains("not a file name");
    }

    @Test
    void indexWithoutWeightMap() throws Exception {
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"metadata\": {}}");
        assertThat(reject(dir).reason()).isEqualTo("index has no weight_map");
    }

    @Test
    void indexDuplicateTensor() throws Exception {
        shards();
        SafetensorsFormatException e = rejectIndex("{\"x\": \"" + A + "\", \"x\": \"" + B + "\"}");
        assertThat(e.reason()).contains("Duplicate");
    }

    @Test
    void aBrokenNameInTheIndexIsNotBlamedOnTheTensorBeforeIt() throws Exception {
        shards();
        SafetensorsFormatException e = rejectIndex("{\"x\": \"" + A + "\", \"y\\ud800z\": \"" + A + "\"}");
        assertThat(e.tensor()).isNull();
        assertThat(e.reason()).startsWith("index is not valid JSON at line 1, column ").contains("surrogate");
    }

    @Test
    void indexNotJsonOrNotUtf8() throws Exception {
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"weight_map\": {");
        assertThat(reject(dir).reason()).isEqualTo("index is not valid JSON at line 1, column 17: Unexpected end-of-input:"
                + " expected close marker for Object (start marker at line 1, column 16)");
        Files.write(dir.resolve("model.safetensors.index.json"), new byte[] {'{', '"', (byte) 0xFE, '"', ':', '1', '}'});
        assertThat(reject(dir).reason()).isEqualTo("index is not valid UTF-8");
        Files.writeString(dir.resolve("model.safetensors.index.json"), "[]");
        assertThat(reject(dir).reason()).isEqualTo("index is not a JSON object");
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"weight_map\": {}} []");
        assertThat(reject(dir).reason()).contains("trailing data");
    }

    @Test
    void brokenShardNamesTheShardAndTensor() throws Exception {
        shards();
        TestFiles.write(dir, B, TestFiles.image("{\"z\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[0,9]}}", 9));
        SafetensorsFormatException e = rejectIndex("{\"x\": \"" + A + "\", \"y\": \"" + A + "\", \"z\": \"" + B + "\"}");
        assertThat(e.file()).isEqualTo(dir.resolve(B));
        assertThat(e.tensor()).isEqualTo("z");
    }

    @Test
    void numberedShardTheIndexNeverNames() throws Exception {
        shards();
        SafetensorsFormatException e = rejectIndex("{\"x\": \"" + A + "\", \"y\": \"" + A + "\"}");
        assertThat(e.file()).isEqualTo(dir.resolve("model.safetensors.index.json"));
        assertThat(e.reason()).contains("names no tensor in shard '" + B + "'");
    }

    @Test
    void otherUnreferencedFilesAreIgnored() throws Exception {
        shards();
        TestFiles.write(dir, "consolidated.safetensors", TestFiles.validImage(List.of(spec("q", DType.F32)), Map.of(), 5));
        TestFiles.write(dir, "model-00001-of-00009.safetensors", new byte[3]); // another family: not ours
        index("{\"x\": \"" + A + "\", \"y\": \"" + A + "\", \"z\": \"" + B + "\"}");
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertThat(c.tensors()).hasSize(3);
        }
    }

    @Test
    void indexAndASingleFileTogetherAreRefused() throws Exception {
        // Tools disagree on which one a directory with both means; merging the stale one is silent.
        shards();
        index("{\"x\": \"" + A + "\", \"y\": \"" + A + "\", \"z\": \"" + B + "\"}");
        TestFiles.write(dir, "model.safetensors", TestFiles.validImage(List.of(spec("q", DType.F32)), Map.of(), 4));
        assertThat(reject(dir).reason()).startsWith("holds both model.safetensors and model.safetensors.index.json");
    }
}
