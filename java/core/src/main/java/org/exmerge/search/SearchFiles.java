package org.exmerge.search;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.exmerge.format.FileTrees;

/** File helpers of a search's working directory. */
final class SearchFiles {
    private SearchFiles() {}

    /** Writes a small text file durably: a temp sibling, forced, renamed over the name, directory forced. */
    static void writeDurably(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            c.write(java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
            c.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        FileTrees.syncDirectory(file.toAbsolutePath().getParent());
    }
}
