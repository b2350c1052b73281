package org.exmerge.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.SparseOp;

/**
 * numerics §3 on the device: mkcu_sparse_merge and mkcu_sparse_kept_counts over sub-chunks, and
 * mkcu_sparse_norms for one reduction block; DELLA's ranks first (RanksLaunch) where the keep is
 * ranked. A sub-chunk uploads the elements it computes, or for a ranked op the whole rows they lie in.
 */
final class SparseLaunch {
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE.withOrder(ByteOrder.LITTLE_ENDIAN);

    private SparseLaunch() {}

    static void merge(Device device, Lane lane, SparseOp op, Operand[] xs, Operand base, Operand out, long start, long n) {
        boolean ranked = op.random() == SparseOp.RANDOM_RANKED;
        long unit = ranked ? op.rowLength() : 1;
        long fixed = ranked ? RanksLaunch.scratchBytes(device, unit) : 0;
        long perElement = bytesPerElement(xs, base, ranked) + out.type().size();
        int operands = xs.length + 4;
        // ranked: sub-chunks are groups of whole rows from the row holding start (an extra row covers a cut)
        long lo = ranked ? start / unit * unit : start;
        long hi = ranked ? (start + n + unit - 1) / unit * unit : start + n;
        lane.ensure(ChunkPlan.bytesFor(2, unit, fixed, perElement, operands));
        ChunkPlan plan = ChunkPlan.of(lane.capacity(), fixed, perElement, operands, unit);
        long span = hi - lo;
        int os = out.type().size();
        try (Arena arena = Arena.ofConfined()) {
            Params p = SparseParams.of(arena, op, xs, base, CudaTypes.code(out.type()), 0);
            Pipeline.run(lane, n == 0 ? 0 : plan.count(span), (c, half) -> {
                long from = lo + plan.from(c);
                long len = plan.length(c, span);
                stage(device, half, p, op, xs, base, from, len, ranked);
                long first = Math.max(start, from);
                long count = Math.min(start + n, from + len) - first;
                long at = half.reserve(count * os);
                p.i64(SparseParams.OUT, half.address(at)).i64(SparseParams.FIRST, first).i64(SparseParams.N, count);
                half.stream.launch(Kernel.SPARSE_MERGE, LaunchGeometry.blocks(count, device.multiprocessors()),
                        LaunchGeometry.THREADS, p.segment());
                half.output(at, count * os, out.segment(), (first - start) * os);
            });
        }
    }

    /**
     * ramplus_tl's counts of elements [start, start + n): each half counts its sub-chunks into its own
     * 2 · models device counts (zeroed on its first, as {@link HistogramLaunch}'s), added into the
     * caller's array once both halves have retired, so a failed call adds nothing.
     */
    static void keptCounts(Device device, Lane lane, SparseOp op, Operand[] xs, Operand base, long start, long n,
                           long[] counts) {
        boolean ranked = op.random() == SparseOp.RANDOM_RANKED;
        long unit = ranked ? op.rowLength() : 1;
        long countBytes = 8L * counts.length;
        long fixed = (ranked ? RanksLaunch.scratchBytes(device, unit) : 0) + countBytes;
        long perElement = bytesPerElement(xs, base, ranked);
        int operands = xs.length + 4;
        long lo = ranked ? start / unit * unit : start;
        long hi = ranked ? (start + n + unit - 1) / unit * unit : start + n;
        lane.ensure(ChunkPlan.bytesFor(2, unit, fixed, perElement, operands));
        ChunkPlan plan = ChunkPlan.of(lane.capacity(), fixed, perElement, operands, unit);
        long span = hi - lo;
        long[] total = new long[counts.length];
        try (Arena arena = Arena.ofConfined()) {
            Params p = SparseParams.of(arena, op, xs, base, 0, 0);
            long count = n == 0 ? 0 : plan.count(span);
            Pipeline.run(lane, count, (c, half) -> {
                long at = HistogramLaunch.counts(half, c, countBytes); // first in the half: the same place every time
                long from = lo + plan.from(c);
                long len = plan.length(c, span);
                stage(device, half, p, op, xs, base, from, len, ranked);
                long first = Math.max(start, from);
                long elements = Math.min(start + n, from + len) - first;
                p.i64(SparseParams.OUT, half.address(at)).i64(SparseParams.FIRST, first).i64(SparseParams.N, elements);
                half.stream.launch(Kernel.SPARSE_KEPT_COUNTS, LaunchGeometry.blocks(elements, device.multiprocessors()),
                        LaunchGeometry.THREADS, p.segment());
                HistogramLaunch.retire(half, c, count, at, total);
            });
        }
        for (int k = 0; k < counts.length; k++) {
            counts[k] += total[k];
        }
    }

    static void norms(Device device, Lane lane, SparseOp op, int norm, Operand[] xs, Operand base, long blockStart,
                      long total, double[] out) {
        boolean ranked = op.random() == SparseOp.RANDOM_RANKED;
        long end = Math.min(blockStart + 65_536, total);
        long unit = ranked ? op.rowLength() : 1;
        long lo = ranked ? blockStart / unit * unit : blockStart;
        long hi = ranked ? (end + unit - 1) / unit * unit : end;
        long fixed = (ranked ? RanksLaunch.scratchBytes(device, unit) : 0) + 16L * xs.length;
        lane.ensure(ChunkPlan.bytesFor(1, hi - lo, fixed, bytesPerElement(xs, base, ranked), xs.length + 4));
        try (Arena arena = Arena.ofConfined()) {
            Params p = SparseParams.of(arena, op, xs, base, 0, norm);
            Pipeline.run(lane, 1, (c, half) -> {
                stage(device, half, p, op, xs, base, lo, hi - lo, ranked);
                long at = half.reserve(16L * xs.length);
                p.i64(SparseParams.OUT, half.address(at)).i64(SparseParams.FIRST, blockStart)
                        .i64(SparseParams.N, end - blockStart);
                half.stream.launch(Kernel.SPARSE_NORMS, xs.length, LaunchGeometry.LANES, p.segment());
                half.output(at, 16L * xs.length, values -> {
                    for (int k = 0; k < 2 * xs.length; k++) {
                        out[k] = values.getAtIndex(F64, k);
                    }
                });
            });
        }
    }

    private static long bytesPerElement(Operand[] xs, Operand base, boolean ranked) {
        long b = base.type().size() + (ranked ? 4L * xs.length : 0);
        for (Operand x : xs) {
            b += x.type().size();
        }
        return b;
    }

    /** Uploads elements [from, from + len) of every input and the base, and ranks them when the op is ranked. */
    private static void stage(Device device, Lane.Half half, Params p, SparseOp op, Operand[] xs, Operand base,
                              long from, long len, boolean ranked) {
        long[] in = new long[xs.length];
        int[] types = new int[xs.length];
        for (int i = 0; i < xs.length; i++) {
            int s = xs[i].type().size();
            in[i] = half.upload(xs[i].segment(), from * s, len * s);
            types[i] = CudaTypes.code(xs[i].type());
            p.i64(SparseParams.INPUTS + 8L * i, in[i]);
        }
        int bs = base.type().size();
        long b = half.upload(base.segment(), from * bs, len * bs);
        p.i64(SparseParams.BASE, b).i64(SparseParams.ORIGIN, from);
        if (!ranked || xs.length == 0) {
            return;
        }
        long rowLength = op.rowLength();
        long ranks = half.address(half.reserve(4L * xs.length * len));
        long scratch = half.address(half.reserve(RanksLaunch.scratchBytes(device, rowLength)));
        RanksLaunch.run(device, half, in, types, b, CudaTypes.code(base.type()), from, from / rowLength, len / rowLength,
                rowLength, ranks, scratch);
        p.i64(SparseParams.RANKS, ranks).i64(SparseParams.RANK_FIRST, from).i64(SparseParams.RANK_STRIDE, len);
    }

}
