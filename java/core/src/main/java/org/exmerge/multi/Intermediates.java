package org.exmerge.multi;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Collection;
import org.exmerge.engine.OutputException;
import org.exmerge.error.UsageException;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.FileLocks;
import org.exmerge.format.OutputGuard;

/**
 * The intermediate directory of an {@code exmerge multi} run, held for the run. A named document's
 * result is {@code DIR/<name>}, written by the merge machinery (temporary sibling, one rename) with
 * its key ({@link ChainKey}) in the safetensors metadata under {@link #KEY}. That key is the only
 * proof a directory there is multi's own: one without it (the user's, another command's output) is
 * never replaced, one with another key is stale and redone, one with this run's key is skipped.
 * The run holds {@link #LOCK} with an exclusive file lock, so a second run on the directory is
 * refused while the first lives, and goes ahead after its death however it died.
 */
public final class Intermediates implements AutoCloseable {
    /** The metadata key that records what an intermediate was made from. */
    public static final String KEY = "exmerge.multi";
    static final String LOCK = ".exmerge-multi.lock";

    private final FileChannel lock;

    private Intermediates(FileChannel lock) {
        this.lock = lock;
    }

    /**
     * Refuses a directory where writing intermediates could destroy something: the root, the working
     * directory or a parent of it, one that is or holds an input, or a file.
     */
    public static void requireSafePlace(Path dir, Collection<Path> inputs) throws IOException {
        OutputGuard.requireSafePlace(dir, inputs, "write intermediates into", "--intermediate-dir");
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new UsageException(dir + ": is a file, not a directory; --intermediate-dir names where intermediates go");
        }
    }

    /** Creates the directory if need be and takes its lock, or says which live run holds it. */
    public static Intermediates open(Path dir) throws IOException {
        try {
            Files.createDirectories(dir);
        } catch (FileAlreadyExistsException e) {
            throw new OutputException(dir, (IOException) new NotDirectoryException(e.getFile()).initCause(e));
        } catch (IOException e) {
            throw new OutputException(dir, e);
        }
        Path file = dir.resolve(LOCK);
        FileChannel ch;
        try {
            ch = FileLocks.hold(file, "exmerge multi");
        } catch (IOException e) {
            throw new OutputException(file, e);
        }
        if (ch == null) {
            String owner = FileLocks.holderPid(file);
            throw new OutputException(dir + ": another exmerge multi" + (owner == null ? "" : " (pid " + owner + ")")
                    + " is using this intermediate directory; wait for it to end or choose another --intermediate-dir");
        }
        return new Intermediates(ch);
    }

    /**
     * The key recorded in the intermediate at {@code model}, or null when there is none there.
     * Anything there that multi did not write, or that holds more than the model it wrote, is
     * refused: it is never replaced.
     */
    public static String recordedKey(Path model) throws IOException {
        if (!Files.exists(model, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        String key = null;
        if (Files.isDirectory(model, LinkOption.NOFOLLOW_LINKS) && Checkpoint.holdsModel(model)) {
            try (Checkpoint c = Checkpoint.open(model)) {
                key = c.metadata().get(KEY);
            } catch (IOException notAModel) {
                key = null;
            }
        }
        if (key == null) {
            throw new OutputException(model + ": exmerge multi did not write what is there (no " + KEY + " in its metadata),"
                    + " so it is never replaced; move it away or choose another --intermediate-dir");
        }
        try {
            OutputGuard.requireReplaceable(model);
        } catch (UsageException e) {
            throw new OutputException(e.getMessage());
        }
        return key;
    }

    /** Lets the lock go; the file stays, so no other run can lock a file this name no longer reaches. */
    @Override
    public void close() throws IOException {
        lock.close();
    }
}
