package org.exmerge.format;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

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
    /** The target's missing parents this run created, outermost first: removed again if nothing is committed. */
    private final List<Path> madeParents;
    private final RenameExchange.Swap swap;
    private State state = State.OPEN;
    /** A failed replacement could not put the old model back: the lock file must stay to tell the next run. */
    private boolean oldAside;

    private OutputDirectory(Path target, Path temp, RunLock lock, List<Path> madeParents, RenameExchange.Swap swap) {
        this.target = target;
        this.temp = temp;
        this.lock = lock;
        this.madeParents = madeParents;
        this.swap = swap;
    }

    /**
     * Creates {@code .<name>.tmp-<id>} next to {@code target} (and the parents, if missing), with
     * a lock file {@code .<name>.tmp-<id>.lock} held for the run's life. What earlier runs on the
     * same target left when they died is cleaned up first ({@link RunLock#sweep}); another live
     * run's never is.
     */
    public static OutputDirectory create(Path target) throws IOException {
        return create(target, RenameExchange.SYSTEM);
    }

    /** As {@link #create(Path)}, replacing an existing target with {@code swap} (tests: a system without the call). */
    static OutputDirectory create(Path target, RenameExchange.Swap swap) throws IOException {
        Path t = target.toAbsolutePath().normalize();
        Path parent = t.getParent();
        if (parent == null || t.getFileName() == null) {
            throw new IOException("cannot write a model to the root directory " + t);
        }
        List<Path> made = makeParents(parent);
        RunLock lock = null;
        Path temp = null;
        boolean created = false;
        try {
            RunLock.sweep(t);
            lock = RunLock.acquire(t);
            temp = Files.createDirectory(lock.temp());
            lock.ownTemp();
            created = true;
            return new OutputDirectory(t, temp, lock, made, swap);
        } catch (AccessDeniedException e) {
            // The denied path is a random hidden name; the directory it was to go in is what to fix.
            throw (IOException) new AccessDeniedException(parent.toString()).initCause(e);
        } finally {
            if (!created) {
                if (temp != null) {
                    try {
                        FileTrees.deleteTree(temp);
                    } catch (IOException leftover) {
                        // an empty directory, not recorded as ours: left for the user to see
                    }
                }
                if (lock != null) {
                    lock.release();
                }
                removeEmpty(made);
            }
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
     * {@code overwrite}; then the two are swapped in one step ({@link RenameExchange}) and the old
     * model, now under the temporary name, is deleted, so at every instant the target name holds
     * either the old model or the new one. Where the system cannot swap, the old model is moved
     * aside first; a crash between that and the rename leaves it recorded in the lock file, and the
     * next run on this target puts it back before anything else.
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
            lock.ownReplaced();
            old = swap.exchange(temp, target) ? temp : replaceInTwoRenames();
        } else {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        }
        state = State.COMMITTED;
        if (sync) {
            FileTrees.syncDirectory(target.getParent());
        }
        if (old != null) {
            try {
                FileTrees.deleteTree(old);
            } catch (IOException leftover) {
                // The new model is in place and the commit succeeded. The lock file keeps its record
                // of the old one, so the next run on this target removes what is left of it.
                lock.unlock();
                return;
            }
        }
        lock.release();
    }

    /** Moves the old model aside, then the new one in; returns where the old one is. */
    private Path replaceInTwoRenames() throws IOException {
        Path old = lock.old();
        if (Files.exists(old, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(old.toString(), null, "cannot move the old output aside: the name is taken");
        }
        Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try {
                Files.move(old, target, StandardCopyOption.ATOMIC_MOVE); // put the old model back
            } catch (IOException restore) {
                oldAside = true;
                e.addSuppressed(restore);
            }
            throw e;
        }
        return old;
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
            // A leftover temporary directory keeps its lock file, so the next run on this target removes it.
            lock.unlock();
            return;
        }
        if (oldAside) {
            lock.unlock(); // the next run puts the old model back
            return;
        }
        lock.release();
        removeEmpty(madeParents);
    }

    /** Aborts unless committed. */
    @Override
    public void close() {
        abort();
    }

    /** Creates the missing directories down to {@code dir}; returns those it created, outermost first. */
    private static List<Path> makeParents(Path dir) throws IOException {
        List<Path> missing = new ArrayList<>();
        Path p = dir;
        while (p != null && !Files.exists(p)) {
            missing.addFirst(p);
            p = p.getParent();
        }
        if (p != null && !Files.isDirectory(p)) {
            throw new NotDirectoryException(p.toString());
        }
        List<Path> made = new ArrayList<>();
        try {
            for (Path m : missing) {
                try {
                    made.add(Files.createDirectory(m));
                } catch (FileAlreadyExistsException e) {
                    if (!Files.isDirectory(m)) {
                        // a file stands where a directory must be
                        throw (IOException) new NotDirectoryException(e.getFile()).initCause(e);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            removeEmpty(made);
            throw e;
        }
        return made;
    }

    /** Removes the directories a run created for its output, innermost first, as far as they are empty. */
    private static void removeEmpty(List<Path> made) {
        for (Path d : made.reversed()) {
            try {
                Files.deleteIfExists(d);
            } catch (IOException inUse) {
                return; // something else was put there meanwhile: it and its parents stay
            }
        }
    }
}
