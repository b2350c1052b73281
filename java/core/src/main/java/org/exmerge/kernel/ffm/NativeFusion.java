package org.exmerge.kernel.ffm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.exmerge.kernel.FusionOp;
import org.exmerge.kernel.Operand;

/**
 * The native calls behind {@link NativeKernels}' arcee_fusion ops ({@code mk_fusion_histogram},
 * {@code mk_fusion_merge}, native/src/api_fusion.c). Each returns false, touching nothing, for a
 * call the C does not take exactly as the spec (F64/F8 operands, arguments the spec rejects, such
 * as elements beyond the op's rows), which the caller then hands to the Java spec and counts.
 */
final class NativeFusion {
    private NativeFusion() {}

    private static boolean handles(FusionOp op, Operand x, Operand base, long start, long n) {
        if (base == null || NativeKernels.code(x.type()) == 0 || NativeKernels.code(base.type()) == 0 || start < 0
                || n < 0) {
            return false;
        }
        long rows = op.rowKl().length;
        return n == 0 || (start + n - 1) / op.rowLength() < rows;
    }

    /**
     * The divergences of the rows elements {@code [start, start + n)} lie in (n ≥ 1), so a chunk
     * copies its few rows, not the tensor's; the C then counts rows from the first of them.
     */
    private record Rows(MemorySegment kl, long count, long start) {
        static Rows of(FusionOp op, long start, long n, Arena arena) {
            long first = start / op.rowLength();
            int count = (int) ((start + n - 1) / op.rowLength() - first + 1);
            MemorySegment s = arena.allocate(ValueLayout.JAVA_FLOAT, count);
            MemorySegment.copy(op.rowKl(), (int) first, s, ValueLayout.JAVA_FLOAT, 0, count);
            return new Rows(s, count, start - first * op.rowLength());
        }
    }

    static boolean histogram(FusionOp op, Operand x, Operand base, long start, long n, int high, long[] hist) {
        int buckets = high < 0 ? 1 << 15 : 1 << 16;
        if (!handles(op, x, base, start, n) || high >= 1 << 15 || hist.length != buckets) {
            return false;
        }
        if (n == 0) {
            return true;
        }
        // The C works from the pointers on, with start telling it the row of their first element.
        Operand xs = x.skip(start);
        Operand bs = base.skip(start);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment xp = Staging.in(xs.segment(), Staging.span(xs, n, "input"), arena);
            MemorySegment bp = Staging.in(bs.segment(), Staging.span(bs, n, "base"), arena);
            Rows rows = Rows.of(op, start, n, arena);
            MemorySegment h = arena.allocate(ValueLayout.JAVA_LONG, buckets);
            MemorySegment.copy(hist, 0, h, ValueLayout.JAVA_LONG, 0, buckets);
            int status;
            try {
                status = (int) ExmergeNative.FusionHistogram.mk_fusion_histogram.invokeExact(xp, NativeKernels.code(x.type()), bp,
                        NativeKernels.code(base.type()), rows.kl(), rows.count(), (long) op.rowLength(), rows.start(),
                        n, high, h);
            } catch (Throwable t) {
                throw ExmergeNative.rethrow(t);
            }
            NativeException.check(status, "mk_fusion_histogram", "elements " + start + " + " + n);
            MemorySegment.copy(h, ValueLayout.JAVA_LONG, 0, hist, 0, buckets);
        }
        return true;
    }

    static boolean merge(FusionOp op, Operand x, Operand base, Operand out, long start, long n) {
        if (!handles(op, x, base, start, n) || NativeKernels.code(out.type()) == 0) {
            return false;
        }
        if (n == 0) {
            return true;
        }
        Operand xs = x.skip(start);
        Operand bs = base.skip(start);
        long outBytes = Staging.span(out, n, "output");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment xp = Staging.in(xs.segment(), Staging.span(xs, n, "input"), arena);
            MemorySegment bp = Staging.in(bs.segment(), Staging.span(bs, n, "base"), arena);
            MemorySegment o = Staging.out(out.segment(), outBytes, arena);
            Rows rows = Rows.of(op, start, n, arena);
            int status;
            try {
                status = (int) ExmergeNative.FusionMerge.mk_fusion_merge.invokeExact(xp, NativeKernels.code(x.type()), bp,
                        NativeKernels.code(base.type()), o, NativeKernels.code(out.type()), rows.kl(), rows.count(),
                        (long) op.rowLength(), rows.start(), op.threshold(), n);
            } catch (Throwable t) {
                throw ExmergeNative.rethrow(t);
            }
            NativeException.check(status, "mk_fusion_merge", "elements " + start + " + " + n);
            Staging.back(o, out.segment(), outBytes);
        }
        return true;
    }
}
