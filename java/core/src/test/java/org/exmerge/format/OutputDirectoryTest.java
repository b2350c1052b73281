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

    @Test
    void createdParentsAreRemovedWhenNothingIsCommitted() throws Exception {
        try (OutputDirectory out = OutputDirectory.create(root.resolve("a/b/model"))) {
            assertThat(out.path().getParent()).isEqualTo(root.resolve("a/b"));
        }
        assertThat(entries()).isEmpty();
        Files.createDirectory(root.resolve("a"));
        Files.writeString(root.resolve("a/keep"), "x");
        OutputDirectory.create(root.resolve("a/b/model")).abort();
        assertThat(entries()).containsExactly("a"); // only what the run created goes
        assertThat(root.resolve("a/keep")).exists();
        try (OutputDirectory out = OutputDirectory.create(root.resolve("a/b/model"))) {
            out.commit(false);
        }
        assertThat(root.resolve("a/b/model")).isDirectory();
    }

    @Test
    void anyNameTheFileSystemTakesCanBeAnOutput() throws Exception {
        for (String name : List.of("n".repeat(255), "é".repeat(127), "n".repeat(231))) {
            Path target = root.resolve(name);
            try (OutputDirectory out = OutputDirectory.create(target)) {
                Files.writeString(out.path().resolve("config.json"), "{}");
                out.commit(false);
            }
            assertThat(target.resolve("config.json")).hasContent("{}");
            FileTrees.deleteTree(target);
        }
        assertThat(entries()).isEmpty();
    }

    @Test
    void renameExchangeSwapsTwoDirectories() throws Exception {
        assumeTrue(RenameExchange.available(), "renameat2 in this C library");
        Path a = Files.createDirectory(root.resolve("a"));
        Path b = Files.createDirectory(root.resolve("b"));
        Files.writeString(a.resolve("x"), "was a");
        Files.writeString(b.resolve("y"), "was b");
        assumeTrue(RenameExchange.exchange(a, b), "RENAME_EXCHANGE on this file system");
        assertThat(a.resolve("y")).hasContent("was b");
        assertThat(b.resolve("x")).hasContent("was a");
        assertThatThrownBy(() -> RenameExchange.exchange(a, root.resolve("missing")))
                .isInstanceOf(java.nio.file.FileSystemException.class).hasMessageContaining("missing");
    }

    @Test
    void overwriteSwapsTheModelsInOneStepThenDeletesTheOldOne() throws Exception {
        assumeTrue(RenameExchange.available(), "renameat2 in this C library");
        Path target = OutputGuardTest.exmergeModel(root.resolve("model"), "exmerge.version");
        List<String> seen = new java.util.ArrayList<>();
        RenameExchange.Swap watched = (temp, out) -> {
            boolean swapped = RenameExchange.exchange(temp, out);
            // The instant after the swap: both names hold a model, the target the new one.
            seen.add(Files.readString(out.resolve("new")) + ", " + Files.exists(temp.resolve("model.safetensors")));
            return swapped;
        };
        try (OutputDirectory out = OutputDirectory.create(target, watched)) {
            Files.writeString(out.path().resolve("new"), "new");
            out.commit(true);
        }
        assertThat(seen).containsExactly("new, true");
        assertThat(target.resolve("new")).hasContent("new");
        assertThat(entries()).containsExactly("model");
    }

    @Test
    void withoutTheSwapCallOverwriteFallsBackToTwoRenames() throws Exception {
        Path target = OutputGuardTest.exmergeModel(root.resolve("model"), "exmerge.version");
        try (OutputDirectory out = OutputDirectory.create(target, (a, b) -> false)) {
            Files.writeString(out.path().resolve("new"), "new");
            out.commit(true);
        }
        assertThat(target.resolve("new")).hasContent("new");
        assertThat(target.resolve("model.safetensors")).doesNotExist();
        assertThat(entries()).containsExactly("model");
    }

    @Test
    void aSwapTheFileSystemRefusesLeavesTheOldModel() throws Exception {
        Path target = OutputGuardTest.exmergeModel(root.resolve("model"), "exmerge.version");
        try (OutputDirectory out = OutputDirectory.create(target, (a, b) -> {
            throw new java.nio.file.FileSystemException(b.toString(), null, "Device or resource busy");
        })) {
            assertThatThrownBy(() -> out.commit(true)).hasMessageContaining("busy");
        }
        assertThat(target.resolve("model.safetensors")).exists();
        assertThat(entries()).containsExactly("model");
    }
}
