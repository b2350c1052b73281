package org.exmerge.search;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.exmerge.engine.OutputException;
import org.exmerge.format.FileTrees;

/**
 * File helpers of a search's working directory. The files a search writes at fixed names there are
 * recognised by their own first bytes, so a rerun replaces them but never a user's file of that name.
 */
final class SearchFiles {
    /** The names a search writes at the top of its working directory and replaces on every run. */
    static final List<String> OWN = List.of("report.md", "best.yaml", "alpha.png", "beta.png", "lambda.png");
    /** How report.md starts. */
    static final String REPORT_TITLE = "# exmerge search report: ";
    /** How every recipe a search writes starts (best.yaml). */
    static final String RECIPE_COMMENT = "# exmerge search ";
    /** The PNG text chunk (keyword NUL text) every plot carries. */
    static final String PLOT_MARK = "Software\0exmerge search";

    private SearchFiles() {}

    /** Writes a small text file durably: a temp sibling, forced, renamed over the name, directory forced. */
    static void writeDurably(Path file, String text) throws IOException {
        write(file, text.getBytes(StandardCharsets.UTF_8), true);
    }

    /**
     * Writes {@code bytes} at {@code file} through a temporary sibling and one rename; a failure (a
     * full disk) is an output error naming the file.
     */
    static void write(Path file, byte[] bytes, boolean durable) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        try {
            try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    c.write(b);
                }
                if (durable) {
                    c.force(true);
                }
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the next write of this file truncates it
            }
            throw new OutputException(file, e);
        }
        if (durable) {
            FileTrees.syncDirectory(file.toAbsolutePath().getParent());
        }
    }

    /**
     * Refuses to go on when {@code file} (one of {@link #OWN}) exists and a search did not write it.
     *
     * @throws OutputException naming the file
     */
    static void requireOwn(Path file) throws IOException {
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS) && !written(file)) {
            throw new OutputException(notOurs(file));
        }
    }

    static String notOurs(Path file) {
        return file + ": was not written by a search; move it away or choose another --workdir";
    }

    /** Whether a search wrote this file: a regular file (not a link) that starts as the search writes it. */
    static boolean written(Path file) throws IOException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(128);
        }
        String text = new String(head, StandardCharsets.ISO_8859_1);
        String name = file.getFileName().toString();
        if (name.endsWith(".png")) {
            return text.startsWith("\u0089PNG") && text.contains("tEXt" + PLOT_MARK);
        }
        return text.startsWith(name.endsWith(".md") ? REPORT_TITLE : RECIPE_COMMENT);
    }
}
