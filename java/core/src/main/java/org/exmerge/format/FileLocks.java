package org.exmerge.format;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;

/** The exclusive file locks that mark a run's files as a live process's (a merge's temporary, a search's working directory). */
public final class FileLocks {
    private FileLocks() {}

    /**
     * The lock on {@code ch}'s whole file, or null when a live process holds it, this JVM included
     * (which {@link FileChannel#tryLock} reports by throwing rather than by null).
     */
    public static FileLock tryLock(FileChannel ch) throws IOException {
        try {
            return ch.tryLock();
        } catch (OverlappingFileLockException heldInThisJvm) {
            return null;
        }
    }
}
