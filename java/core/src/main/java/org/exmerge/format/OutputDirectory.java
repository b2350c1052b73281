package org.exmerge.format;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * An output model's directory, built under a temporary sibling name and renamed into place only when
 * complete (numerics §8), so a crash or Ctrl-C never leaves a half-written model under the real name.
 * The sibling lives in the target's parent so the final rename stays on one file system and is atomic.
 */
public final class OutputDirectory implements AutoCloseable {
    private enum State { OPEN, COMMITTED, ABORTED }

    private final Path target;
    private final Path temp;
    private final RunLock lock;
    private State state = State.OPEN;

    private OutputDirectory(Path target, Path temp, RunLock lock) {
        this.target = target;
        this.temp = temp;
        this.lock = lock;
    }

    /**
     * Creates {@code .<name>.tmp-<random>} next to {@code target} (and the parent, if missing), with
     * a lock file {@code .<name>.tmp-<random>.lock} held for the run's life. Temporaries of earlier
     * runs on the same target whose owner is gone (their lock can be taken) are removed first;
     * another live run's never are.
     */
    public static OutputDirectory create(Path target) throws IOException {
        Path t = target.toAbsolutePath().normalize();
        Path parent = t.getParent();
        if (parent == null || t.getFileName() == null) {
            throw new IOException("cannot write a model to the root directory " + t);
        }
        try {
            Files.createDirectories(parent);
        } catch (FileAlreadyExistsException e) {
            // createDirectories' way of saying that a file stands where a directory must be.
            throw (IOException) new NotDirectoryException(e.getFile()).initCause(e);
        }
        RunLock lock;
        try {
            RunLock.sweep(t);
            lock = RunLock.acquire(t);
        } catch (AccessDeniedException e) {
            // The denied path is a random hidden name; the directory it was to go in is what to fix.
            throw (IOException) new AccessDeniedException(parent.toString()).initCause(e);
        }
        try {
            return new OutputDirectory(t, Files.createDirectory(lock.temp()), lock);
        } catch (IOException | RuntimeException e) {
            lock.release();
            if (e instanceof AccessDeniedException) {
                throw (IOException) new AccessDeniedException(parent.toString()).initCause(e);
            }
            throw e;
        }
    }

    /** The temporary directory to write into. */
    public Path path() {
        return temp;
    }

    /** Where the model goes on commit. */
    public Path target() {
        return target;
    }

    /**
     * Renames the temporary directory to the target. An existing target is an error unless
     * {@code overwrite}; then it is first moved aside, the new one renamed in, and the old one deleted,
     * so at every instant the target name holds either the old model or the new one.
     *
     * @throws FileAlreadyExistsException when the target exists and overwrite is false
     * @throws IllegalStateException      after commit or abort
     */
    public void commit(boolean overwrite) throws IOException {
        commit(overwrite, true);
    }

    /** As {@link #commit(boolean)}; {@code sync} false skips forcing the parent directory (a scratch output). */
    public synchronized void commit(boolean overwrite, boolean sync) throws IOException {
        if (state != State.OPEN) {
            throw new IllegalStateException("output " + target + " is already " + state.name().toLowerCase());
        }
        Path old = null;
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            if (!overwrite) {
                throw new FileAlreadyExistsException(target.toString(), null,
                        "output exists; choose another path or allow overwriting (--overwrite)");
            }
            OutputGuard.requireReplaceable(target); // again: something else may have appeared there meanwhile
            old = reserveSibling("old");
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        }
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (old != null) {
                try {
                    Files.move(old, target, StandardCopyOption.ATOMIC_MOVE); // put the old model back
                } catch (IOException restore) {
                    e.addSuppressed(restore);
                }
            }
            throw e;
        }
        state = State.COMMITTED;
        if (sync) {
            FileTrees.syncDirectory(target.getParent());
        }
        if (old != null) {
            try {
                FileTrees.deleteTree(old);
            } catch (IOException leftover) {
                // The new model is in place and the commit succeeded; what remains is a hidden
                // .<name>.old- directory, which the next run on this target removes.
            }
        }
        lock.release();
    }

    /** Deletes the temporary tree unless committed. Idempotent and quiet, so a shutdown hook may call it. */
    public synchronized void abort() {
        if (state != State.OPEN) {
            return;
        }
        state = State.ABORTED;
        try {
            FileTrees.deleteTree(temp);
        } catch (IOException ignored) {
            // A leftover .tmp- directory keeps its lock file, so the next run on this target removes it.
            lock.unlock();
            return;
        }
        lock.release();
    }

    /** Aborts unless committed. */
    @Override
    public void close() {
        abort();
    }

    /**
     * {@code .<name>.<kind>-<random>} next to the target. Created with Files.createDirectory, not
     * Files.createTempDirectory: that makes the directory owner-only (0700) on POSIX, and the renamed
     * model would keep that mode. The name need not be unpredictable: every claim of it is exclusive
     * (a new directory, a CREATE_NEW lock file) and a taken name is drawn again; SecureRandom's
     * provider set-up would cost every run ~13 ms of start.
     */
    static Path siblingName(Path target, String kind) {
        return target.resolveSibling("." + target.getFileName() + "." + kind + "-" + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36));
    }

    /** A fresh unused name next to the target: the empty directory claims it, then is removed. */
    private Path reserveSibling(String kind) throws IOException {
        while (true) {
            Path p = siblingName(target, kind);
            try {
                Files.delete(Files.createDirectory(p));
                return p;
            } catch (FileAlreadyExistsException taken) {
                // drawn before; draw again
            }
        }
    }
}
