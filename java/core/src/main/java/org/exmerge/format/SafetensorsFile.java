package org.exmerge.format;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One safetensors file, validated and memory-mapped. The whole file is one read-only mapping owned by
 * a shared {@link Arena}, so tensors of any size are plain slices (no 2 GB buffer limit) and may be
 * read from many threads; {@link #close()} unmaps it, after which slices must not be used.
 */
public final class SafetensorsFile implements WeightsFile {
    private final Path path;
    private final SafetensorsHeader header;
    private final Arena arena;
    private final MemorySegment data;
    private final long dataStart;
    private final FileIdentity opened;

    private SafetensorsFile(Path path, SafetensorsHeader header, Arena arena, MemorySegment data, long dataStart,
                            FileIdentity opened) {
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
        try (FileChannel ch = FileReads.open(file)) {
            FileIdentity identity = FileIdentity.of(file); // before the first read: a change after it shows
            long size = ch.size();
            long prefix = size < 8 ? 0 : FileReads.readFully(ch, file, 0, 8).getLong();
            int n = SafetensorsHeader.headerLength(file, size, prefix);
            byte[] json = new byte[n];
            ByteBuffer buf = FileReads.readFully(ch, file, 8, n);
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

    @Override
    public Path path() {
        return path;
    }

    public SafetensorsHeader header() {
        return header;
    }

    @Override
    public List<TensorInfo> tensors() {
        return header.tensors();
    }

    @Override
    public TensorInfo tensor(String name) {
        return header.tensor(name);
    }

    @Override
    public Map<String, String> metadata() {
        return header.metadata();
    }

    /**
     * The tensor's bytes (little-endian, as stored), a read-only slice of the mapping.
     *
     * @throws IllegalArgumentException when {@code t} is not a tensor of this file
     */
    @Override
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
    @Override
    public MemorySegment map(TensorInfo t, Arena into) throws IOException {
        MemorySegment whole = data(t);
        if (t.byteSize() == 0) {
            return whole;
        }
        long offset = dataStart + t.begin();
        try (FileChannel ch = FileReads.open(path)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, offset, t.byteSize(), into).asReadOnly();
        }
    }

    /** How the file on disk differs from the one opened, or null (see {@link FileIdentity#changeAt}). */
    @Override
    public String change() {
        return opened.changeAt(path);
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
