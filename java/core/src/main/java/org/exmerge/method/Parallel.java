package org.exmerge.method;

import java.util.function.IntConsumer;

/**
 * Runs the independent pieces of a bind-time pass (threshold histograms, norm blocks) on the run's
 * worker threads and returns when all are done. Callers give each piece its own slot and combine
 * the slots in index order, so results never depend on the thread count.
 */
@FunctionalInterface
public interface Parallel {
    Parallel SERIAL = (pieces, piece) -> {
        for (int i = 0; i < pieces; i++) {
            piece.accept(i);
        }
    };

    void run(int pieces, IntConsumer piece);

    /**
     * How many pieces can run at once (the run's threads; 1 when serial). Passes whose pieces
     * combine exactly in any split (histogram counts) cut no more pieces than this, since each piece
     * pays for a histogram of its own.
     */
    default int width() {
        return 1;
    }

    /** Pieces for a pass over {@code n} units with at least {@code grain} units each (at least 1, at most 256). */
    static int pieces(long n, long grain) {
        return (int) Math.max(1, Math.min(256, (n + grain - 1) / grain));
    }
}
