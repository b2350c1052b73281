package org.exmerge.format;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Objects;
import org.exmerge.text.Plain;

/** What a file was when it was opened: a truncation, rewrite or replacement changes one of these. */
record FileIdentity(long size, FileTime modified, Object key) {

    static FileIdentity of(Path file) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        return new FileIdentity(a.size(), a.lastModifiedTime(), a.fileKey());
    }

    /**
     * How the file at {@code path} now differs from this identity (its size, modification time, or
     * the file itself: another inode at the path), or null when it looks the same. Reads of a mapped
     * file see every change to it, so a run that read the file while it changed has mixed or missing
     * bytes. A rewrite that keeps the size and restores the modification time is not seen.
     */
    String changeAt(Path path) {
        FileIdentity now;
        try {
            now = of(path);
        } catch (NoSuchFileException e) {
            return "deleted";
        } catch (IOException e) {
            return "cannot be read: " + e.getMessage();
        }
        if (now.size() != size) {
            return Plain.format("%,d bytes when opened, now %,d", size, now.size());
        }
        if (!Objects.equals(now.key(), key)) {
            return "replaced by another file";
        }
        if (!now.modified().equals(modified)) {
            return "modified at " + now.modified() + ", after it was opened";
        }
        return null;
    }
}
