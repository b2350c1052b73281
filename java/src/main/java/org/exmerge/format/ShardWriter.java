package org.exmerge.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
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

/**
 * Writes one model as a stream of bytes into a directory the caller owns (see {@link OutputDirectory}).
 * The layout is fixed up front from the specs, so every shard's header is known before its data and
 * the data can flow straight from the merge to the disk in tensor order, with no seeking back.
 * Writes go through {@link FileChannel} rather than a mapping so a full disk is an {@link IOException}
 * and not a crash.
 */
public final class ShardWriter implements AutoCloseable {
    static final String SINGLE_FILE = Checkpoint.SINGLE_FILE;
    static final String INDEX_FILE = ShardIndex.FILE_NAME;
    /** FileChannel copies heap buffers through a cached direct buffer of the write's size; keep it small. */
    private static final int HEAP_CHUNK = 1 << 20;
    /** MemorySegment.asByteBuffer is limited to 2 GB; a segment goes out in slices of this size. */
    private static final long SEGMENT_CHUNK = 1L << 28;

    private final Path dir;
    private final List<List<TensorSpec>> layout;
    private final List<String> names = new ArrayList<>();
    private final List<byte[]> headers = new ArrayList<>();
    private final long totalBytes;

    private int shard;          // shard being written
    private int tensor;         // index of the tensor within that shard
    private long tensorWritten; // bytes of that tensor written so far
    private long allWritten;
    private boolean allShardsDone;
    private FileChannel channel;
    private final List<FutureTask<Void>> syncs = new ArrayList<>();
    private boolean finished;
    private boolean closed;
    private boolean failed;
    private ByteBuffer scratch;

    /**
     * @param dir        an existing directory, normally {@link OutputDirectory#path()}
     * @param tensors    the tensors in the order their bytes will arrive
     * @param shardBytes most tensor bytes per shard (a larger tensor gets a shard of its own)
     * @param metadata   the {@code __metadata__} of every shard; {@code format: pt} is added first when
     *                   absent, because transformers refuses safetensors files without it
     */
    public ShardWriter(Path dir, List<TensorSpec> tensors, long shardBytes, Map<String, String> metadata)
            throws IOException {
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
        Map<String, String> meta = new LinkedHashMap<>();
        if (metadata == null || !metadata.containsKey("format")) {
            meta.put("format", "pt");
        }
        if (metadata != null) {
            meta.putAll(metadata);
        }
        this.dir = dir;
        this.layout = layout(tensors, shardBytes);
        this.totalBytes = total;
        for (int i = 0; i < layout.size(); i++) {
            names.add(fileName(i, layout.size()));
            headers.add(SafetensorsHeader.encode(layout.get(i), meta));
        }
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
        return count == 1 ? SINGLE_FILE : String.format("model-%05d-of-%05d.safetensors", index + 1, count);
    }

    /** The shard file names, in order. */
    public List<String> fileNames() {
        return List.copyOf(names);
    }

    /**
     * Appends the next raw little-endian bytes; they may span tensors and shards. Consumes the
     * buffer (its position moves to its limit).
     *
     * @throws IllegalStateException after finish/close/a failed write, or for more bytes than the specs hold
     */
    public void write(ByteBuffer bytes) throws IOException {
        checkWritable();
        checkRoom(bytes.remaining());
        try {
            while (bytes.hasRemaining()) {
                settle();
                long room = layout.get(shard).get(tensor).byteSize() - tensorWritten;
                int n = (int) Math.min(room, bytes.remaining());
                writeFully(bytes.slice(bytes.position(), n));
                bytes.position(bytes.position() + n);
                tensorWritten += n;
                allWritten += n;
            }
        } catch (IOException | RuntimeException e) {
            failed = true; // the files no longer match any consistent state
            throw e;
        }
    }

    /** Appends the segment's bytes; see {@link #write(ByteBuffer)}. */
    public void write(MemorySegment bytes) throws IOException {
        checkWritable();
        checkRoom(bytes.byteSize()); // before any byte goes out, so misuse leaves the files untouched
        // Heap segments over int[], float[]... have no ByteBuffer view; they go through a scratch buffer.
        boolean viewable = bytes.heapBase().map(base -> base instanceof byte[]).orElse(true);
        for (long off = 0; off < bytes.byteSize(); off += SEGMENT_CHUNK) {
            MemorySegment part = bytes.asSlice(off, Math.min(SEGMENT_CHUNK, bytes.byteSize() - off));
            if (viewable) {
                write(part.asByteBuffer());
                continue;
            }
            for (long o = 0; o < part.byteSize(); o += HEAP_CHUNK) {
                int n = (int) Math.min(HEAP_CHUNK, part.byteSize() - o);
                if (scratch == null) {
                    scratch = ByteBuffer.allocateDirect(HEAP_CHUNK);
                }
                scratch.clear().limit(n);
                MemorySegment.copy(part, o, MemorySegment.ofBuffer(scratch), 0, n);
                write(scratch);
            }
        }
    }

    /**
     * Checks every tensor received all its bytes, completes the remaining (empty) shards, writes the
     * index when there are several shards, and forces every file to disk.
     */
    public void finish() throws IOException {
        checkWritable();
        if (allWritten != totalBytes) {
            try {
                settle();
            } catch (IOException e) {
                failed = true;
                throw e;
            }
            TensorSpec t = layout.get(shard).get(tensor);
            throw new IllegalStateException("tensor '" + t.name() + "' received " + tensorWritten + " of "
                    + t.byteSize() + " bytes (" + (totalBytes - allWritten) + " bytes missing in all)");
        }
        try {
            settle();
            awaitSyncs();
            if (layout.size() > 1) {
                writeIndex();
            }
            finished = true;
        } catch (IOException | RuntimeException e) {
            failed = true;
            throw e;
        }
    }

    /** Closes any open file. Does not delete anything: the caller's OutputDirectory does. */
    @Override
    public void close() throws IOException {
        closed = true;
        if (channel != null) {
            FileChannel c = channel;
            channel = null;
            c.close();
        }
        try {
            awaitSyncs();
        } catch (IOException alreadyReportedOrAborting) {
            // finish() reports sync failures; on the failure path the caller is deleting the files.
        }
    }

    private void checkRoom(long n) {
        if (n > totalBytes - allWritten) {
            throw new IllegalStateException(n + " bytes given but only " + (totalBytes - allWritten)
                    + " remain to be written");
        }
    }

    private void checkWritable() {
        if (closed || finished || failed) {
            throw new IllegalStateException("writer is " + (closed ? "closed" : finished ? "finished" : "failed"));
        }
    }

    /**
     * Moves to the first tensor that still needs bytes, opening shards (header first) and closing
     * completed ones on the way. Returns with allShardsDone set when every tensor is complete.
     */
    private void settle() throws IOException {
        while (!allShardsDone) {
            if (channel == null) {
                openShard();
            }
            List<TensorSpec> specs = layout.get(shard);
            while (tensor < specs.size() && tensorWritten == specs.get(tensor).byteSize()) {
                tensor++;
                tensorWritten = 0;
            }
            if (tensor < specs.size()) {
                return;
            }
            syncInBackground(channel);
            channel = null;
            if (shard + 1 == layout.size()) {
                allShardsDone = true;
            } else {
                shard++;
                tensor = 0;
            }
        }
    }

    /**
     * A finished shard is forced to disk on its own thread while the next shard is computed, so the
     * disk's write-back overlaps the merge instead of following it; finish() waits for every one.
     */
    private void syncInBackground(FileChannel c) {
        FutureTask<Void> sync = new FutureTask<>(() -> {
            try (c) {
                c.force(false);
            }
            return null;
        });
        Thread.ofPlatform().daemon().name("exmerge-fsync-" + shard).start(sync);
        syncs.add(sync);
    }

    private void awaitSyncs() throws IOException {
        IOException first = null;
        for (FutureTask<Void> sync : syncs) {
            try {
                sync.get();
            } catch (ExecutionException e) {
                IOException io = e.getCause() instanceof IOException x ? x : new IOException(e.getCause());
                if (first == null) {
                    first = io;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while forcing shards to disk");
            }
        }
        syncs.clear();
        if (first != null) {
            throw first;
        }
    }

    private void openShard() throws IOException {
        channel = FileChannel.open(dir.resolve(names.get(shard)),
                StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        byte[] header = headers.get(shard);
        ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
        writeFully(prefix);
        writeFully(ByteBuffer.wrap(header));
        headers.set(shard, null); // written; no need to keep it
    }

    private void writeFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (b.isDirect() || b.remaining() <= HEAP_CHUNK) {
                channel.write(b);
            } else {
                int n = Math.min(HEAP_CHUNK, b.remaining());
                ByteBuffer part = b.slice(b.position(), n);
                while (part.hasRemaining()) {
                    channel.write(part);
                }
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
        try (FileChannel c = FileChannel.open(dir.resolve(INDEX_FILE),
                StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            channel = c;
            writeFully(ByteBuffer.wrap(out.toByteArray()));
            c.force(false);
        } finally {
            channel = null;
        }
    }

    @Override
    public String toString() {
        return "ShardWriter[" + dir + ", " + names + ", " + allWritten + "/" + totalBytes + " bytes]";
    }
}
