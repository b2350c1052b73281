package org.exmerge.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunLockTest {
    @TempDir
    Path root;

    /** Run in a child JVM: holds an exclusive lock on args[0] until killed. */
    public static void main(String[] args) throws Exception {
        try (FileChannel ch = FileChannel.open(Path.of(args[0]), StandardOpenOption.WRITE)) {
            ch.lock();
            System.out.println("locked");
            System.out.flush();
            Thread.sleep(600_000);
        }
    }

    private List<String> entries() throws Exception {
        try (Stream<Path> s = Files.list(root)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** A temporary directory as a run leaves it, with its lock file (unlocked). */
    private Path leftover(String id) throws Exception {
        Path temp = Files.createDirectory(root.resolve(".model.tmp-" + id));
        Files.writeString(temp.resolve("model.safetensors"), "half written");
        Files.writeString(root.resolve(".model.tmp-" + id + ".lock"), "exmerge run, pid 1\n");
        return temp;
    }

    @Test
    void aRunRemovesTemporariesWhoseOwnerIsGone() throws Exception {
        leftover("dead1");
        leftover("dead2");
        Files.createDirectory(root.resolve(".other.tmp-x")); // another target's: not ours to touch
        Files.writeString(root.resolve(".other.tmp-x.lock"), "");
        try (OutputDirectory out = OutputDirectory.create(root.resolve("model"))) {
            out.commit(false);
        }
        assertThat(entries()).containsExactly(".other.tmp-x", ".other.tmp-x.lock", "model");
    }

    @Test
    void aLiveRunsTemporaryIsNeverRemoved() throws Exception {
        try (OutputDirectory live = OutputDirectory.create(root.resolve("model"))) {
            Files.writeString(live.path().resolve("model.safetensors"), "in progress");
            try (OutputDirectory second = OutputDirectory.create(root.resolve("model"))) {
                assertThat(live.path().resolve("model.safetensors")).hasContent("in progress");
                second.abort();
            }
            live.commit(false);
        }
        assertThat(entries()).containsExactly("model");
    }

    @Test
    void anotherProcesssLockIsRespectedUntilThatProcessIsKilled() throws Exception {
        Path temp = leftover("other");
        Path lock = root.resolve(".model.tmp-other.lock");
        Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), RunLockTest.class.getName(), lock.toString()).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertThat(r.readLine()).isEqualTo("locked");
            RunLock.sweep(root.resolve("model"));
            assertThat(temp.resolve("model.safetensors")).exists();
            assertThat(lock).exists();
        } finally {
            holder.destroyForcibly(); // SIGKILL: the operating system drops its lock
            holder.waitFor(30, TimeUnit.SECONDS);
        }
        RunLock.sweep(root.resolve("model"));
        assertThat(entries()).isEmpty();
    }

    @Test
    void aReplacementCutShortPutsThePreviousModelBack() throws Exception {
        // Killed between moving the old model aside and renaming the new one in: the old one returns.
        Path old = OutputGuardTest.exmergeModel(root.resolve(".model.old-abc"), "exmerge.version");
        leftover("abc");
        RunLock.sweep(root.resolve("model"));
        assertThat(entries()).containsExactly("model");
        assertThat(root.resolve("model/model.safetensors")).exists();
        assertThat(old).doesNotExist();
        // Killed after the new one was in place: the old one is what the user asked to replace.
        OutputGuardTest.exmergeModel(root.resolve(".model.old-def"), "exmerge.version");
        RunLock.sweep(root.resolve("model"));
        assertThat(entries()).containsExactly("model");
    }
}
