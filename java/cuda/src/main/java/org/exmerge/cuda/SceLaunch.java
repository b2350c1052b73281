package org.exmerge.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.SceOp;

/**
 * mergekit's sce on the device: mkcu_sce_histogram, mkcu_sce_squares and mkcu_sce_merge
 * (cuda/include/mkcu_sce.cuh). The histogram counts per half as {@link HistogramLaunch} does; the
 * squares take one numerics §4 block, one 64-thread block folding every model's lanes.
 */
final class SceLaunch {
    static final long SIZE = 304;
    private static final long INPUTS = 0;
    private static final long WEIGHTS = 128;
    private static final long TYPES = 192;
    private static final long BASE = 256;
    private static final long OUT = 264;
    private static final long N = 272;
    private static final long KEEP_FROM = 280;
    private static final long N_MODELS = 288;
    private static final long BASE_TYPE = 292;
    private static final long OUT_TYPE = 296;
    private static final long HIGH = 300;
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE.withOrder(ByteOrder.LITTLE_ENDIAN);

    private SceLaunch() {}

    static void histogram(Device device, Lane lane, Operand[] xs, Operand base, long start, long n, int high, long[] hist) {
        long histBytes = 8L * hist.length;
        long perElement = bytesPerElement(xs, base);
        lane.ensure(ChunkPlan.bytesFor(64, 1, histBytes, perElement, xs.length + 2));
        ChunkPlan plan = ChunkPlan.of(lane.capacity(), histBytes, perElement, xs.length + 2, 1);
        try (Arena arena = Arena.ofConfined()) {
            Params p = params(arena, xs, base, null, 0).i32(HIGH, high);
            long count = plan.count(n);
            Pipeline.run(lane, count, (c, half) -> {
                long histAt = HistogramLaunch.counts(half, c, histBytes);
                long len = plan.length(c, n);
                stage(half, p, xs, base, start + plan.from(c), len);
                p.i64(OUT, half.address(histAt));
                half.stream.launch(Kernel.SCE_HISTOGRAM, LaunchGeometry.blocks(len, device.multiprocessors()),
                        LaunchGeometry.THREADS, p.segment());
                HistogramLaunch.retire(half, c, count, histAt, hist);
            });
        }
    }

    static void squares(Lane lane, SceOp op, Operand[] xs, Operand base, long blockStart, long total, double[] out) {
        long len = Math.min(blockStart + 65_536, total) - blockStart;
        lane.ensure(ChunkPlan.bytesFor(len, 1, 8L * xs.length, bytesPerElement(xs, base), xs.length + 2));
        try (Arena arena = Arena.ofConfined()) {
            Params p = params(arena, xs, base, op, 0);
            Pipeline.run(lane, 1, (c, half) -> {
                stage(half, p, xs, base, blockStart, len);
                long at = half.reserve(8L * xs.length);
                p.i64(OUT, half.address(at));
                half.stream.launch(Kernel.SCE_SQUARES, 1, LaunchGeometry.LANES, p.segment());
                half.output(at, 8L * xs.length, values -> {
                    for (int i = 0; i < xs.length; i++) {
                        out[i] = values.getAtIndex(F64, i);
                    }
                });
            });
        }
    }

    static void merge(Device device, Lane lane, SceOp op, Operand[] xs, Operand base, Operand out, long start, long n) {
        int os = out.type().size();
        long perElement = bytesPerElement(xs, base) + os;
        lane.ensure(ChunkPlan.bytesFor(64, 1, 0, perElement, xs.length + 2));
        ChunkPlan plan = ChunkPlan.of(lane.capacity(), 0, perElement, xs.length + 2, 1);
        try (Arena arena = Arena.ofConfined()) {
            Params p = params(arena, xs, base, op, CudaTypes.code(out.type()));
            Pipeline.run(lane, plan.count(n), (c, half) -> {
                long len = plan.length(c, n);
                stage(half, p, xs, base, start + plan.from(c), len);
                long at = half.reserve(len * os);
                p.i64(OUT, half.address(at));
                half.stream.launch(Kernel.SCE_MERGE, LaunchGeometry.blocks(len, device.multiprocessors()),
                        LaunchGeometry.THREADS, p.segment());
                half.output(at, len * os, out.segment(), plan.from(c) * os);
            });
        }
    }

    /** Everything but the addresses and the length; {@code op} null for the histogram (weights unused, keep all). */
    private static Params params(Arena arena, Operand[] xs, Operand base, SceOp op, int outType) {
        Params p = new Params(arena, SIZE).i32(N_MODELS, xs.length).i32(BASE_TYPE, CudaTypes.code(base.type()))
                .i32(OUT_TYPE, outType).i64(KEEP_FROM, op == null ? 0 : op.keepFrom());
        for (int i = 0; i < xs.length; i++) {
            p.i32(TYPES + 4L * i, CudaTypes.code(xs[i].type())).f32(WEIGHTS + 4L * i, op == null ? 0f : op.weights()[i]);
        }
        return p;
    }

    /** Uploads elements {@code [from, from + len)} of every input and the base. */
    private static void stage(Lane.Half half, Params p, Operand[] xs, Operand base, long from, long len) {
        for (int i = 0; i < xs.length; i++) {
            int s = xs[i].type().size();
            p.i64(INPUTS + 8L * i, half.upload(xs[i].segment(), from * s, len * s));
        }
        int bs = base.type().size();
        p.i64(BASE, half.upload(base.segment(), from * bs, len * bs)).i64(N, len);
    }

    private static long bytesPerElement(Operand[] xs, Operand base) {
        long b = base.type().size();
        for (Operand x : xs) {
            b += x.type().size();
        }
        return b;
    }
}
