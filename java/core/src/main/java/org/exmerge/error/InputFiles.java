package org.exmerge.error;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Whether a file an input model may hold is there to read. {@code Files.isRegularFile} answers false
 * alike for a name that is absent and for one that is a directory, a dangling or looping link or a
 * FIFO, so code asking it drops a broken file as if the model had none; here only absence is absence.
 */
public final class InputFiles {
    private InputFiles() {}

    /**
     * False when nothing has that name; true for a regular file (through links); otherwise an
     * {@link InputException} naming the file and why it cannot be read.
     */
    public static boolean present(Path file) throws InputException {
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        String why = problem(file);
        if (why != null) {
            throw new InputException(file + ": " + why);
        }
        return true;
    }

    /**
     * Why a name that exists cannot be read as a regular file ("is a directory", "dangling symbolic
     * link to X", "too many levels of symbolic links", "not a regular file (a FIFO, socket or
     * device)"), or null when it can.
     */
    public static String problem(Path file) {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return Files.isSymbolicLink(file) ? "dangling symbolic link to " + target(file) : "no such file or directory";
        } catch (IOException e) {
            return IoErrors.reason(e); // a link loop's ELOOP, a directory on the way that may not be searched
        }
        if (a.isDirectory()) {
            return "is a directory";
        }
        if (!a.isRegularFile()) {
            return "not a regular file (a FIFO, socket or device)";
        }
        return Files.isReadable(file) ? null : "permission denied";
    }

    private static String target(Path link) {
        try {
            return "'" + Files.readSymbolicLink(link) + "', which does not exist";
        } catch (IOException e) {
            return "a target that does not exist";
        }
    }
}
