package org.exmerge.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.exmerge.testing.InputChanges.EXME;
import static org.exmerge.testing.InputChanges.TIES;
import static org.exmerge.testing.InputChanges.TIES_MODEL_SCOPE;
import static org.exmerge.testing.InputChanges.file;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.exmerge.error.ExmergeException;
import org.exmerge.error.InputChangedException;
import org.exmerge.kernel.Backends;
import org.exmerge.testing.InputChanges;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 15: an input truncated, rewritten or replaced during a merge on the Java backend. Each run
 * fails with the {@link InputChangedException} naming the file (kind INPUT, exit 3) and leaves no
 * output and no temp directory; the JVM's InternalError for the faulting mapped read never escapes.
 * The native backend's twin is kernel.ffm.NativeInputChangeTest.
 */
class InputChangeTest {
    @TempDir
    Path dir;

    @BeforeEach
    void models() throws Exception {
        InputChanges.writeModels(dir);
    }

    @ParameterizedTest
    @ValueSource(strings = {EXME, TIES})
    void truncatedMidTensorIsTheInputThatChanged(String yaml) {
        Path base = file(dir, "base");
        InputChangedException e = InputChanges.mergeFails(dir, yaml, "out", "java",
                InputChanges.at(1, () -> InputChanges.truncate(base, 4096)));
        InputChanges.assertNames(e, base);
        assertThat(e.kind()).isEqualTo(ExmergeException.Kind.INPUT);
        assertThat(e.kind().exitCode()).isEqualTo(3);
        assertThat(e.getMessage()).contains("bytes when opened, now 4,096");
        assertThat(InputWatch.isFault(e.getCause())).as("the mapped read faulted: %s", e.getCause()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {EXME, TIES})
    void truncatedTorchFileMidTensorIsTheInputThatChanged(String yaml) throws Exception {
        Path torch = dir.resolve("torch");
        InputChanges.writeTorchModels(torch);
        Path base = InputChanges.torchFile(torch, "base");
        InputChangedException e = InputChanges.mergeFails(torch, yaml, "out", "java",
                InputChanges.at(1, () -> InputChanges.truncate(base, 4096)));
        InputChanges.assertNames(e, base);
        assertThat(e.kind().exitCode()).isEqualTo(3);
        assertThat(e.getMessage()).contains("bytes when opened, now 4,096");
        assertThat(InputWatch.isFault(e.getCause())).as("the mapped read faulted: %s", e.getCause()).isTrue();
    }

    @Test
    void torchFileRewrittenInPlaceIsCaughtBeforeTheCommit() throws Exception {
        Path torch = dir.resolve("torch");
        InputChanges.writeTorchModels(torch);
        Path sft = InputChanges.torchFile(torch, "sft1");
        InputChangedException e = InputChanges.mergeFails(torch, EXME, "out", "java",
                InputChanges.at(2, () -> InputChanges.rewriteInPlace(sft, InputChanges.torchFile(torch, "sft2"))));
        InputChanges.assertNames(e, sft);
        assertThat(e.getMessage()).contains("modified at");
    }

    @Test
    void truncatedBeforeItsTensorIsMapped() {
        // The per-tensor map of a later tensor fails (the region is past the end): still the change.
        Path sft = file(dir, "sft2");
        InputChangedException e = InputChanges.mergeFails(dir, EXME, "out", "java",
                InputChanges.at(0, () -> InputChanges.truncate(sft, 100)));
        InputChanges.assertNames(e, sft);
    }

    @Test
    void sameSizeRewriteIsCaughtBeforeTheCommit() {
        Path base = file(dir, "base");
        InputChangedException e = InputChanges.mergeFails(dir, EXME, "out", "java",
                InputChanges.at(2, () -> InputChanges.rewriteInPlace(base, file(dir, "sft1"))));
        InputChanges.assertNames(e, base);
        assertThat(e.getMessage()).contains("modified at");
        assertThat(e.getCause()).isNull();
    }

    @Test
    void replacedByAnotherFileIsCaughtBeforeTheCommit() {
        // mv over the path: the run keeps reading the old inode through its mapping, but tensors
        // mapped later open the path again and get the new file's bytes.
        Path sft = file(dir, "sft1");
        InputChangedException e = InputChanges.mergeFails(dir, EXME, "out", "java", InputChanges.at(1, () -> {
            try {
                Path copy = dir.resolve("copy.safetensors");
                Files.copy(file(dir, "sft2"), copy);
                Files.move(copy, sft, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (Exception x) {
                throw new AssertionError(x);
            }
        }));
        InputChanges.assertNames(e, sft);
        assertThat(e.getMessage()).contains("replaced by another file");
    }

    @Test
    void truncatedDuringTheModelScopeSurvey() throws Exception {
        Path sft = file(dir, "sft1");
        InputChangedException e = InputChanges.executeFails(dir, TIES_MODEL_SCOPE, "out",
                InputChanges.hooked(Backends.java(), () -> InputChanges.truncate(sft, 4096)));
        InputChanges.assertNames(e, sft);
        assertThat(InputWatch.isFault(e.getCause())).as("the survey's read faulted: %s", e.getCause()).isTrue();
    }

    /** sft1's tensors are LoRA-adapted, worked out as each is bound: the fault comes in that work, on a worker. */
    @Test
    void truncatedUnderAnAdaptedModelIsTheInputThatChanged() throws Exception {
        InputChanges.writeAdapter(dir);
        Path sft = file(dir, "sft1");
        InputChangedException e = InputChanges.mergeFails(dir, InputChanges.EXME_ADAPTED, "out", "java",
                InputChanges.at(1, () -> InputChanges.truncate(sft, 4096)));
        InputChanges.assertNames(e, sft);
        assertThat(e.kind().exitCode()).isEqualTo(3);
        assertThat(InputWatch.isFault(e.getCause())).as("the adapting read faulted: %s", e.getCause()).isTrue();
    }

    @Test
    void anUnchangedRunStillCommits() throws Exception {
        Path out = org.exmerge.testing.EngineRuns.merge(dir, EXME, "out", InputChanges.opts(dir, "java"));
        assertThat(out.resolve("model.safetensors")).exists();
    }
}
