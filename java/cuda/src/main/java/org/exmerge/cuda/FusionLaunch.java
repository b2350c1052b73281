package org.exmerge.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.exmerge.kernel.FusionOp;
import org.exmerge.kernel.Operand;

/**
 * mergekit's arcee_fusion on the device: mkcu_fusion_histogram and mkcu_fusion_merge
 * (cuda/include/mkcu_fusion.cuh). Each sub-chunk stages the row KL divergences of the rows it
 * touches with its slices; the histogram counts per half as {@link HistogramLaunch} does.
 */
final class FusionLaunch {
    static final long SIZE = 88;
    private static final long X = 0;
    private static final long BASE = 8;
    private static final long ROW_KL = 16;
    private static final long OUT = 24;
    private static final long N = 32;
    private static final long FIRST = 40;
    private static final long FIRST_ROW = 48;
    private static final long ROW_LENGTH = 56;
    private static final long THRESHOLD = 64;
    private static final long X_TYPE = 68;
    private static final long BASE_TYPE = 72;
    private static final long OUT_TYPE = 76;
    private static final long HIGH = 80;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT.withOrder(ByteOrder.LITTLE_ENDIAN);

    private FusionLaunch() {}

    static void histogram(Device device, Lane lane, FusionOp op, Operand x, Operand base, long start, long n, int high,
                          long[] hist) {
        long histBytes = 8L * hist.length;
        long fixed = histBytes + 8; // the row table: at most one entry per element, plus the two cut rows
        long perElement = x.type().size() + base.type().size() + 4;
        lane.ensure(ChunkPlan.bytesFor(64, 1, fixed, perElement, 4));
        ChunkPlan plan = ChunkPlan.of(lane.capacity(), fixed, perElement, 4, 1);
        try (Arena arena = Arena.ofConfined()) {
            Params p = params(arena, op, x, base, 0).i32(HIGH, high);
            long count = plan.count(n);
            Pipeline.run(lane, count, (c, half) -> {
                long histAt = HistogramLaunch.counts(half, c, histBytes);
                long len = plan.length(c, n);
                stage(half, p, op, x, base, start + plan.from(c), len);
                p.i64(OUT, half.address(histAt));
                half.stream.launch(Kernel.FUSION_HISTOGRAM, LaunchGeometry.blocks(len, device.multiprocessors()),
                        LaunchGeometry.THREADS, p.segment());
                HistogramLaunch.retire(half, c, count, histAt, hist);
            });
        }
    }

    static void merge(Device device, Lane lane, FusionOp op, Operand x, Operand base, Operand out, long start, long n) {
        int os = out.type().size();
        long perElement = x.type().size() + base.type().size() + os + 4;
        lane.ensure(ChunkPlan.bytesFor(64, 1, 8, perElement, 4));
        ChunkPlan plan = ChunkPlan.of(lane.capacity(), 8, perElement, 4, 1);
        try (Arena arena = Arena.ofConfined()) {
            Params p = params(arena, op, x, base, CudaTypes.code(out.type()));
            Pipeline.run(lane, plan.count(n), (c, half) -> {
                long len = plan.length(c, n);
                stage(half, p, op, x, base, start + plan.from(c), len);
                long at = half.reserve(len * os);
                p.i64(OUT, half.address(at));
                half.stream.launch(Kernel.FUSION_MERGE, LaunchGeometry.blocks(len, device.multiprocessors()),
                        LaunchGeometry.THREADS, p.segment());
                half.output(at, len * os, out.segment(), plan.from(c) * os);
            });
        }
    }

    private static Params params(Arena arena, FusionOp op, Operand x, Operand base, int outType) {
        return new Params(arena, SIZE).i64(ROW_LENGTH, op.rowLength()).f32(THRESHOLD, op.threshold())
                .i32(X_TYPE, CudaTypes.code(x.type())).i32(BASE_TYPE, CudaTypes.code(base.type())).i32(OUT_TYPE, outType);
    }

    /** Uploads elements {@code [from, from + len)} of x and the base, and the KL divergences of their rows. */
    private static void stage(Lane.Half half, Params p, FusionOp op, Operand x, Operand base, long from, long len) {
        int xs = x.type().size();
        int bs = base.type().size();
        long firstRow = from / op.rowLength();
        int rows = (int) ((from + len - 1) / op.rowLength() - firstRow + 1);
        float[] kl = op.rowKl();
        p.i64(X, half.upload(x.segment(), from * xs, len * xs)).i64(BASE, half.upload(base.segment(), from * bs, len * bs))
                .i64(ROW_KL, half.stage(4L * rows, dst -> {
                    for (int r = 0; r < rows; r++) {
                        dst.setAtIndex(F32, r, kl[(int) firstRow + r]);
                    }
                })).i64(N, len).i64(FIRST, from).i64(FIRST_ROW, firstRow);
    }
}
