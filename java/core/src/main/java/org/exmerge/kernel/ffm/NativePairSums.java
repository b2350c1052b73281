package org.exmerge.kernel.ffm;

import static org.exmerge.kernel.ffm.NativeKernels.FALLBACKS;
import static org.exmerge.kernel.ffm.NativeKernels.JAVA;
import static org.exmerge.kernel.ffm.NativeKernels.code;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.VectorSpan;

/**
 * {@link NativeKernels}' numerics §4 op: the geometric methods' pair sums on {@code mk_pair_sums}. Only
 * the elements the span reads are handed over (heap operands staged), so the C side sees the span's
 * first element moved to the start of what it is given.
 */
final class NativePairSums {
    private NativePairSums() {}

    static void pairSums(Operand[] xs, Operand base, int[][] pairs, VectorSpan s, double[] out) {
        s.check(xs, base, pairs, out);
        if (!NativeKernels.allNative(xs, base)) {
            FALLBACKS.count("pairSums");
            JAVA.pairSums(xs, base, pairs, s, out); // F64/F8, or the spec's error
            return;
        }
        if (pairs.length == 0) {
            return;
        }
        long lo = s.lowestElement();
        long count = s.highestElement() - lo + 1;
        int outs = s.outputs(pairs.length);
        try (Arena arena = Arena.ofConfined()) {
            int k = xs.length;
            MemorySegment ptrs = arena.allocate(ValueLayout.ADDRESS, k);
            MemorySegment types = arena.allocate(ValueLayout.JAVA_INT, k);
            for (int i = 0; i < k; i++) {
                ptrs.setAtIndex(ValueLayout.ADDRESS, i, reads(xs[i], lo, count, "input " + i, arena));
                types.setAtIndex(ValueLayout.JAVA_INT, i, code(xs[i].type()));
            }
            MemorySegment b = base == null ? MemorySegment.NULL : reads(base, lo, count, "base", arena);
            MemorySegment p = arena.allocate(ValueLayout.JAVA_INT, 2L * pairs.length);
            for (int q = 0; q < pairs.length; q++) {
                p.setAtIndex(ValueLayout.JAVA_INT, 2L * q, pairs[q][0]);
                p.setAtIndex(ValueLayout.JAVA_INT, 2L * q + 1, pairs[q][1]);
            }
            MemorySegment o = arena.allocate(ValueLayout.JAVA_DOUBLE, outs);
            int status;
            try {
                status = (int) ExmergeNative.PairSums.mk_pair_sums.invokeExact(k, ptrs, types, b, base == null ? 0 : code(base.type()),
                        pairs.length, p, s.first() - lo, s.elementStride(), s.vectorStride(), s.vectors(), s.length(),
                        s.firstBlock(), s.blocks(), o);
            } catch (Throwable t) {
                throw ExmergeNative.rethrow(t);
            }
            NativeException.check(status, "mk_pair_sums", s.vectors() + " vectors of " + s.length() + ", blocks "
                    + s.firstBlock() + " + " + s.blocks());
            MemorySegment.copy(o, ValueLayout.JAVA_DOUBLE, 0, out, 0, outs);
        }
    }

    /** Elements {@code [lo, lo + count)} of {@code o}, bounds-checked, as a segment C can read. */
    private static MemorySegment reads(Operand o, long lo, long count, String what, Arena arena) {
        Staging.span(o, lo + count, what);
        long size = o.type().size();
        return Staging.in(o.segment().asSlice(lo * size, count * size), count * size, arena);
    }
}
