package org.exmerge.kernel.ffm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.SceOp;
import org.exmerge.numeric.BlockReduction;

/**
 * The native calls behind {@link NativeKernels}' sce ops ({@code mk_sce_histogram},
 * {@code mk_sce_squares}, {@code mk_sce_merge}, native/src/api_sce.c). Each returns false, touching nothing, for a call
 * the C does not take exactly as the spec (F64/F8 operands, arguments the spec rejects), which the
 * caller then hands to the Java spec and counts.
 */
final class NativeSce {
    private NativeSce() {}

    private static boolean handles(Operand[] xs, Operand base) {
        if (base == null || xs.length == 0 || NativeKernels.code(base.type()) == 0) {
            return false;
        }
        for (Operand x : xs) {
            if (NativeKernels.code(x.type()) == 0) {
                return false;
            }
        }
        return true;
    }

    /** The staged inputs of a call: pointer and type arrays over elements {@code [start, start + n)}. */
    private record Inputs(MemorySegment ptrs, MemorySegment types, MemorySegment base) {
        static Inputs of(Operand[] all, Operand whole, long start, long end, Arena arena) {
            // The C ops work element by element with no absolute index, so operands move to start.
            Operand[] xs = new Operand[all.length];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = all[i].skip(start);
            }
            Operand base = whole.skip(start);
            MemorySegment ptrs = arena.allocate(ValueLayout.ADDRESS, xs.length);
            MemorySegment types = arena.allocate(ValueLayout.JAVA_INT, xs.length);
            for (int i = 0; i < xs.length; i++) {
                ptrs.setAtIndex(ValueLayout.ADDRESS, i, Staging.in(xs[i].segment(), Staging.span(xs[i], end, "input " + i), arena));
                types.setAtIndex(ValueLayout.JAVA_INT, i, NativeKernels.code(xs[i].type()));
            }
            MemorySegment b = Staging.in(base.segment(), Staging.span(base, end, "base"), arena);
            return new Inputs(ptrs, types, b);
        }
    }

    static boolean histogram(Operand[] xs, Operand base, long start, long n, int high, long[] hist) {
        int buckets = high < 0 ? 1 << 15 : 1 << 16;
        if (!handles(xs, base) || high >= 1 << 15 || hist.length != buckets || start < 0 || n < 0) {
            return false;
        }
        if (n == 0) {
            return true;
        }
        try (Arena arena = Arena.ofConfined()) {
            Inputs in = Inputs.of(xs, base, start, n, arena);
            MemorySegment h = arena.allocate(ValueLayout.JAVA_LONG, buckets);
            MemorySegment.copy(hist, 0, h, ValueLayout.JAVA_LONG, 0, buckets);
            int status;
            try {
                status = (int) ExmergeNative.SceHistogram.mk_sce_histogram.invokeExact(xs.length, in.ptrs(), in.types(), in.base(),
                        NativeKernels.code(base.type()), n, high, h);
            } catch (Throwable t) {
                throw ExmergeNative.rethrow(t);
            }
            NativeException.check(status, "mk_sce_histogram", "elements " + start + " + " + n);
            MemorySegment.copy(h, ValueLayout.JAVA_LONG, 0, hist, 0, buckets);
        }
        return true;
    }

    static boolean squares(SceOp op, Operand[] xs, Operand base, long blockStart, long total, double[] out) {
        if (!handles(xs, base) || xs.length != op.models() || out.length < xs.length || blockStart < 0
                || blockStart >= total || blockStart % BlockReduction.BLOCK_SIZE != 0) {
            return false;
        }
        long n = Math.min(BlockReduction.BLOCK_SIZE, total - blockStart);
        try (Arena arena = Arena.ofConfined()) {
            Inputs in = Inputs.of(xs, base, blockStart, n, arena);
            MemorySegment o = arena.allocate(ValueLayout.JAVA_DOUBLE, xs.length);
            int status;
            try {
                status = (int) ExmergeNative.SceSquares.mk_sce_squares.invokeExact(xs.length, in.ptrs(), in.types(), in.base(),
                        NativeKernels.code(base.type()), op.keepFrom(), n, o);
            } catch (Throwable t) {
                throw ExmergeNative.rethrow(t);
            }
            NativeException.check(status, "mk_sce_squares", "block " + blockStart + " of " + total + ", " + xs.length
                    + " models");
            MemorySegment.copy(o, ValueLayout.JAVA_DOUBLE, 0, out, 0, xs.length);
        }
        return true;
    }

    static boolean merge(SceOp op, Operand[] xs, Operand base, Operand out, long start, long n) {
        if (!handles(xs, base) || xs.length != op.models() || NativeKernels.code(out.type()) == 0 || start < 0 || n < 0) {
            return false;
        }
        if (n == 0) {
            return true;
        }
        long outBytes = Staging.span(out, n, "output");
        try (Arena arena = Arena.ofConfined()) {
            Inputs in = Inputs.of(xs, base, start, n, arena);
            MemorySegment w = arena.allocate(ValueLayout.JAVA_FLOAT, xs.length);
            MemorySegment.copy(op.weights(), 0, w, ValueLayout.JAVA_FLOAT, 0, xs.length);
            MemorySegment o = Staging.out(out.segment(), outBytes, arena);
            int status;
            try {
                status = (int) ExmergeNative.SceMerge.mk_sce_merge.invokeExact(xs.length, in.ptrs(), in.types(), in.base(),
                        NativeKernels.code(base.type()), o, NativeKernels.code(out.type()), w, op.keepFrom(), n);
            } catch (Throwable t) {
                throw ExmergeNative.rethrow(t);
            }
            NativeException.check(status, "mk_sce_merge", "elements " + start + " + " + n + ", " + xs.length + " models");
            Staging.back(o, out.segment(), outBytes);
        }
        return true;
    }
}
