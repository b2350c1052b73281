package org.exmerge.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.exmerge.kernel.Operand;

/**
 * MagnitudeSelect's histogram passes on the device: mkcu_tau_histogram. Each half counts its
 * sub-chunks into its own device histogram (atomics; counts are integers, so any order gives the
 * same totals), and both are added into the caller's array at the end.
 */
final class HistogramLaunch {
    static final long SIZE = 48;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);

    private HistogramLaunch() {}

    static void run(Device device, Lane lane, Operand x, Operand base, long start, long n, int high, long[] hist) {
        int xs = x.type().size();
        int bs = base.type().size();
        long histBytes = 8L * hist.length;
        lane.ensure(ChunkPlan.bytesFor(64, 1, histBytes, xs + bs, 3));
        ChunkPlan plan = ChunkPlan.of(lane.capacity(), histBytes, xs + bs, 3, 1);
        try (Arena arena = Arena.ofConfined()) {
            Params p = new Params(arena, SIZE).i32(32, CudaTypes.code(x.type())).i32(36, CudaTypes.code(base.type()))
                    .i32(40, high);
            long count = plan.count(n);
            Pipeline.run(lane, count, (c, half) -> {
                long histAt = counts(half, c, histBytes);
                long from = start + plan.from(c);
                long len = plan.length(c, n);
                p.i64(0, half.upload(x.segment(), from * xs, len * xs)).i64(8, half.upload(base.segment(), from * bs, len * bs))
                        .i64(16, half.address(histAt)).i64(24, len);
                half.stream.launch(Kernel.TAU_HISTOGRAM, LaunchGeometry.blocks(len, device.multiprocessors()),
                        LaunchGeometry.THREADS, p.segment());
                retire(half, c, count, histAt, hist);
            });
        }
    }

    /**
     * Where a sub-chunk's counts go: first in its half, zeroed once, on the half's first sub-chunk (the
     * halves alternate, so sub-chunks 0 and 1); later sub-chunks of the half add to them (a half's
     * retire resets only its bump cursor). Every histogram kernel's launch shares this.
     */
    static long counts(Lane.Half half, long c, long histBytes) {
        long histAt = half.reserve(histBytes);
        if (c < 2) {
            half.stream.zero(half.memory, histAt, histBytes);
        }
        return histAt;
    }

    /** On the half's last of {@code count} sub-chunks, brings its counts back and adds them to {@code hist}. */
    static void retire(Lane.Half half, long c, long count, long histAt, long[] hist) {
        if (c + 2 >= count) {
            half.output(histAt, 8L * hist.length, counts -> {
                for (int b = 0; b < hist.length; b++) {
                    hist[b] += counts.getAtIndex(U64, b);
                }
            });
        }
    }
}
