package org.exmerge.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A lock file is rewritten by its holder, so what is at its name must be a plain file of its own. */
class FileLocksTest {
    @TempDir
    Path dir;

    @Test
    void holdsAndSaysWho() throws IOException {
        Path lock = dir.resolve(".x.lock");
        try (FileChannel ch = FileLocks.hold(lock, "test")) {
            assertThat(ch).isNotNull();
            assertThat(FileLocks.holderPid(lock)).isEqualTo(Long.toString(ProcessHandle.current().pid()));
            assertThat(FileLocks.hold(lock, "again")).as("held in this JVM").isNull();
        }
        try (FileChannel ch = FileLocks.hold(lock, "test")) {
            assertThat(ch).as("a dead holder's file is taken over").isNotNull();
        }
    }

    @Test
    void aSymbolicLinkIsNeverFollowed() throws IOException {
        Path mine = Files.writeString(dir.resolve("thesis.txt"), "years of work");
        Path lock = Files.createSymbolicLink(dir.resolve(".x.lock"), mine);
        assertThatThrownBy(() -> FileLocks.hold(lock, "test")).isInstanceOf(FileSystemException.class)
                .hasMessageContaining("symbolic link");
        assertThat(Files.readString(mine)).isEqualTo("years of work");
        Files.delete(mine);
        assertThatThrownBy(() -> FileLocks.hold(lock, "test")).as("a dangling link is not created through")
                .isInstanceOf(FileSystemException.class);
        assertThat(mine).doesNotExist();
    }

    @Test
    void aFileWithOtherHardLinksIsNotTruncated() throws IOException {
        Path mine = Files.writeString(dir.resolve("thesis.txt"), "years of work");
        Path lock = Files.createLink(dir.resolve(".x.lock"), mine);
        assertThatThrownBy(() -> FileLocks.hold(lock, "test")).hasMessageContaining("hard links");
        assertThat(Files.readString(mine)).isEqualTo("years of work");
    }

    @Test
    void aDirectoryIsNoLockFile() throws IOException {
        Path lock = Files.createDirectory(dir.resolve(".x.lock"));
        assertThatThrownBy(() -> FileLocks.hold(lock, "test")).hasMessageContaining("not a plain file");
    }
}
