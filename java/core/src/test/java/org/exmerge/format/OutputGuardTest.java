package org.exmerge.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
        assertThatThrownBy(() -> OutputGuard.check(mixed, true, List.of()))
                .hasMessageContaining("not part of the model exmerge wrote there (config.json (beside an adapter)");

        Path broken = adapter(root.resolve("broken-adapter"), "exmerge.version");
        Files.write(broken.resolve("adapter_model.safetensors"), new byte[] {1, 2, 3});
        assertThatThrownBy(() -> OutputGuard.check(broken, true, List.of())).hasMessageContaining("do not open as a model");
    }

    /** A safetensors file of one tensor whose metadata holds {@code key}, at {@code file}. */
    private static void weights(Path file, String key) throws IOException {
        Path dir = exmergeModel(Files.createTempDirectory(file.getParent(), "w"), key);
        Files.move(dir.resolve("model.safetensors"), file);
        FileTrees.deleteTree(dir);
    }

    @Test
    void overwriteDeletesNoFileItCannotProveExmergesEvenWithAModelsName() throws Exception {
        // Shard names beside exmerge's single-file model: no index lists them, so not part of it.
        Path beside = exmergeModel(root.resolve("beside"), "exmerge.version");
        weights(beside.resolve("model-00001-of-00002.safetensors"), "format");
        Files.writeString(beside.resolve("model-00002-of-00002.safetensors"), "my notes, not a model");
        assertThatThrownBy(() -> OutputGuard.check(beside, true, List.of())).isInstanceOf(UsageException.class)
                .hasMessageContaining("not part of the model exmerge wrote there")
                .hasMessageContaining("model-00001-of-00002.safetensors").hasMessageContaining("model-00002-of-00002.safetensors");

        // A sharded model: a shard its index lists but that carries no mark is someone else's.
        Path sharded = root.resolve("sharded");
        Files.createDirectories(sharded);
        weights(sharded.resolve("model-00001-of-00002.safetensors"), "exmerge.version");
        weights(sharded.resolve("model-00002-of-00002.safetensors"), "format");
        Files.writeString(sharded.resolve("model.safetensors.index.json"), """
                {"metadata": {}, "weight_map": {"t": "model-00001-of-00002.safetensors", "u": "model-00002-of-00002.safetensors"}}""");
        assertThatThrownBy(() -> OutputGuard.check(sharded, true, List.of()))
                .hasMessageContaining("a model exmerge did not write").hasMessageContaining("model-00002-of-00002.safetensors");
        Files.writeString(sharded.resolve("model-00002-of-00002.safetensors"), "plain text");
        assertThatThrownBy(() -> OutputGuard.check(sharded, true, List.of())).hasMessageContaining("do not open as a model");
        weights(sharded.resolve("model-00002-of-00002.safetensors.tmp"), "exmerge.version");
        Files.move(sharded.resolve("model-00002-of-00002.safetensors.tmp"), sharded.resolve("model-00002-of-00002.safetensors"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThatCode(() -> OutputGuard.check(sharded, true, List.of())).doesNotThrowAnyException();
        weights(sharded.resolve("model-00003-of-00003.safetensors"), "exmerge.version");
        assertThatThrownBy(() -> OutputGuard.check(sharded, true, List.of()))
                .hasMessageContaining("model-00003-of-00003.safetensors (its index does not list it)");

        // Side files: only beside a model exmerge wrote, and only the kind it writes there.
        Path configOnly = Files.createDirectory(root.resolve("config-only"));
        Files.writeString(configOnly.resolve("config.json"), "{}");
        Files.writeString(configOnly.resolve("adapter_config.json"), "garbage");
        assertThatThrownBy(() -> OutputGuard.check(configOnly, true, List.of())).hasMessageContaining("holds no model weights");
        Path adapterConfigBesideModel = exmergeModel(root.resolve("model-and-adapter-config"), "exmerge.version");
        Files.writeString(adapterConfigBesideModel.resolve("adapter_config.json"), "garbage");
        assertThatThrownBy(() -> OutputGuard.check(adapterConfigBesideModel, true, List.of()))
                .hasMessageContaining("adapter_config.json (beside a model)");
        Path garbageConfig = exmergeModel(root.resolve("garbage-config"), "exmerge.version");
        Files.writeString(garbageConfig.resolve("config.json"), "my notes");
        assertThatThrownBy(() -> OutputGuard.check(garbageConfig, true, List.of())).hasMessageContaining("config.json exmerge did not write");
        Path garbageAdapterConfig = adapter(root.resolve("garbage-adapter-config"), "exmerge.version");
        Files.writeString(garbageAdapterConfig.resolve("adapter_config.json"), "not json");
        assertThatThrownBy(() -> OutputGuard.check(garbageAdapterConfig, true, List.of()))
                .hasMessageContaining("adapter_config.json exmerge did not write");
        Path tokenizerBesideAdapter = adapter(root.resolve("adapter-and-tokenizer"), "exmerge.version");
        Files.writeString(tokenizerBesideAdapter.resolve("tokenizer.json"), "{}");
        assertThatThrownBy(() -> OutputGuard.check(tokenizerBesideAdapter, true, List.of()))
                .hasMessageContaining("tokenizer.json (beside an adapter)");

        for (Path d : List.of(beside, sharded, configOnly, adapterConfigBesideModel, garbageConfig, garbageAdapterConfig,
                tokenizerBesideAdapter)) {
            assertThat(d).isDirectory(); // refused: every file still there
        }
        assertThat(beside.resolve("model-00002-of-00002.safetensors")).hasContent("my notes, not a model");
    }

    @Test
    void aModelADeadRunLeftAsideIsBackBeforeTheOutputIsJudged() throws Exception {
        Path out = exmergeModel(root.resolve("out"), "exmerge.version");
        RunLock lock = RunLock.acquire(out);
        Files.createDirectory(lock.temp());
        lock.ownTemp();
        lock.ownReplaced();
        Files.move(out, lock.old()); // killed between the two renames of a replacement
        lock.unlock();
        // Without --overwrite: the old model is back, so the run stops as for any existing output.
        assertThatThrownBy(() -> OutputGuard.check(out, false, List.of())).isInstanceOf(FileAlreadyExistsException.class);
        assertThat(out.resolve("model.safetensors")).exists();
        try (var s = Files.list(root)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("out");
        }
    }

    @Test
    void aMountPointIsRefusedBeforeAnyWork() throws Exception {
        Path proc = Path.of("/proc");
        assumeTrue(Files.isDirectory(proc) && Files.isReadable(Path.of("/proc/self/mountinfo")), "Linux /proc");
        assertThat(MountPoints.isMountPoint(proc)).isTrue();
        assertThat(MountPoints.isMountPoint(Files.createDirectory(root.resolve("plain")))).isFalse();
        assertThatThrownBy(() -> OutputGuard.requireReplaceable(proc)).isInstanceOf(UsageException.class)
                .hasMessageContaining("is a mount point");
        assertThat(MountPoints.decode("/mnt/with\\040space")).isEqualTo("/mnt/with space");
    }
}
