package org.exmerge.format;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Whether a directory is a mount point. An output is replaced by renaming a directory built beside
 * it, and no rename can replace a mount point (EBUSY) or cross into another file system (EXDEV):
 * seen only after the whole merge, unless the run asks first.
 */
final class MountPoints {
    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    private MountPoints() {}

    static boolean isMountPoint(Path dir) throws IOException {
        Path real = dir.toRealPath();
        if (real.getParent() == null) {
            return true;
        }
        try {
            Object dev = Files.getAttribute(real, "unix:dev", LinkOption.NOFOLLOW_LINKS);
            if (!dev.equals(Files.getAttribute(real.getParent(), "unix:dev"))) {
                return true;
            }
        } catch (UnsupportedOperationException | IllegalArgumentException noUnixAttributes) {
            return false;
        }
        // A bind mount of a directory of the same file system keeps its device; Linux lists it.
        if (!Files.isReadable(MOUNTINFO)) {
            return false;
        }
        String wanted = real.toString();
        // Bytes as they are (ISO-8859-1 maps each to one char), so a name in any encoding reads back.
        for (String line : Files.readAllLines(MOUNTINFO, StandardCharsets.ISO_8859_1)) {
            String[] fields = line.split(" ", 6);
            if (fields.length > 4 && decode(fields[4]).equals(wanted)) {
                return true;
            }
        }
        return false;
    }

    /** A mountinfo path: space, tab, newline and backslash appear as octal escapes ({@code \040}). */
    static String decode(String field) {
        StringBuilder bytes = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length() && field.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                bytes.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                bytes.append(c);
            }
        }
        String raw = bytes.toString();
        return new String(raw.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    }
}
