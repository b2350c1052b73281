package org.exmerge.cuda;

/**
 * Grid shapes. Element-wise kernels are grid-stride loops: {@value #THREADS} threads a block and
 * at most {@value #BLOCKS_PER_SM} blocks per multiprocessor, enough to fill the device, so large
 * chunks loop inside threads instead of launching millions of blocks. The reductions have fixed
 * shapes: 64 threads (numerics §4's lanes) per model, and 256 per DELLA row.
 */
final class LaunchGeometry {
    static final int THREADS = 256;
    static final int BLOCKS_PER_SM = 8;
    static final int LANES = 64;
    static final int RANK_THREADS = 256;

    private LaunchGeometry() {}

    /** Blocks for {@code n} elements on {@code sms} multiprocessors (at least 1). */
    static int blocks(long n, int sms) {
        long needed = (n + THREADS - 1) / THREADS;
        long cap = (long) Math.max(1, sms) * BLOCKS_PER_SM;
        return (int) Math.max(1, Math.min(needed, cap));
    }

    /** (model, row) pairs a DELLA rank launch takes at once: one block each, as many as fit the scratch. */
    static int rankBlocks(long pairs, long scratchBytes, long rowLength) {
        long perBlock = 16L * rowLength; // two u64 buffers of a row
        long fit = Math.max(1, scratchBytes / perBlock);
        return (int) Math.min(Math.min(pairs, fit), Integer.MAX_VALUE);
    }
}
