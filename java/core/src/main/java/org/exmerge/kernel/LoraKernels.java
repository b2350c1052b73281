package org.exmerge.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.exmerge.numeric.Narrow;
import org.exmerge.numeric.Widen;

/**
 * The Java spec of {@link Kernels#loraRows} (numerics §12): a row at a time, the weight widened to
 * float64, the delta summed over k into a row of sums, then scaled, added and narrowed once.
 */
public final class LoraKernels {
    /** The factors' layout: float64 in native byte order, as the caller widened them. */
    public static final ValueLayout.OfDouble FACTOR = ValueLayout.JAVA_DOUBLE_UNALIGNED;

    private LoraKernels() {}

    /**
     * The argument checks every backend makes first, so each refuses alike: counts, types, and that
     * every segment holds what the call reads or writes.
     */
    public static void check(Operand w, MemorySegment left, MemorySegment right, int rank, long columns, int count,
                             Operand out) {
        if (rank < 0 || columns < 0 || count < 0) {
            throw new IllegalArgumentException("loraRows: negative rank " + rank + ", columns " + columns + " or rows " + count);
        }
        if (!w.type().isFloat() || !out.type().isFloat()) {
            throw new IllegalArgumentException("loraRows takes float types, not " + w.type() + " to " + out.type());
        }
        long n = Math.multiplyExact(columns, (long) count);
        fits("w", w.segment(), Math.multiplyExact(n, (long) w.type().size()));
        fits("out", out.segment(), Math.multiplyExact(n, (long) out.type().size()));
        fits("left", left, Math.multiplyExact((long) count * rank, 8L));
        fits("right", right, Math.multiplyExact(Math.multiplyExact(columns, (long) rank), 8L));
    }

    private static void fits(String what, MemorySegment s, long bytes) {
        if (s.byteSize() < bytes) {
            throw new IndexOutOfBoundsException("loraRows: " + what + " has " + s.byteSize() + " bytes, the call needs " + bytes);
        }
    }

    static void rows(Operand w, MemorySegment left, MemorySegment right, int rank, long columns, int count, double scaling,
                     Operand out) {
        check(w, left, right, rank, columns, count, out);
        int n = Math.toIntExact(columns);
        double[] v = new double[n];
        double[] sum = new double[n];
        double[] l = new double[rank];
        long outRow = (long) n * out.type().size();
        for (int r = 0; r < count; r++) {
            Widen.toDoubles(w.segment(), w.type(), (long) r * n, n, v);
            MemorySegment.copy(left, FACTOR, (long) r * rank * 8, l, 0, rank);
            Arrays.fill(sum, 0.0);
            int k = 0;
            for (; k + 3 < rank; k += 4) { // four k at a time: the same adds in the same order, a quarter of the passes over sum
                double l0 = l[k];
                double l1 = l[k + 1];
                double l2 = l[k + 2];
                double l3 = l[k + 3];
                long r0 = (long) k * n;
                long r1 = r0 + n;
                long r2 = r1 + n;
                long r3 = r2 + n;
                for (int j = 0; j < n; j++) {
                    double x = sum[j];
                    x += l0 * right.getAtIndex(FACTOR, r0 + j);
                    x += l1 * right.getAtIndex(FACTOR, r1 + j);
                    x += l2 * right.getAtIndex(FACTOR, r2 + j);
                    x += l3 * right.getAtIndex(FACTOR, r3 + j);
                    sum[j] = x;
                }
            }
            for (; k < rank; k++) {
                double lk = l[k];
                long rk = (long) k * n;
                for (int j = 0; j < n; j++) {
                    sum[j] += lk * right.getAtIndex(FACTOR, rk + j);
                }
            }
            for (int j = 0; j < n; j++) {
                v[j] += scaling * sum[j];
            }
            Narrow.store(v, n, out.type(), out.segment(), r * outRow);
        }
    }
}
