package org.exmerge.format;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;

/**
 * An output model's directory, built under a temporary sibling name and renamed into place only when
 * complete (SPEC §8), so a crash or Ctrl-C never leaves a half-written model under the real name.
 * The sibling lives in the target's parent so the final rename stays on one file system and is atomic.
 */
public final class OutputDirectory implements AutoCloseable {
    private enum State { OPEN, COMMITTED, ABORTED }

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path target;
    private final Path temp;
    private State state = State.OPEN;

    private OutputDirectory(Path target, Path temp) {
        this.target = target;
        this.temp = temp;
    }

    /** Creates {@code .<name>.tmp-<random>} next to {@code target} (and the parent, if missing). */
    public static OutputDirectory create(Path target) throws IOException {
        Path t = target.toAbsolutePath().normalize();
        Path parent = t.getParent();
        if (parent == null || t.getFileName() == null) {
            throw new IOException("cannot write a model to the root directory " + t);
        }
        Files.createDirectories(parent);
        return new OutputDirectory(t, createSibling(t, "tmp"));
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
                        "output exists; choose another path or allow overwriting");
            }
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
            syncDirectory(target.getParent());
        }
        if (old != null) {
            try {
                deleteTree(old);
            } catch (IOException leftover) {
                // The new model is in place and the commit succeeded; what remains is a hidden
                // .<name>.old- directory, which failing the commit would not remove either.
            }
        }
    }

    /** Deletes the temporary tree unless committed. Idempotent and quiet, so a shutdown hook may call it. */
    public synchronized void abort() {
        if (state != State.OPEN) {
            return;
        }
        state = State.ABORTED;
        try {
            deleteTree(temp);
        } catch (IOException ignored) {
            // Best effort: a leftover hidden .tmp- directory is harmless and visibly named.
        }
    }

    /** Aborts unless committed. */
    @Override
    public void close() {
        abort();
    }

    /**
     * Creates {@code .<name>.<kind>-<random>} next to the target. Not Files.createTempDirectory: that
     * makes the directory owner-only (0700) on POSIX, and the renamed model would keep that mode.
     */
    private static Path createSibling(Path target, String kind) throws IOException {
        while (true) {
            Path p = target.resolveSibling("." + target.getFileName() + "." + kind + "-"
                    + Long.toUnsignedString(RANDOM.nextLong(), 36));
            try {
                return Files.createDirectory(p);
            } catch (FileAlreadyExistsException taken) {
                // another run drew the same name; draw again
            }
        }
    }

    /** A fresh unused name next to the target: the empty directory claims it, then is removed. */
    private Path reserveSibling(String kind) throws IOException {
        Path p = createSibling(target, kind);
        Files.delete(p);
        return p;
    }

    /** Makes the rename durable where the platform lets a directory be forced; elsewhere it is skipped. */
    private static void syncDirectory(Path dir) {
        try (FileChannel c = FileChannel.open(dir, StandardOpenOption.READ)) {
            c.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // Windows cannot open directories as channels; the rename itself is still atomic.
        }
    }

    /** Deletes a tree without following symbolic links out of it. */
    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
