package org.exmerge.cuda;

import java.lang.foreign.Arena;

/**
 * DELLA's row ranks on the device: mkcu_della_ranks, one block of {@value LaunchGeometry#RANK_THREADS}
 * threads per (model, row), in waves of as many blocks as the scratch holds.
 */
final class RanksLaunch {
    static final long SIZE = 264;

    private RanksLaunch() {}

    /** Scratch blocks a lane half sets aside for ranking rows of {@code rowLength}. */
    static int scratchBlocks(Device device) {
        return Math.max(1, Math.min(64, 2 * device.multiprocessors()));
    }

    static long scratchBytes(Device device, long rowLength) {
        return 16L * rowLength * scratchBlocks(device);
    }

    /**
     * Ranks rows [firstRow, firstRow + rows) of every model into int32s at {@code ranksAt}
     * (model-major); the inputs' device copies start at absolute element {@code origin}.
     */
    static void run(Device device, Lane.Half half, long[] inputs, int[] types, long base, int baseType, long origin,
                    long firstRow, long rows, long rowLength, long ranksAddress, long scratchAddress) {
        int models = inputs.length;
        long pairs = models * rows;
        int wave = scratchBlocks(device);
        try (Arena arena = Arena.ofConfined()) {
            Params p = new Params(arena, SIZE);
            for (int i = 0; i < models; i++) {
                p.i64(8L * i, inputs[i]).i32(128 + 4L * i, types[i]);
            }
            p.i64(192, base).i64(200, ranksAddress).i64(208, scratchAddress).i64(216, origin).i64(224, firstRow)
                    .i64(232, rows).i64(240, rowLength).i32(256, models).i32(260, baseType);
            for (long first = 0; first < pairs; first += wave) {
                p.i64(248, first);
                half.stream.launch(Kernel.DELLA_RANKS, (int) Math.min(wave, pairs - first), LaunchGeometry.RANK_THREADS,
                        p.segment());
            }
        }
    }
}
