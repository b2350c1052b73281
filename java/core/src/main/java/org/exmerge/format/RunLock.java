package org.exmerge.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The lock that marks a temporary output directory as owned by a live run: a file
 * {@code .<name>.tmp-<random>.lock} beside the directory, held with an exclusive file lock for the
 * run's life. The operating system drops the lock when the process dies however it dies (SIGKILL,
 * power loss), so a later run that can take the lock knows the owner is gone and may remove the
 * directory; a lock another process or this JVM holds is never taken.
 */
final class RunLock {
    private static final String SUFFIX = ".lock";
    private static final String FRESH = ".new";

    private final Path temp;
    private final Path file;
    private final FileChannel channel;

    private RunLock(Path temp, Path file, FileChannel channel) {
        this.temp = temp;
        this.file = file;
        this.channel = channel;
    }

    /** The temporary directory this lock guards (not yet created). */
    Path temp() {
        return temp;
    }

    /**
     * Takes a fresh lock for a new temporary directory of {@code target}. The lock file is created
     * and locked under a name the sweep ignores, then renamed to its real name, so no sweep can ever
     * see it unlocked.
     */
    static RunLock acquire(Path target) throws IOException {
        while (true) {
            Path temp = OutputDirectory.siblingName(target, "tmp");
            Path file = temp.resolveSibling(temp.getFileName() + SUFFIX);
            Path fresh = temp.resolveSibling(temp.getFileName() + FRESH);
            FileChannel ch;
            try {
                ch = FileChannel.open(fresh, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            } catch (FileAlreadyExistsException taken) {
                continue;
            }
            try {
                ch.lock();
                ch.write(ByteBuffer.wrap(("exmerge run, pid " + ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)));
                Files.move(fresh, file, StandardCopyOption.ATOMIC_MOVE);
                return new RunLock(temp, file, ch);
            } catch (IOException | RuntimeException e) {
                ch.close();
                Files.deleteIfExists(fresh);
                throw e;
            }
        }
    }

    /** Deletes the lock file, then lets the lock go. Idempotent. */
    void release() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // an unlocked leftover lock file is removed by the next sweep
        }
        unlock();
    }

    /** Lets the lock go but keeps the file, so the next run on this target removes what is left. */
    void unlock() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing drops the lock either way
        }
    }

    /**
     * Removes what dead runs left next to {@code target}: each temporary directory whose lock can
     * be taken, with its lock file. Then, if no live run holds a lock on this target, a
     * {@code .<name>.old-*} directory (a previous model being replaced when its run died) is put
     * back at the target's name if that name is empty, or removed if the replacement is in place.
     */
    static void sweep(Path target) throws IOException {
        String prefix = "." + target.getFileName() + ".";
        List<Path> locks = new ArrayList<>();
        List<Path> olds = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(target.getParent())) {
            for (Path e : entries) {
                String n = e.getFileName().toString();
                if (n.startsWith(prefix + "tmp-") && (n.endsWith(SUFFIX) || n.endsWith(FRESH))) {
                    locks.add(e);
                } else if (n.startsWith(prefix + "old-") && Files.isDirectory(e, LinkOption.NOFOLLOW_LINKS)) {
                    olds.add(e);
                }
            }
        }
        boolean live = false;
        for (Path lock : locks) {
            live |= !removeIfOrphaned(lock);
        }
        if (live) {
            return;
        }
        for (Path old : olds) {
            if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                Files.move(old, target, StandardCopyOption.ATOMIC_MOVE);
            } else {
                FileTrees.deleteTree(old);
            }
        }
    }

    /** True when the lock was free: its directory and the lock file are gone now. False: a live run holds it. */
    private static boolean removeIfOrphaned(Path lockFile) throws IOException {
        String n = lockFile.getFileName().toString();
        Path temp = lockFile.resolveSibling(n.substring(0, n.lastIndexOf('.')));
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
            FileLock l;
            try {
                l = ch.tryLock();
            } catch (OverlappingFileLockException heldInThisJvm) {
                return false;
            }
            if (l == null) {
                return false;
            }
            FileTrees.deleteTree(temp);
            Files.deleteIfExists(lockFile);
            return true;
        } catch (NoSuchFileException goneMeanwhile) {
            return true;
        }
    }
}
