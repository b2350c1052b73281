package org.exmerge.engine;

/**
 * How a run executes; none of these changes a single output byte except {@code shardBytes}, which
 * only decides how tensors are split across files.
 */
public record RunOptions(int threads, long chunkBytes, long shardBytes, boolean overwrite) {
    public static final long DEFAULT_CHUNK_BYTES = 4L << 20;
    public static final long DEFAULT_SHARD_BYTES = 5_000_000_000L;

    public static RunOptions defaults() {
        return new RunOptions(Runtime.getRuntime().availableProcessors(), DEFAULT_CHUNK_BYTES, DEFAULT_SHARD_BYTES, false);
    }

    public RunOptions withThreads(int t) {
        return new RunOptions(t, chunkBytes, shardBytes, overwrite);
    }

    public RunOptions withChunkBytes(long c) {
        return new RunOptions(threads, c, shardBytes, overwrite);
    }

    public RunOptions withShardBytes(long s) {
        return new RunOptions(threads, chunkBytes, s, overwrite);
    }

    public RunOptions withOverwrite(boolean o) {
        return new RunOptions(threads, chunkBytes, shardBytes, o);
    }
}
