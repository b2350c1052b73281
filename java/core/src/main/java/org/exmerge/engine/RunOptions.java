package org.exmerge.engine;

/**
 * How a run executes; none of these changes a single output byte except {@code shardBytes}, which
 * only decides how tensors are split across files.
 *
 * @param allowNonfinite write merged values that are infinite or NaN instead of failing the run
 *                       (by default a tensor with any such value stops the merge with a recipe error
 *                       naming it; NaNs or infinities in the inputs that reach the output count too)
 */
public record RunOptions(int threads, long chunkBytes, long shardBytes, boolean overwrite, boolean allowNonfinite) {
    public static final long DEFAULT_CHUNK_BYTES = 4L << 20;
    public static final long DEFAULT_SHARD_BYTES = 5_000_000_000L;

    /** Refusing non-finite results. */
    public RunOptions(int threads, long chunkBytes, long shardBytes, boolean overwrite) {
        this(threads, chunkBytes, shardBytes, overwrite, false);
    }

    public static RunOptions defaults() {
        return new RunOptions(Runtime.getRuntime().availableProcessors(), DEFAULT_CHUNK_BYTES, DEFAULT_SHARD_BYTES, false, false);
    }

    public RunOptions withThreads(int t) {
        return new RunOptions(t, chunkBytes, shardBytes, overwrite, allowNonfinite);
    }

    public RunOptions withChunkBytes(long c) {
        return new RunOptions(threads, c, shardBytes, overwrite, allowNonfinite);
    }

    public RunOptions withShardBytes(long s) {
        return new RunOptions(threads, chunkBytes, s, overwrite, allowNonfinite);
    }

    public RunOptions withOverwrite(boolean o) {
        return new RunOptions(threads, chunkBytes, shardBytes, o, allowNonfinite);
    }

    public RunOptions withAllowNonfinite(boolean a) {
        return new RunOptions(threads, chunkBytes, shardBytes, overwrite, a);
    }
}
