package org.exmerge.kernel.ffm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.SparseOp;

/**
 * A {@link SparseOp} and its operands laid out for {@code mk_sparse_merge}: per-model arrays in the
 * call's arena, input pointers at element 0 of each tensor (the C kernel adds the absolute start,
 * as the Java spec does), heap operands staged.
 */
final class SparseArgs {
    final int models;
    final MemorySegment inputs;
    final MemorySegment types;
    final MemorySegment base;
    final MemorySegment weights;
    final MemorySegment from;
    final MemorySegment below;
    final int random;
    final MemorySegment keepProb;
    final MemorySegment divisor;
    final int flags;
    final long rowLength;
    final MemorySegment rankLow;
    final MemorySegment rankSpan;
    final MemorySegment rankSingle;

    /**
     * Whether {@code mk_sparse_merge} computes this call exactly as the spec: the inputs
     * {@link #handlesInputs} takes, an F32/F16/BF16 output, a sane range. Everything else, errors
     * included, is the Java spec's to handle.
     */
    static boolean handles(SparseOp op, Operand[] xs, Operand base, Operand out, long start, long n) {
        return handlesInputs(op, xs, base) && NativeKernels.code(out.type()) != 0 && start >= 0 && n >= 0;
    }

    /**
     * F32/F16/BF16 inputs and base, the model count the op has, bands inside [0, 2^31]. DELLA's
     * per-row rank probabilities run natively too ({@link #end}: the rows a call touches are read whole).
     */
    static boolean handlesInputs(SparseOp op, Operand[] xs, Operand base) {
        if (base == null || xs.length != op.models()
                || NativeKernels.code(base.type()) == 0) {
            return false;
        }
        for (int i = 0; i < xs.length; i++) {
            if (NativeKernels.code(xs[i].type()) == 0 || !bound(op.keepFrom()[i]) || !bound(op.keepBelow()[i])) {
                return false;
            }
        }
        return true;
    }

    /**
     * How many elements from element 0 a call reading up to {@code end} touches: {@code end}, or for
     * DELLA the end of the row holding element {@code end − 1} (ranks need whole rows).
     */
    static long end(SparseOp op, long end) {
        if (op.random() != SparseOp.RANDOM_RANKED || end == 0) {
            return end;
        }
        long n = op.rowLength();
        return Math.multiplyExact(Math.ceilDiv(end, n), n);
    }

    private static boolean bound(long b) {
        return b >= 0 && b <= SparseOp.NO_UPPER;
    }

    /** Lays out {@code op}; every operand must hold {@code end} elements from element 0. */
    SparseArgs(SparseOp op, Operand[] xs, Operand b, long end, Arena arena) {
        models = xs.length;
        int k = Math.max(1, models);
        inputs = arena.allocate(ValueLayout.ADDRESS, k);
        types = arena.allocate(ValueLayout.JAVA_INT, k);
        for (int i = 0; i < models; i++) {
            inputs.setAtIndex(ValueLayout.ADDRESS, i, Staging.in(xs[i].segment(), Staging.span(xs[i], end, "input " + i), arena));
            types.setAtIndex(ValueLayout.JAVA_INT, i, NativeKernels.code(xs[i].type()));
        }
        base = Staging.in(b.segment(), Staging.span(b, end, "base"), arena);
        weights = floats(arena, op.weights(), k);
        from = longs(arena, op.keepFrom(), k);
        below = longs(arena, op.keepBelow(), k);
        random = switch (op.random()) {
            case SparseOp.RANDOM_FIXED -> ExmergeNative.MK_RANDOM_FIXED;
            case SparseOp.RANDOM_RANKED -> ExmergeNative.MK_RANDOM_RANKED;
            default -> ExmergeNative.MK_RANDOM_NONE;
        };
        keepProb = floats(arena, op.keepProb(), k);
        divisor = floats(arena, op.divisor(), k);
        flags = (op.normalize() ? ExmergeNative.MK_SPARSE_NORMALIZE : 0)
                | (op.divideByProb() ? ExmergeNative.MK_SPARSE_DIVIDE_BY_PROB : 0);
        rowLength = op.rowLength();
        rankLow = doubles(arena, op.rankLow(), k);
        rankSpan = doubles(arena, op.rankSpan(), k);
        rankSingle = floats(arena, op.rankSingle(), k);
    }

    private static MemorySegment doubles(Arena arena, double[] v, int k) {
        MemorySegment s = arena.allocate(ValueLayout.JAVA_DOUBLE, k);
        MemorySegment.copy(v, 0, s, ValueLayout.JAVA_DOUBLE, 0, v.length);
        return s;
    }

    private static MemorySegment floats(Arena arena, float[] v, int k) {
        MemorySegment s = arena.allocate(ValueLayout.JAVA_FLOAT, k);
        MemorySegment.copy(v, 0, s, ValueLayout.JAVA_FLOAT, 0, v.length);
        return s;
    }

    private static MemorySegment longs(Arena arena, long[] v, int k) {
        MemorySegment s = arena.allocate(ValueLayout.JAVA_LONG, k);
        MemorySegment.copy(v, 0, s, ValueLayout.JAVA_LONG, 0, v.length);
        return s;
    }
}
