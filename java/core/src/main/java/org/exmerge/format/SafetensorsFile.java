package org.exmerge.format;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Objects;
import org.exmerge.error.IoErrors;
import org.exmerge.text.Plain;

/**
 * One safetensors file, validated and memory-mapped. The whole file is one read-only mapping owned by
 * a shared {@link Arena}, so tensors of any size are plain slices (no 2 GB buffer limit) and may be
 * read from many threads; {@link #close()} unmaps it, after which slices must not be used.
 */
public final class SafetensorsFile implements AutoCloseable {
    private final Path path;
    private final SafetensorsHeader header;
    private final Arena arena;
    private final MemorySegment data;
    private final long dataStart;
    private final Identity opened;

    /** What a file was when it was opened: a truncation, rewrite or replacement changes one of these. */
    private record Identity(long size, FileTime modified, Object key) {
        static Identity of(Path file) throws IOException {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return new Identity(a.size(), a.lastModifiedTime(), a.fileKey());
        }
    }

    private SafetensorsFile(Path path, SafetensorsHeader header, Arena arena, MemorySegment data, long dataStart,
                            Identity opened) {
        this.path = path;
        this.header = header;
        this.arena = arena;
        this.data = data;
        this.dataStart = dataStart;
        this.opened = opened;
    }

    /** Reads and validates the header, then maps the file. Nothing is mapped if validation fails. */
    public static SafetensorsFile open(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        if (Files.isDirectory(file)) {
            throw new SafetensorsFormatException(file, null, "is a directory, not a safetensors file");
        }
        try (FileChannel ch = openChannel(file)) {
            Identity identity = Identity.of(file); // before the first read: a change after it shows
            long size = ch.size();
            long prefix = size < 8 ? 0 : readFully(ch, file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            int n = SafetensorsHeader.headerLength(file, size, prefix);
            byte[] json = new byte[n];
            ByteBuffer buf = readFully(ch, file, 8, n);
            buf.get(json);
            SafetensorsHeader header = SafetensorsHeader.parse(file, json, size - 8 - n);
            Arena arena = Arena.ofShared();
            try {
                // The mapping stays valid after the channel closes; its lifetime is the arena's.
                MemorySegment whole = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
                return new SafetensorsFile(file, header, arena, whole.asSlice(8 + n).asReadOnly(), 8L + n, identity);
            } catch (IOException | RuntimeException e) {
                arena.close();
                throw e;
            }
        }
    }

    /** Opens for reading; a failure names the file and the reason ("permission denied"), exit 3. */
    private static FileChannel openChannel(Path file) throws IOException {
        try {
            return FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
            throw IoErrors.input(file, e);
        }
    }

    private static ByteBuffer readFully(FileChannel ch, Path file, long position, int n) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(n);
        while (buf.hasRemaining()) {
            // The size was checked first, so running short means the file shrank under us.
            if (ch.read(buf, position + buf.position()) < 0) {
                throw new EOFException(file + ": file ended while reading its header");
            }
        }
        return buf.flip();
    }

    public Path path() {
        return path;
    }

    public SafetensorsHeader header() {
        return header;
    }

    /**
     * The tensor's bytes (little-endian, as stored), a read-only slice of the mapping.
     *
     * @throws IllegalArgumentException when {@code t} is not a tensor of this file
     */
    public MemorySegment data(TensorInfo t) {
        TensorInfo own = header.tensor(t.name());
        if (own == null || own.begin() != t.begin() || own.end() != t.end()) {
            throw new IllegalArgumentException("tensor " + t + " is not in " + path);
        }
        return data.asSlice(t.begin(), t.byteSize());
    }

    /**
     * Maps only this tensor's bytes into {@code arena}, so a caller can release its pages (and the
     * process's resident size) as soon as it is done with the tensor by closing the arena.
     */
    public MemorySegment map(TensorInfo t, Arena into) throws IOException {
        MemorySegment whole = data(t);
        if (t.byteSize() == 0) {
            return whole;
        }
        long offset = dataStart + t.begin();
        try (FileChannel ch = openChannel(path)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, offset, t.byteSize(), into).asReadOnly();
        }
    }

    /**
     * How the file on disk differs from the one opened (its size, modification time, or the file
     * itself: another inode at the path), or null when it looks the same. Reads of a mapped file see
     * every change to it, so a run that read this file while it changed has mixed or missing bytes.
     * A rewrite that keeps the size and restores the modification time is not seen.
     */
    public String change() {
        Identity now;
        try {
            now = Identity.of(path);
        } catch (NoSuchFileException e) {
            return "deleted";
        } catch (IOException e) {
            return "cannot be read: " + e.getMessage();
        }
        if (now.size() != opened.size()) {
            return Plain.format("%,d bytes when opened, now %,d", opened.size(), now.size());
        }
        if (!Objects.equals(now.key(), opened.key())) {
            return "replaced by another file";
        }
        if (!now.modified().equals(opened.modified())) {
            return "modified at " + now.modified() + ", after it was opened";
        }
        return null;
    }

    /** Unmaps the file. Slices handed out before become inaccessible. Idempotent. */
    @Override
    public void close() {
        synchronized (arena) {
            if (arena.scope().isAlive()) {
                arena.close();
            }
        }
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + header.tensors().size() + " tensors]";
    }
}
