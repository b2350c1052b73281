package org.exmerge.error;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Turns Java's I/O exceptions into reasons a person can act on. {@code AccessDeniedException} and
 * {@code NoSuchFileException} carry only the path as their message, and reading a directory fails
 * with a bare "Is a directory" that names no file, so a message built from {@code getMessage()}
 * says either the file or the reason, never both. Every place that opens a recipe, an input or the
 * output builds its one-line message here: the file, then the reason.
 */
public final class IoErrors {
    private IoErrors() {}

    /**
     * The reason alone, lower case: "permission denied", "no such file or directory", "is a
     * directory", "not a directory", "already exists", or the operating system's own words.
     */
    public static String reason(IOException e) {
        if (e instanceof FileSystemException f && f.getReason() != null && !f.getReason().isBlank()) {
            return lowerFirst(f.getReason()); // the OS's strerror text, or a caller's own words
        }
        String r = switch (e) {
            case AccessDeniedException a -> "permission denied";
            case NoSuchFileException n -> "no such file or directory";
            case NotDirectoryException n -> "not a directory";
            case FileAlreadyExistsException f -> "already exists";
            case DirectoryNotEmptyException d -> "directory not empty";
            case CharacterCodingException c -> "not valid text in the expected encoding";
            default -> e.getMessage();
        };
        if (r == null || r.isBlank()) {
            return e.getClass().getSimpleName();
        }
        return lowerFirst(r);
    }

    /**
     * The OS's strerror text ("Is a directory", "Read-only file system") reads better lower case
     * after a colon; an acronym ("EOF") keeps its case.
     */
    private static String lowerFirst(String r) {
        return Character.isUpperCase(r.charAt(0)) && (r.length() == 1 || !Character.isUpperCase(r.charAt(1)))
                ? r.substring(0, 1).toLowerCase(Locale.ROOT) + r.substring(1) : r;
    }

    /** The file the exception concerns when it says so, else {@code fallback}. */
    public static Path file(IOException e, Path fallback) {
        if (e instanceof FileSystemException f && f.getFile() != null) {
            return Path.of(f.getFile());
        }
        return fallback;
    }

    /**
     * One line: {@code subject: reason}, and the file the system named in parentheses when it is
     * another one (a shard of the model, the directory a temporary file was to go in).
     */
    public static String describe(Path subject, IOException e) {
        Path f = file(e, subject);
        // Another spelling of the subject (relative, or with ".." in it) is not another file.
        boolean same = f.toAbsolutePath().normalize().equals(subject.toAbsolutePath().normalize());
        String where = same ? "" : " (" + f + ")";
        return subject + ": " + reason(e) + where;
    }

    /**
     * An input that could not be read: kind INPUT, message {@code file: reason}, naming the file the
     * system named (a shard inside a model directory) when it named one.
     */
    public static InputException input(Path file, IOException e) {
        return new InputException(file(e, file) + ": " + reason(e), e);
    }
}
