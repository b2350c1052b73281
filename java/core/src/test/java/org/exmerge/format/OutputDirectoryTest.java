package org.exmerge.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.stream.Stream;
import org.exmerge.error.UsageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The temp-sibling-then-rename life cycle of an output model. */
class OutputDirectoryTest {
    @TempDir
    Path root;

    private List<String> entries() throws Exception {
        try (Stream<Path> s = Files.list(root)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void tempDirectoryIsAHiddenSibling() throws Exception {
        try (OutputDirectory out = OutputDirectory.create(root.resolve("model"))) {
            assertThat(out.path().getParent()).isEqualTo(root);
            assertThat(out.path().getFileName().toString()).startsWith(".model.tmp-");
            assertThat(out.path()).isDirectory();
            assertThat(out.target()).isEqualTo(root.resolve("model"));
        }
    }

    @Test
    void createMakesMissingParents() throws Exception {
        try (OutputDirectory out = OutputDirectory.create(root.resolve("a/b/model"))) {
            assertThat(out.path().getParent()).isEqualTo(root.resolve("a/b"));
        }
    }

    @Test
    void commitRenamesIntoPlace() throws Exception {
        Path target = root.resolve("model");
        try (OutputDirectory out = OutputDirectory.create(target)) {
            Files.writeString(out.path().resolve("config.json"), "{}");
            out.commit(false);
        }
        assertThat(target.resolve("config.json")).hasContent("{}");
        assertThat(entries()).containsExactly("model");
    }

    @Test
    void closeWithoutCommitDeletesEverything() throws Exception {
        try (OutputDirectory out = OutputDirectory.create(root.resolve("model"))) {
            Files.createDirectories(out.path().resolve("sub"));
            Files.writeString(out.path().resolve("sub/x"), "x");
        }
        assertThat(entries()).isEmpty();
    }

    @Test
    void abortIsIdempotentAndForbidsCommit() throws Exception {
        OutputDirectory out = OutputDirectory.create(root.resolve("model"));
        out.abort();
        out.abort();
        out.close();
        assertThat(entries()).isEmpty();
        assertThatThrownBy(() -> out.commit(true)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void abortAfterCommitKeepsTheModel() throws Exception {
        OutputDirectory out = OutputDirectory.create(root.resolve("model"));
        out.commit(false);
        out.abort();
        assertThat(root.resolve("model")).isDirectory();
        assertThatThrownBy(() -> out.commit(false)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void existingTargetIsKeptWithoutOverwrite() throws Exception {
        Path target = Files.createDirectory(root.resolve("model"));
        Files.writeString(target.resolve("old"), "old");
        try (OutputDirectory out = OutputDirectory.create(target)) {
            assertThatThrownBy(() -> out.commit(false)).isInstanceOf(FileAlreadyExistsException.class)
                    .hasMessageContaining("overwrit");
        }
        assertThat(target.resolve("old")).hasContent("old");
        assertThat(entries()).containsExactly("model");
    }

    @Test
    void emptyExistingDirectoryIsNotSilentlyReplaced() throws Exception {
        // rename(2) would replace an empty directory without complaint; commit must check first.
        Path target = Files.createDirectory(root.resolve("model"));
        try (OutputDirectory out = OutputDirectory.create(target)) {
            assertThatThrownBy(() -> out.commit(false)).isInstanceOf(FileAlreadyExistsException.class);
        }
    }

    @Test
    void overwriteReplacesTheOldModelAndLeavesNothingBehind() throws Exception {
        Path target = OutputGuardTest.exmergeModel(root.resolve("model"), "exmerge.version");
        Path outside = Files.writeString(root.resolve("outside"), "keep");
        Files.createSymbolicLink(target.resolve("tokenizer.json"), outside);
        try (OutputDirectory out = OutputDirectory.create(target)) {
            Files.writeString(out.path().resolve("new"), "new");
            out.commit(true);
        }
        assertThat(target.resolve("new")).hasContent("new");
        assertThat(target.resolve("model.safetensors")).doesNotExist();
        assertThat(outside).hasContent("keep"); // deleting the old tree does not follow links out of it
        assertThat(entries()).containsExactly("model", "outside");
    }

    @Test
    void overwriteNeverReplacesAFile() throws Exception {
        Path target = Files.writeString(root.resolve("model"), "a file");
        try (OutputDirectory out = OutputDirectory.create(target)) {
            assertThatThrownBy(() -> out.commit(true)).isInstanceOf(UsageException.class).hasMessageContaining("is a file");
        }
        assertThat(target).hasContent("a file");
        assertThat(entries()).containsExactly("model");
    }

    @Test
    void committedDirectoryIsNotOwnerOnly() throws Exception {
        assumeTrue(root.getFileSystem().supportedFileAttributeViews().contains("posix"), "POSIX permissions");
        Path target = root.resolve("model");
        try (OutputDirectory out = OutputDirectory.create(target)) {
            out.commit(false);
        }
        // Same mode as a plain mkdir under this umask, not createTempDirectory's 0700.
        Path plain = Files.createDirectory(root.resolve("plain"));
        assertThat(Files.getPosixFilePermissions(target)).isEqualTo(Files.getPosixFilePermissions(plain));
        assertThat(Files.getPosixFilePermissions(target)).contains(PosixFilePermission.OWNER_WRITE);
    }
}
