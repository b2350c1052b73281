package org.exmerge.engine;

/**
 * How a run executes; none of these changes a single output byte except {@code shardBytes}, which
 * only decides how tensors are split across files.
 *
 * <p>{@code sync} (default true) makes the output durable: every file and the directory rename are
 * forced to disk before the run returns, so after a power cut the output is complete or absent.
 * Without it nothing is forced: a crash of the process still leaves no partial output under the
 * real name, but a crash of the operating system may leave it incomplete or corrupted (for scratch
 * outputs, such as a search's candidates).
 */
public record RunOptions(int threads, long chunkBytes, long shardBytes, boolean overwrite, boolean sync) {
    public RunOptions(int threads, long chunkBytes, long shardBytes, boolean overwrite) {
        this(threads, chunkBytes, shardBytes, overwrite, true);
    }

    public static final long DEFAULT_CHUNK_BYTES = 4L << 20;
    public static final long DEFAULT_SHARD_BYTES = 5_000_000_000L;

    public static RunOptions defaults() {
        return new RunOptions(Runtime.getRuntime().availableProcessors(), DEFAULT_CHUNK_BYTES, DEFAULT_SHARD_BYTES, false);
    }

    public RunOptions withThreads(int t) {
        return new RunOptions(t, chunkBytes, shardBytes, overwrite, sync);
    }

    public RunOptions withChunkBytes(long c) {
        return new RunOptions(threads, c, shardBytes, overwrite, sync);
    }

    public RunOptions withShardBytes(long s) {
        return new RunOptions(threads, chunkBytes, s, overwrite, sync);
    }

    public RunOptions withOverwrite(boolean o) {
        return new RunOptions(threads, chunkBytes, shardBytes, o, sync);
    }

    public RunOptions withSync(boolean s) {
        return new RunOptions(threads, chunkBytes, shardBytes, overwrite, s);
    }
}
