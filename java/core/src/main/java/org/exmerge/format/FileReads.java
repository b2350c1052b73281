package org.exmerge.format;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.exmerge.error.IoErrors;

/**
 * Reads of an input's structure (headers, directories, pickles) through its channel, not its mapping:
 * a file that shrinks while it is opened then ends a read with an error, where a mapped read would
 * fault.
 */
final class FileReads {
    private FileReads() {
    }

    /** Opens for reading; a failure names the file and the reason ("permission denied"), exit 3. */
    static FileChannel open(Path file) throws IOException {
        try {
            return FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
            throw IoErrors.input(file, e);
        }
    }

    /** Exactly {@code n} bytes at {@code position}, little-endian. */
    static ByteBuffer readFully(FileChannel ch, Path file, long position, int n) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(n);
        while (buf.hasRemaining()) {
            // Callers check the size first, so running short means the file shrank under us.
            if (ch.read(buf, position + buf.position()) < 0) {
                throw new EOFException(file + ": file ended while reading its header");
            }
        }
        return buf.flip().order(ByteOrder.LITTLE_ENDIAN);
    }
}
