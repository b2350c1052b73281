package org.exmerge.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.exmerge.format.TestFiles.spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.exmerge.error.ExmergeException;
import org.exmerge.error.InputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Inputs that cannot be used: each error is one line with the file and the reason, kind INPUT (exit 3). */
class CheckpointErrorsTest {
    @TempDir
    Path dir;

    private InputException reject(Path path) {
        InputException e = catchThrowableOfType(InputException.class, () -> Checkpoint.open(path).close());
        assertThat(e).as("an InputException").isNotNull();
        assertThat(e.kind()).isEqualTo(ExmergeException.Kind.INPUT);
        assertThat(e.getMessage()).doesNotContain("\n");
        return e;
    }

    private Path valid(String name) throws Exception {
        return TestFiles.write(dir, name, TestFiles.validImage(List.of(spec("x", DType.F32, 2)), Map.of(), 1));
    }

    @Test
    void unreadableFileSaysPermissionDenied() throws Exception {
        Path f = valid("model.safetensors");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("---------"));
        assumeThat(Files.isReadable(f)).as("running as root: chmod 000 does not stop reading").isFalse();
        assertThat(reject(f).getMessage()).isEqualTo(f + ": permission denied");
        assertThat(reject(dir).getMessage()).isEqualTo(f + ": permission denied");
    }

    @Test
    void configJsonGivenAsTheModelIsNotASafetensorsFile() throws Exception {
        Path f = dir.resolve("config.json");
        Files.writeString(f, "{\n  \"architectures\": [\"LlamaForCausalLM\"],\n  \"hidden_size\": 4096\n}\n");
        assertThat(reject(f).getMessage()).isEqualTo(f + ": not a safetensors file (it begins with text '{\\n  \"arc',"
                + " e.g. JSON; a safetensors file begins with an 8-byte header length)");
    }

    @Test
    void binaryWithAnImpossibleLengthIsNotASafetensorsFile() throws Exception {
        Path f = TestFiles.write(dir, "x.safetensors", new byte[] {1, 2, 3, 4, 5, 6, 7, (byte) 0x80, 0, 0});
        assertThat(reject(f).getMessage()).startsWith(f + ": not a safetensors file (header length ")
                .contains("exceeds the limit of 100000000");
    }

    @Test
    void shardThatIsADirectory() throws Exception {
        Files.createDirectory(dir.resolve("model-00001-of-00001.safetensors"));
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"weight_map\": {\"x\": \"model-00001-of-00001.safetensors\"}}");
        assertThat(reject(dir).getMessage()).isEqualTo(dir.resolve("model.safetensors.index.json")
                + ": tensor 'x': weight_map names shard 'model-00001-of-00001.safetensors', which is a directory");
    }

    @Test
    void aModelFileThatIsNoFileSaysWhyNotThatThereIsNone() throws Exception {
        Path f = dir.resolve("model.safetensors");
        Files.createDirectory(f);
        assertThat(reject(dir).getMessage()).isEqualTo(f + ": is a directory");
        Files.delete(f);
        Files.createSymbolicLink(f, dir.resolve("gone.safetensors"));
        assertThat(reject(dir).getMessage()).isEqualTo(f + ": dangling symbolic link to '" + dir.resolve("gone.safetensors")
                + "', which does not exist");
        Files.delete(f);
        Files.createSymbolicLink(f, f.getFileName());
        assertThat(reject(dir).getMessage()).startsWith(f + ": too many levels of symbolic links");
    }

    @Test
    void openingADirectoryAsAFileSaysSo() throws Exception {
        Path d = Files.createDirectory(dir.resolve("model.safetensors"));
        SafetensorsFormatException e = catchThrowableOfType(SafetensorsFormatException.class, () -> SafetensorsFile.open(d).close());
        assertThat(e.getMessage()).isEqualTo(d + ": is a directory, not a safetensors file");
    }

    @Test
    void emptyWeightMapIsAnError() throws Exception {
        Path index = dir.resolve("model.safetensors.index.json");
        Files.writeString(index, "{\"metadata\": {}, \"weight_map\": {}}");
        assertThat(reject(dir).getMessage()).isEqualTo(index + ": weight_map is empty: the index lists no tensors");
    }

    @Test
    void singleFileAndIndexTogetherAreAmbiguous() throws Exception {
        valid("model.safetensors");
        valid("model-00001-of-00001.safetensors");
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"weight_map\": {\"x\": \"model-00001-of-00001.safetensors\"}}");
        assertThat(reject(dir).getMessage()).isEqualTo(dir + ": holds both model.safetensors and "
                + "model.safetensors.index.json; remove the one that is stale, or name the file to use");
        // Naming the file picks it.
        Checkpoint.open(dir.resolve("model.safetensors")).close();
    }
}
