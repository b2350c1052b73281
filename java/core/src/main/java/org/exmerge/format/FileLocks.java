package org.exmerge.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

    private static final Pattern PID = Pattern.compile("pid (\\d+)");

    /**
     * Locks {@code file} (created if missing) for this process and writes "{@code who}, pid N" into it,
     * so that the next run can say which live process holds it ({@link #holderPid}); null when a live
     * process already holds it. The lock lasts until the returned channel is closed.
     */
    public static FileChannel hold(Path file, String who) throws IOException {
        requireOwnFile(file);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS);
        try {
            requireOwnFile(file); // a link put there between the check and the open
            if (tryLock(ch) == null) {
                ch.close();
                return null;
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((who + ", pid " + ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            return ch;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * Refuses a lock file that could be someone else's data: the holder truncates and rewrites it, so a
     * symbolic link (its target would be emptied), a file with other hard links, or anything but a
     * plain file is never opened as one.
     */
    private static void requireOwnFile(Path file) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException none) {
            return;
        }
        boolean linked = false;
        if (a.isRegularFile()) {
            try {
                linked = ((Number) Files.getAttribute(file, "unix:nlink", LinkOption.NOFOLLOW_LINKS)).intValue() > 1;
            } catch (UnsupportedOperationException | IllegalArgumentException noUnixView) {
                linked = false;
            }
        }
        if (!a.isRegularFile() || linked) {
            String what = a.isSymbolicLink() ? "a symbolic link" : linked ? "a file with other hard links" : "not a plain file";
            throw new FileSystemException(file.toString(), null, "is " + what + ", so it is not used as a lock file (the lock"
                    + " rewrites it); remove it if it is no run's");
        }
    }

    /** The pid the holder of a {@link #hold} lock wrote, or null when it has not yet (or the file cannot be read). */
    public static String holderPid(Path file) {
        try {
            Matcher m = PID.matcher(Files.readString(file, StandardCharsets.UTF_8));
            return m.find() ? m.group(1) : null;
        } catch (IOException e) {
            return null;
        }
    }
}
