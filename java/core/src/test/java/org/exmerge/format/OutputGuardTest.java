package org.exmerge.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.exmerge.error.UsageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputGuardTest {
    @TempDir
    Path root;

    /** A one-tensor model directory whose metadata holds {@code key} (exmerge marks its outputs with exmerge.version). */
    static Path exmergeModel(Path dir, String key) throws IOException {
        Files.createDirectories(dir);
        byte[] json = ("{\"__metadata__\":{\"" + key + "\":\"0.1\"},\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}")
                .getBytes(StandardCharsets.UTF_8);
        int n = (json.length + 7) / 8 * 8;
        ByteBuffer b = ByteBuffer.allocate(8 + n + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(n).put(json);
        while (b.position() < 8 + n) {
            b.put((byte) ' ');
        }
        b.putFloat(1f);
        Files.write(dir.resolve("model.safetensors"), b.array());
        Files.writeString(dir.resolve("config.json"), "{}");
        return dir;
    }

    @Test
    void emptyPathRootAndTheWorkingDirectoryAndItsParentsAreRefused() {
        for (String bad : List.of("", " ", "/", ".", "..", "../..")) {
            assertThatThrownBy(() -> OutputGuard.check(Path.of(bad), true, List.of()))
                    .as("OUT '%s'", bad).isInstanceOf(UsageException.class);
        }
        Path cwd = Path.of("").toAbsolutePath();
        assertThatThrownBy(() -> OutputGuard.check(cwd, true, List.of())).hasMessageContaining("the working directory");
        assertThatThrownBy(() -> OutputGuard.check(cwd.getParent(), true, List.of())).hasMessageContaining("parent of the working directory");
    }

    @Test
    void anInputOrTheRecipeOrADirectoryHoldingOneIsRefusedEvenWithOverwrite() throws Exception {
        Path base = exmergeModel(root.resolve("models/base"), "exmerge.version");
        Path recipe = Files.writeString(root.resolve("r.yaml"), "merge_method: linear\n");
        List<Path> inputs = List.of(base, recipe);
        assertThatThrownBy(() -> OutputGuard.check(base, true, inputs)).isInstanceOf(UsageException.class)
                .hasMessageContaining("is an input of this run");
        assertThatThrownBy(() -> OutputGuard.check(recipe, true, inputs)).hasMessageContaining("is an input of this run");
        assertThatThrownBy(() -> OutputGuard.check(root.resolve("models"), true, inputs)).hasMessageContaining("holds an input");
        // another spelling of the same place
        assertThatThrownBy(() -> OutputGuard.check(root.resolve("models/x/../base"), true, inputs)).hasMessageContaining("is an input");
        Files.createSymbolicLink(root.resolve("alias"), root.resolve("models"));
        assertThatThrownBy(() -> OutputGuard.check(root.resolve("alias/base"), true, inputs)).hasMessageContaining("is an input");
        assertThat(base.resolve("model.safetensors")).exists();
    }

    @Test
    void anExistingOutputNeedsOverwrite() throws Exception {
        Path out = exmergeModel(root.resolve("out"), "exmerge.version");
        assertThatThrownBy(() -> OutputGuard.check(out, false, List.of())).isInstanceOf(FileAlreadyExistsException.class);
        assertThatCode(() -> OutputGuard.check(out, true, List.of())).doesNotThrowAnyException();
        assertThatCode(() -> OutputGuard.check(root.resolve("fresh"), false, List.of())).doesNotThrowAnyException();
        assertThatCode(() -> OutputGuard.check(Files.createDirectory(root.resolve("empty")), true, List.of()))
                .doesNotThrowAnyException();
    }

    @Test
    void overwriteReplacesOnlyWhatExmergeWrote() throws Exception {
        Path foreignModel = exmergeModel(root.resolve("theirs"), "format");
        assertThatThrownBy(() -> OutputGuard.check(foreignModel, true, List.of())).isInstanceOf(UsageException.class)
                .hasMessageContaining("a model exmerge did not write");

        Path withNotes = exmergeModel(root.resolve("notes"), "exmerge.version");
        Files.writeString(withNotes.resolve("NOTES.md"), "my notes");
        Files.createDirectory(withNotes.resolve("checkpoints"));
        assertThatThrownBy(() -> OutputGuard.check(withNotes, true, List.of()))
                .hasMessageContaining("holds files that are not part of a model (NOTES.md, checkpoints/)");

        Path home = Files.createDirectory(root.resolve("home"));
        Files.writeString(home.resolve("thesis.tex"), "years of work");
        assertThatThrownBy(() -> OutputGuard.check(home, true, List.of())).hasMessageContaining("thesis.tex");

        Path file = Files.writeString(root.resolve("file"), "x");
        assertThatThrownBy(() -> OutputGuard.check(file, true, List.of())).hasMessageContaining("is a file");

        Path link = Files.createSymbolicLink(root.resolve("link"), exmergeModel(root.resolve("real"), "exmerge.version"));
        assertThatThrownBy(() -> OutputGuard.check(link, true, List.of())).hasMessageContaining("symbolic link");

        Path broken = exmergeModel(root.resolve("broken"), "exmerge.version");
        Files.write(broken.resolve("model.safetensors"), new byte[] {1, 2, 3});
        assertThatThrownBy(() -> OutputGuard.check(broken, true, List.of())).hasMessageContaining("do not open as a model");
    }

    /** A PEFT adapter directory: adapter_model.safetensors (metadata {@code key}) and adapter_config.json. */
    static Path adapter(Path dir, String key) throws IOException {
        exmergeModel(dir, key);
        Files.move(dir.resolve("model.safetensors"), dir.resolve("adapter_model.safetensors"));
        Files.move(dir.resolve("config.json"), dir.resolve("adapter_config.json"));
        return dir;
    }

    @Test
    void overwriteReplacesALoraAdapterExmergeWroteAndNoOther() throws Exception {
        Path ours = adapter(root.resolve("lora-1"), "exmerge.version");
        assertThatThrownBy(() -> OutputGuard.check(ours, false, List.of())).isInstanceOf(FileAlreadyExistsException.class);
        assertThatCode(() -> OutputGuard.check(ours, true, List.of())).doesNotThrowAnyException();

        Path theirs = adapter(root.resolve("trained"), "format");
        assertThatThrownBy(() -> OutputGuard.check(theirs, true, List.of())).hasMessageContaining("a model exmerge did not write");
        // exmerge's model beside someone else's adapter: the adapter is looked at too
        Path mixed = adapter(root.resolve("mixed"), "format");
        exmergeModel(mixed, "exmerge.version");
        assertThatThrownBy(() -> OutputGuard.check(mixed, true, List.of())).hasMessageContaining("a model exmerge did not write");

        Path broken = adapter(root.resolve("broken-adapter"), "exmerge.version");
        Files.write(broken.resolve("adapter_model.safetensors"), new byte[] {1, 2, 3});
        assertThatThrownBy(() -> OutputGuard.check(broken, true, List.of())).hasMessageContaining("do not open as a model");
    }
}
