package org.exmerge.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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

    /** A temporary directory as a killed run leaves it: recorded in its lock file, which no one holds. */
    private Path leftover(Path target) throws Exception {
        RunLock lock = RunLock.acquire(target);
        Path temp = Files.createDirectory(lock.temp());
        lock.ownTemp();
        Files.writeString(temp.resolve("model.safetensors"), "half written");
        lock.unlock();
        return temp;
    }

    @Test
    void aRunRemovesTemporariesWhoseOwnerIsGone() throws Exception {
        leftover(root.resolve("model"));
        leftover(root.resolve("model"));
        Path other = leftover(root.resolve("other")); // another target's: not this run's to touch
        try (OutputDirectory out = OutputDirectory.create(root.resolve("model"))) {
            out.commit(false);
        }
        assertThat(entries()).containsExactly(other.getFileName().toString(), other.getFileName() + ".lock", "model");
    }

    @Test
    void aUsersDirectoriesNamedLikeLeftoversAreNeverTouched() throws Exception {
        // Named as exmerge names its temporaries, but no lock file of a dead run proves them its own.
        Path backup = Files.createDirectory(root.resolve(".model.old-backup"));
        Files.writeString(backup.resolve("notes.txt"), "my hand-made backup");
        Path tmp = Files.createDirectory(root.resolve(".model.tmp-x"));
        Files.writeString(tmp.resolve("notes.txt"), "mine too");
        Files.writeString(root.resolve(".model.tmp-x.lock"), "exmerge run, pid 1\n"); // not a record this version writes
        Path garbage = Files.createDirectory(root.resolve(".model.old-y"));
        Files.writeString(root.resolve(".model.tmp-y.lock"), "whatever\n");
        List<String> before = entries();

        RunLock.sweep(root.resolve("model")); // the target absent: nothing may be moved to its name
        assertThat(entries()).isEqualTo(before);
        OutputGuardTest.exmergeModel(root.resolve("model"), "exmerge.version");
        RunLock.sweep(root.resolve("model")); // the target present: nothing may be deleted
        assertThat(backup.resolve("notes.txt")).hasContent("my hand-made backup");
        assertThat(tmp.resolve("notes.txt")).hasContent("mine too");
        assertThat(garbage).isDirectory();
    }

    @Test
    void aLeftoverNameNowHoldingSomethingElseIsLeftAlone() throws Exception {
        Path temp = leftover(root.resolve("model"));
        Path mine = Files.createDirectory(root.resolve("mine"));
        Files.writeString(mine.resolve("notes.txt"), "mine");
        FileTrees.deleteTree(temp);
        Files.move(mine, temp); // the same name, another directory: not the one the lock file records
        RunLock.sweep(root.resolve("model"));
        assertThat(temp.resolve("notes.txt")).hasContent("mine");
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
        Path temp = leftover(root.resolve("model"));
        Path lock = temp.resolveSibling(temp.getFileName() + ".lock");
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

    /** A run killed while replacing {@code target}: between the two renames, or after the new model is in. */
    private Path killedMidReplacement(Path target, boolean newModelIn) throws Exception {
        RunLock lock = RunLock.acquire(target);
        Path temp = Files.createDirectory(lock.temp());
        lock.ownTemp();
        Files.writeString(temp.resolve("model.safetensors"), "the new model");
        lock.ownReplaced();
        Files.move(target, lock.old());
        if (newModelIn) {
            Files.move(temp, target);
        }
        lock.unlock();
        return lock.old();
    }

    @Test
    void aReplacementCutShortPutsThePreviousModelBack() throws Exception {
        Path model = root.resolve("model");
        byte[] old = Files.readAllBytes(OutputGuardTest.exmergeModel(model, "exmerge.version").resolve("model.safetensors"));
        // Killed between moving the old model aside and renaming the new one in: the old one returns.
        killedMidReplacement(model, false);
        assertThat(model).doesNotExist();
        RunLock.sweep(model);
        assertThat(entries()).containsExactly("model");
        assertThat(Files.readAllBytes(model.resolve("model.safetensors"))).isEqualTo(old);
        // Killed after the new one was in place: the old one is what the user asked to replace.
        killedMidReplacement(model, true);
        RunLock.sweep(model);
        assertThat(entries()).containsExactly("model");
        assertThat(model.resolve("model.safetensors")).hasContent("the new model");
    }

    @Test
    void afterASwapTheReplacedModelUnderTheTemporaryNameIsRemoved() throws Exception {
        Path model = OutputGuardTest.exmergeModel(root.resolve("model"), "exmerge.version");
        RunLock lock = RunLock.acquire(model);
        Path temp = Files.createDirectory(lock.temp());
        lock.ownTemp();
        Files.writeString(temp.resolve("model.safetensors"), "the new model");
        lock.ownReplaced();
        assumeTrue(RenameExchange.exchange(temp, model), "renameat2(RENAME_EXCHANGE) on this system");
        lock.unlock(); // killed before deleting the old model
        RunLock.sweep(model);
        assertThat(entries()).containsExactly("model");
        assertThat(model.resolve("model.safetensors")).hasContent("the new model");
    }

    @Test
    void aNameTooLongForTheSuffixesGetsAShortStem() throws Exception {
        String longest = "n".repeat(255);
        Path target = root.resolve(longest);
        assertThat(RunLock.stem(target)).isNotEqualTo(longest);
        assertThat(RunLock.stem(root.resolve("n".repeat(254)))).isNotEqualTo(RunLock.stem(target));
        assertThat(RunLock.stem(root.resolve("model"))).isEqualTo("model");
        Path temp = leftover(target);
        assertThat(temp.getFileName().toString().getBytes(StandardCharsets.UTF_8).length + ".lock".length()).isLessThanOrEqualTo(255);
        RunLock.sweep(target);
        assertThat(entries()).isEmpty();
    }
}
