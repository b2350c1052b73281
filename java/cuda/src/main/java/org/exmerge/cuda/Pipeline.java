package org.exmerge.cuda;

/**
 * Runs a call's sub-chunks over a lane's two halves: sub-chunk k goes to half k % 2 once the
 * half's previous sub-chunk (k − 2) has been retired, so staging k overlaps the GPU work of k − 1;
 * sub-chunks retire in order.
 */
final class Pipeline {
    interface Stage {
        void run(long k, Lane.Half half);
    }

    private Pipeline() {}

    static void run(Lane lane, long count, Stage stage) {
        for (long k = 0; k < count; k++) {
            Lane.Half half = lane.halves[(int) (k & 1)];
            if (k >= 2) {
                half.retire();
            }
            stage.run(k, half);
        }
        for (long k = Math.max(0, count - 2); k < count; k++) {
            lane.halves[(int) (k & 1)].retire();
        }
    }
}
