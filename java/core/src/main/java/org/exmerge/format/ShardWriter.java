package org.exmerge.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.exmerge.error.IoErrors;
import org.exmerge.text.Plain;

/**
 * Writes one model into a directory the caller owns (see {@link OutputDirectory}). The layout is
 * fixed up front from the specs, so every tensor's place in its shard file is known before any byte
 * arrives: chunks are written where they belong ({@link #writeAt}), from any thread and in any order,
 * which lets the merge's workers write their own results in parallel (on the machines measured, one
 * thread filling the page cache was the end-to-end bottleneck). {@link #write} is the single-threaded
 * convenience that appends bytes in tensor order. Writes go through {@link FileChannel} rather than a
 * mapping so a full disk is an {@link IOException} and not a crash.
 */
public final class ShardWriter implements AutoCloseable {
    static final String SINGLE_FILE = Checkpoint.SINGLE_FILE;
    static final String INDEX_FILE = ShardIndex.FILE_NAME;
    /** FileChannel copies heap buffers through a cached direct buffer of the write's size; keep it small. */
    private static final int HEAP_CHUNK = 1 << 20;
    /** MemorySegment.asByteBuffer is limited to 2 GB; a segment goes out in slices of this size. */
    private static final long SEGMENT_CHUNK = 1L << 28;
    /** Written bytes after which a background force starts the disk on them (see {@link #flushEarly}). */
    private static final long EARLY_FLUSH_BYTES = 256L << 20;

    private final Path dir;
    private final List<List<TensorSpec>> layout;
    private final List<String> names = new ArrayList<>();
    private final byte[][] headers;
    private final long totalBytes;
    private final long fileBytes;

    // Per tensor, in the order given: its spec, its shard and where its data starts in that file.
    private final TensorSpec[] specs;
    private final int[] shardOf;
    private final long[] fileOffset;
    private final AtomicLongArray received;
    private final AtomicLongArray shardLeft; // bytes each shard still waits for

    // Guarded by this: channels are opened on first use and handed to a sync thread once complete.
    private final FileChannel[] channels;
    private final boolean[] handedOff;
    private final List<FutureTask<Void>> syncs = new ArrayList<>();

    /** Bytes written since the last early flush started; see {@link #flushEarly}. */
    private final AtomicLong unflushed = new AtomicLong();
    private final AtomicBoolean flushing = new AtomicBoolean();

    // The append cursor of write(); single-threaded by contract.
    private int cursor;
    private long cursorWritten;
    private long appended;

    /** False: nothing is forced to disk (scratch output; see RunOptions#sync). */
    private final boolean sync;

    private volatile boolean finished;
    private volatile boolean closed;
    /** The first failed write: every later call reports it, whichever worker's failure is seen first. */
    private volatile Exception failure;

    /**
     * @param dir        an existing directory, normally {@link OutputDirectory#path()}
     * @param tensors    the tensors, in the order of the files' layout
     * @param shardBytes most tensor bytes per shard (a larger tensor gets a shard of its own)
     * @param metadata   the {@code __metadata__} of every shard; {@code format: pt} is added first when
     *                   absent, because transformers refuses safetensors files without it
     */
    public ShardWriter(Path dir, List<TensorSpec> tensors, long shardBytes, Map<String, String> metadata)
            throws IOException {
        this(dir, tensors, shardBytes, metadata, true);
    }

    /** As above; {@code sync} false skips the early flushes and the final fsyncs (a scratch output). */
    public ShardWriter(Path dir, List<TensorSpec> tensors, long shardBytes, Map<String, String> metadata,
                       boolean sync) throws IOException {
        this.sync = sync;
        if (!Files.isDirectory(dir)) {
            throw new NotDirectoryException(dir.toString());
        }
        Set<String> seen = new HashSet<>();
        long total = 0;
        for (TensorSpec t : tensors) {
            if (!seen.add(t.name())) {
                throw new IllegalArgumentException("tensor '" + t.name() + "' is given twice");
            }
            if (t.byteSize() > Long.MAX_VALUE - total) {
                throw new IllegalArgumentException("tensors hold more than 2^63-1 bytes");
            }
            total += t.byteSize();
        }
        Map<String, String> meta = withFormat(metadata);
        this.dir = dir;
        this.layout = layout(tensors, shardBytes);
        this.totalBytes = total;
        int n = tensors.size();
        this.specs = tensors.toArray(TensorSpec[]::new);
        this.shardOf = new int[n];
        this.fileOffset = new long[n];
        this.received = new AtomicLongArray(n);
        this.shardLeft = new AtomicLongArray(layout.size());
        this.headers = new byte[layout.size()][];
        this.channels = new FileChannel[layout.size()];
        this.handedOff = new boolean[layout.size()];
        int t = 0;
        long files = 0;
        for (int s = 0; s < layout.size(); s++) {
            names.add(fileName(s, layout.size()));
            headers[s] = SafetensorsHeader.encode(layout.get(s), meta);
            long pos = 8L + headers[s].length; // data follows the length prefix and the header
            for (TensorSpec spec : layout.get(s)) {
                shardOf[t] = s;
                fileOffset[t] = pos;
                pos += spec.byteSize();
                shardLeft.addAndGet(s, spec.byteSize());
                t++;
            }
            files += pos;
        }
        this.fileBytes = files;
    }

    /**
     * Cuts the specs, in order, into shards of at most {@code shardBytes} tensor bytes, greedily as
     * huggingface_hub does; a tensor larger than that gets a shard of its own and is never split.
     * No tensors gives one empty shard, so the output is still a loadable (empty) model.
     */
    public static List<List<TensorSpec>> layout(List<TensorSpec> tensors, long shardBytes) {
        if (shardBytes <= 0) {
            throw new IllegalArgumentException("shard size must be positive, not " + shardBytes);
        }
        List<List<TensorSpec>> shards = new ArrayList<>();
        List<TensorSpec> current = new ArrayList<>();
        long bytes = 0;
        for (TensorSpec t : tensors) {
            long size = t.byteSize();
            // bytes <= MAX and shardBytes > 0, so the subtraction cannot overflow; once bytes exceeds
            // shardBytes (a lone big tensor) the right side is negative and the next tensor moves on.
            if (!current.isEmpty() && size > shardBytes - bytes) {
                shards.add(List.copyOf(current));
                current.clear();
                bytes = 0;
            }
            current.add(t);
            bytes = size > Long.MAX_VALUE - bytes ? Long.MAX_VALUE : bytes + size;
        }
        shards.add(List.copyOf(current));
        return List.copyOf(shards);
    }

    /** {@code model.safetensors} alone, else Hugging Face's 1-based, 5-digit shard names. */
    static String fileName(int index, int count) {
        return count == 1 ? SINGLE_FILE : Plain.format("model-%05d-of-%05d.safetensors", index + 1, count);
    }

    /** The bytes of all shard files together: length prefixes, headers and tensor data (not the index). */
    public long fileBytes() {
        return fileBytes;
    }

    /**
     * What {@link #fileBytes()} will be for a writer of these arguments, without one: what a run
     * checks the free space against, and what {@code --dry-run} checks, so the two never disagree.
     */
    public static long fileBytes(List<TensorSpec> tensors, long shardBytes, Map<String, String> metadata) {
        Map<String, String> meta = withFormat(metadata);
        long files = 0;
        for (List<TensorSpec> shard : layout(tensors, shardBytes)) {
            files += 8L + SafetensorsHeader.encode(shard, meta).length;
            for (TensorSpec t : shard) {
                files += t.byteSize();
            }
        }
        return files;
    }

    /** {@code format: pt} first unless given (transformers refuses safetensors files without it), then the metadata. */
    private static Map<String, String> withFormat(Map<String, String> metadata) {
        Map<String, String> meta = new LinkedHashMap<>();
        if (metadata == null || !metadata.containsKey("format")) {
            meta.put("format", "pt");
        }
        if (metadata != null) {
            meta.putAll(metadata);
        }
        return meta;
    }

    /** The shard file names, in order. */
    public List<String> fileNames() {
        return List.copyOf(names);
    }

    /**
     * Writes {@code bytes} as the bytes of tensor {@code index} (in the order given to the constructor)
     * starting at byte {@code offset} of that tensor. Safe to call from several threads at once for
     * different ranges; each byte of each tensor must be written exactly once. A shard is forced to
     * disk on a thread of its own as soon as its last byte arrives, so the disk's write-back overlaps
     * the rest of the merge; {@link #finish} waits for all of them.
     *
     * @throws IllegalArgumentException for a range outside the tensor
     * @throws IOException             when the write fails, or repeating an earlier failed write's error
     * @throws IllegalStateException    after finish/close, or when bytes are written twice
     */
    public void writeAt(int index, long offset, MemorySegment bytes) throws IOException {
        checkWritable();
        TensorSpec spec = specs[index];
        if (offset < 0 || bytes.byteSize() > spec.byteSize() - offset) {
            throw new IllegalArgumentException("bytes [" + offset + ", " + offset + " + " + bytes.byteSize()
                    + ") lie outside tensor '" + spec.name() + "' of " + spec.byteSize() + " bytes");
        }
        // Heap segments over int[], float[]... have no ByteBuffer view; they go through a heap copy.
        boolean viewable = bytes.heapBase().map(base -> base instanceof byte[]).orElse(true);
        for (long off = 0; off < bytes.byteSize(); off += SEGMENT_CHUNK) {
            MemorySegment part = bytes.asSlice(off, Math.min(SEGMENT_CHUNK, bytes.byteSize() - off));
            if (viewable) {
                put(index, offset + off, part.asByteBuffer());
                continue;
            }
            for (long o = 0; o < part.byteSize(); o += HEAP_CHUNK) {
                byte[] copy = part.asSlice(o, Math.min(HEAP_CHUNK, part.byteSize() - o)).toArray(ValueLayout.JAVA_BYTE);
                put(index, offset + off + o, ByteBuffer.wrap(copy));
            }
        }
    }

    /**
     * Appends the next raw little-endian bytes in tensor order; they may span tensors and shards.
     * Consumes the buffer (its position moves to its limit). Single-threaded, and not to be mixed
     * with {@link #writeAt} on one writer.
     *
     * @throws IllegalStateException after finish/close, or for more bytes than the specs hold (an earlier failed
     *                               write is repeated as its own exception)
     */
    public void write(ByteBuffer bytes) throws IOException {
        write(MemorySegment.ofBuffer(bytes));
        bytes.position(bytes.limit());
    }

    /** Appends the segment's bytes; see {@link #write(ByteBuffer)}. */
    public void write(MemorySegment bytes) throws IOException {
        checkWritable();
        checkRoom(bytes.byteSize()); // before any byte goes out, so misuse leaves the files untouched
        for (long off = 0; off < bytes.byteSize(); ) {
            skipCompleteTensors();
            long n = Math.min(specs[cursor].byteSize() - cursorWritten, bytes.byteSize() - off);
            writeAt(cursor, cursorWritten, bytes.asSlice(off, n));
            off += n;
            cursorWritten += n;
            appended += n;
        }
    }

    private void skipCompleteTensors() {
        while (cursorWritten == specs[cursor].byteSize()) {
            cursor++;
            cursorWritten = 0;
        }
    }

    /**
     * Checks every tensor received all its bytes, completes the shards that hold no bytes, writes
     * the index when there are several shards, and waits until every file is on disk.
     */
    public void finish() throws IOException {
        checkWritable();
        long missing = totalBytes;
        for (int t = 0; t < specs.length; t++) {
            missing -= received.get(t);
        }
        for (int t = 0; t < specs.length; t++) {
            if (received.get(t) != specs[t].byteSize()) {
                throw new IllegalStateException("tensor '" + specs[t].name() + "' received " + received.get(t)
                        + " of " + specs[t].byteSize() + " bytes (" + missing + " bytes missing in all)");
            }
        }
        try {
            for (int s = 0; s < layout.size(); s++) {
                if (shardLeft.get(s) == 0) {
                    try {
                        channel(s); // a shard of empty tensors still needs its file
                    } catch (IOException e) {
                        throw named(dir.resolve(names.get(s)), e);
                    }
                    syncInBackground(s);
                }
            }
            awaitSyncs();
            if (layout.size() > 1) {
                writeIndex();
            }
            finished = true;
        } catch (IOException | RuntimeException e) {
            fail(e);
            throw e;
        }
    }

    /** Closes any open file. Does not delete anything: the caller's OutputDirectory does. */
    @Override
    public void close() throws IOException {
        closed = true;
        IOException first = null;
        synchronized (this) {
            for (int s = 0; s < channels.length; s++) {
                if (channels[s] != null && !handedOff[s]) {
                    handedOff[s] = true;
                    try {
                        channels[s].close();
                    } catch (IOException e) {
                        first = first == null ? e : first;
                    }
                }
            }
        }
        try {
            awaitSyncs();
        } catch (IOException alreadyReportedOrAborting) {
            // finish() reports sync failures; on the failure path the caller is deleting the files.
        }
        if (first != null) {
            throw first;
        }
    }

    private void checkRoom(long n) {
        if (n > totalBytes - appended) {
            throw new IllegalStateException(n + " bytes given but only " + (totalBytes - appended)
                    + " remain to be written");
        }
    }

    private void checkWritable() throws IOException {
        Exception f = failure;
        if (f instanceof FileSystemException fs) {
            // a full disk stays an I/O error naming its file for every worker
            throw (IOException) new FileSystemException(fs.getFile(), fs.getOtherFile(), fs.getReason()).initCause(fs);
        }
        if (f instanceof IOException io) {
            throw new IOException(io.getMessage(), io);
        }
        if (f != null) {
            throw new IllegalStateException("writer failed: " + f.getMessage(), f);
        }
        if (closed || finished) {
            throw new IllegalStateException("writer is " + (closed ? "closed" : "finished"));
        }
    }

    private synchronized void fail(Exception e) {
        if (failure == null) {
            failure = e;
        }
    }

    /** Writes one buffer of tensor {@code index} at its place; the range has been checked. */
    private void put(int index, long offset, ByteBuffer b) throws IOException {
        int n = b.remaining();
        int shard = shardOf[index];
        try {
            FileChannel c = channel(shard);
            writeFully(c, b, fileOffset[index] + offset);
            if (received.addAndGet(index, n) > specs[index].byteSize()) {
                throw new IllegalStateException("tensor '" + specs[index].name() + "' received more than its "
                        + specs[index].byteSize() + " bytes: a range was written twice");
            }
            if (n > 0 && shardLeft.addAndGet(shard, -n) == 0) {
                syncInBackground(shard);
            } else if (sync && unflushed.addAndGet(n) >= EARLY_FLUSH_BYTES && flushing.compareAndSet(false, true)) {
                flushEarly(c);
            }
        } catch (IOException e) {
            IOException named = named(dir.resolve(names.get(shard)), e);
            fail(named); // the files no longer match any consistent state
            throw named;
        } catch (RuntimeException e) {
            fail(e);
            throw e;
        }
    }

    /**
     * The error as one about {@code file}: a channel's write or force fails with the bare
     * operating-system reason ("No space left on device"), which names no file.
     */
    private static IOException named(Path file, IOException e) {
        if (e instanceof FileSystemException || e instanceof ClosedChannelException || e instanceof InterruptedIOException) {
            return e; // names its file already, or is how a cancelled run stops its writers
        }
        return (IOException) new FileSystemException(file.toString(), null, IoErrors.reason(e)).initCause(e);
    }

    /** The shard's file, created (never overwriting) with its header on first use. */
    private synchronized FileChannel channel(int shard) throws IOException {
        checkWritable();
        if (channels[shard] == null) {
            FileChannel c = FileChannel.open(dir.resolve(names.get(shard)),
                    StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            channels[shard] = c;
            byte[] header = headers[shard];
            headers[shard] = null; // written below; no need to keep it
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
            writeFully(c, prefix, 0);
            writeFully(c, ByteBuffer.wrap(header), 8);
        }
        return channels[shard];
    }

    /**
     * Starts the disk on what has been written so far, on a thread of its own, while the merge goes
     * on: without it, an output smaller than the kernel's dirty-page threshold would reach the disk
     * only in the final fsync, after all the computing. Failures here are not reported: the shard's
     * own fsync repeats the work and reports them.
     */
    private void flushEarly(FileChannel c) {
        unflushed.set(0);
        Thread.ofPlatform().daemon().name("exmerge-flush").start(() -> {
            try {
                c.force(false);
            } catch (IOException | RuntimeException reportedByTheShardsFsync) {
                // closed by the shard's own sync, or the disk failed: that fsync says which
            } finally {
                flushing.set(false);
            }
        });
    }

    /** Forces a complete shard to disk on a thread of its own and closes it; finish() waits for it. */
    private void syncInBackground(int shard) {
        FileChannel c;
        synchronized (this) {
            if (handedOff[shard]) {
                return;
            }
            handedOff[shard] = true;
            c = channels[shard];
        }
        Path file = dir.resolve(names.get(shard));
        FutureTask<Void> sync = new FutureTask<>(() -> {
            try (c) {
                if (this.sync) {
                    c.force(false);
                }
            } catch (IOException e) {
                throw named(file, e);
            }
            return null;
        });
        synchronized (syncs) {
            syncs.add(sync);
        }
        Thread.ofPlatform().daemon().name("exmerge-fsync-" + shard).start(sync);
    }

    private void awaitSyncs() throws IOException {
        List<FutureTask<Void>> pending;
        synchronized (syncs) {
            pending = List.copyOf(syncs);
            syncs.clear();
        }
        IOException first = null;
        for (FutureTask<Void> sync : pending) {
            try {
                sync.get();
            } catch (ExecutionException e) {
                IOException io = e.getCause() instanceof IOException x ? x : new IOException(e.getCause());
                if (first == null) {
                    first = io;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while forcing shards to disk");
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private static void writeFully(FileChannel c, ByteBuffer b, long position) throws IOException {
        long pos = position;
        while (b.hasRemaining()) {
            ByteBuffer part = b.isDirect() || b.remaining() <= HEAP_CHUNK ? b
                    : b.slice(b.position(), HEAP_CHUNK);
            int n = c.write(part, pos);
            pos += n;
            if (part != b) {
                b.position(b.position() + n);
            }
        }
    }

    /** Like Hugging Face's index: total_size, then weight_map sorted by tensor name, indented. */
    private void writeIndex() throws IOException {
        Map<String, String> weightMap = new TreeMap<>();
        for (int i = 0; i < layout.size(); i++) {
            for (TensorSpec t : layout.get(i)) {
                weightMap.put(t.name(), names.get(i));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = new JsonFactory().createGenerator(out).useDefaultPrettyPrinter()) {
            g.writeStartObject();
            g.writeObjectFieldStart("metadata");
            g.writeNumberField("total_size", totalBytes);
            g.writeEndObject();
            g.writeObjectFieldStart("weight_map");
            for (Map.Entry<String, String> e : weightMap.entrySet()) {
                g.writeStringField(e.getKey(), e.getValue());
            }
            g.writeEndObject();
            g.writeEndObject();
        }
        out.write('\n');
        Path index = dir.resolve(INDEX_FILE);
        try (FileChannel c = FileChannel.open(index, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            writeFully(c, ByteBuffer.wrap(out.toByteArray()), 0);
            if (sync) {
                c.force(false);
            }
        } catch (IOException e) {
            throw named(index, e);
        }
    }

    @Override
    public String toString() {
        long written = 0;
        for (int t = 0; t < specs.length; t++) {
            written += received.get(t);
        }
        return "ShardWriter[" + dir + ", " + names + ", " + written + "/" + totalBytes + " bytes]";
    }
}
