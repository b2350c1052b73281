package org.exmerge.engine;

/**
 * How a run executes; none of these changes a single output byte except {@code shardBytes}, which
 * only decides how tensors are split across files.
 *
 * @param memoryBytes the memory budget threads and chunks are fitted to ({@link MemoryBudget}); 0: the default
 */
public record RunOptions(int threads, long chunkBytes, long shardBytes, boolean overwrite, long memoryBytes) {
    public static final long DEFAULT_CHUNK_BYTES = 4L << 20;
    public static final long DEFAULT_SHARD_BYTES = 5_000_000_000L;

    /** Options with the default memory budget. */
    public RunOptions(int threads, long chunkBytes, long shardBytes, boolean overwrite) {
        this(threads, chunkBytes, shardBytes, overwrite, 0);
    }

    public static RunOptions defaults() {
        return new RunOptions(Runtime.getRuntime().availableProcessors(), DEFAULT_CHUNK_BYTES, DEFAULT_SHARD_BYTES, false);
    }

    public RunOptions withThreads(int t) {
        return new RunOptions(t, chunkBytes, shardBytes, overwrite, memoryBytes);
    }

    public RunOptions withChunkBytes(long c) {
        return new RunOptions(threads, c, shardBytes, overwrite, memoryBytes);
    }

    public RunOptions withShardBytes(long s) {
        return new RunOptions(threads, chunkBytes, s, overwrite, memoryBytes);
    }

    public RunOptions withOverwrite(boolean o) {
        return new RunOptions(threads, chunkBytes, shardBytes, o, memoryBytes);
    }

    /** The memory budget in bytes; 0 restores the default (half of physical memory). */
    public RunOptions withMemoryBytes(long m) {
        return new RunOptions(threads, chunkBytes, shardBytes, overwrite, m);
    }
}
