package org.exmerge.engine;

/**
 * How a run executes; none of these changes a single output byte except {@code shardBytes}, which
 * only decides how tensors are split across files.
 *
 * @param memoryBytes    the memory budget threads and chunks are fitted to ({@link MemoryBudget}); 0: the default
 * @param allowNonfinite write merged values that are infinite or NaN instead of failing the run
 *                       (by default a tensor with any such value stops the merge with a recipe error
 *                       naming it; NaNs or infinities in the inputs that reach the output count too)
 * @param sync           make the output durable (default): every file and the directory rename are
 *                       forced to disk before the run returns, so after a power cut the output is
 *                       complete or absent. Without it nothing is forced: a crash of the process still
 *                       leaves no partial output under the real name, but a crash of the operating
 *                       system may leave it incomplete or corrupted (for scratch outputs, such as a
 *                       search's candidates).
 */
public record RunOptions(int threads, long chunkBytes, long shardBytes, boolean overwrite, long memoryBytes,
                         boolean allowNonfinite, boolean sync) {
    public static final long DEFAULT_CHUNK_BYTES = 4L << 20;
    public static final long DEFAULT_SHARD_BYTES = 5_000_000_000L;

    /** Options with the default memory budget, refusing non-finite results, durable. */
    public RunOptions(int threads, long chunkBytes, long shardBytes, boolean overwrite) {
        this(threads, chunkBytes, shardBytes, overwrite, 0, false, true);
    }

    public static RunOptions defaults() {
        return new RunOptions(Runtime.getRuntime().availableProcessors(), DEFAULT_CHUNK_BYTES, DEFAULT_SHARD_BYTES, false);
    }

    public RunOptions withThreads(int t) {
        return new RunOptions(t, chunkBytes, shardBytes, overwrite, memoryBytes, allowNonfinite, sync);
    }

    public RunOptions withChunkBytes(long c) {
        return new RunOptions(threads, c, shardBytes, overwrite, memoryBytes, allowNonfinite, sync);
    }

    public RunOptions withShardBytes(long s) {
        return new RunOptions(threads, chunkBytes, s, overwrite, memoryBytes, allowNonfinite, sync);
    }

    public RunOptions withOverwrite(boolean o) {
        return new RunOptions(threads, chunkBytes, shardBytes, o, memoryBytes, allowNonfinite, sync);
    }

    /** The memory budget in bytes; 0 restores the default (half of physical memory). */
    public RunOptions withMemoryBytes(long m) {
        return new RunOptions(threads, chunkBytes, shardBytes, overwrite, m, allowNonfinite, sync);
    }

    public RunOptions withAllowNonfinite(boolean a) {
        return new RunOptions(threads, chunkBytes, shardBytes, overwrite, memoryBytes, a, sync);
    }

    public RunOptions withSync(boolean s) {
        return new RunOptions(threads, chunkBytes, shardBytes, overwrite, memoryBytes, allowNonfinite, s);
    }
}
