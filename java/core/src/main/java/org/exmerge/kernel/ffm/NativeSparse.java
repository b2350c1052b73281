package org.exmerge.kernel.ffm;

import static org.exmerge.kernel.ffm.NativeKernels.FALLBACKS;
import static org.exmerge.kernel.ffm.NativeKernels.JAVA;
import static org.exmerge.kernel.ffm.NativeKernels.code;
import static org.exmerge.kernel.ffm.NativeKernels.requireNative;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.exmerge.kernel.KeyHistogram;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.SparseOp;

/**
 * {@link NativeKernels}' numerics §3 ops (TIES, DARE, breadcrumbs, DELLA): tau histograms on
 * {@code mk_magnitude_histogram_high/low}, the band select's read on {@code mk_magnitude_band}, the norms on {@code mk_sparse_norms}, the fused merge on
 * {@code mk_sparse_merge}, ramplus_tl's counts on {@code mk_sparse_kept_counts}; the Java spec is kernel.SparseKernels.
 */
final class NativeSparse {
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE;

    private NativeSparse() {}

    static void histogram(Operand x, Operand base, long n, int high, long[] hist, int buckets) {
        requireNative(x);
        if (base != null) {
            requireNative(base);
        }
        if (hist.length != buckets) {
            throw new IllegalArgumentException("histogram needs " + buckets + " buckets, got " + hist.length);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment xs = Staging.in(x.segment(), Staging.span(x, n, "x"), arena);
            MemorySegment bs = base == null ? MemorySegment.NULL
                    : Staging.in(base.segment(), Staging.span(base, n, "base"), arena);
            int bt = base == null ? 0 : code(base.type());
            MemorySegment h = arena.allocate(ValueLayout.JAVA_LONG, buckets);
            MemorySegment.copy(hist, 0, h, ValueLayout.JAVA_LONG, 0, buckets);
            int status;
            try {
                status = high < 0
                        ? (int) ExmergeNative.MagnitudeHistogramHigh.mk_magnitude_histogram_high.invokeExact(xs, code(x.type()), bs, bt, n, h)
                        : (int) ExmergeNative.MagnitudeHistogramLow.mk_magnitude_histogram_low.invokeExact(xs, code(x.type()), bs, bt, n, high, h);
            } catch (Throwable t) {
                throw ExmergeNative.rethrow(t);
            }
            NativeException.check(status, "magnitude histogram", n + " elements");
            MemorySegment.copy(h, ValueLayout.JAVA_LONG, 0, hist, 0, buckets);
        }
    }

    static void tauHistogram(Operand x, Operand base, long start, long n, int high, long[] hist) {
        // The C passes take τ from element 0 of what they are given, so the operands move to start.
        // Anything the C does not do exactly as the spec (F64/F8 operands, no base, a bucket index
        // outside the table, a histogram of another size) goes to the spec itself, errors included.
        int buckets = high < 0 ? 1 << 15 : 1 << 16;
        if (base == null || code(x.type()) == 0 || code(base.type()) == 0 || high >= 1 << 15 || hist.length != buckets
                || start < 0 || n < 0) {
            FALLBACKS.count("tauHistogram");
            JAVA.tauHistogram(x, base, start, n, high, hist);
            return;
        }
        if (n == 0) {
            return;
        }
        histogram(x.skip(start), base.skip(start), n, high, hist, buckets);
    }

    static long tauBand(Operand x, Operand base, long start, long n, int lo, int hi, long[] counts, int[] band) {
        if (base == null || code(x.type()) == 0 || code(base.type()) == 0) {
            FALLBACKS.count("tauBand");
            return JAVA.tauBand(x, base, start, n, lo, hi, counts, band);
        }
        KeyHistogram.checkBand(lo, hi, counts, start, n); // the spec's own check, so both refuse alike
        Operand xs = x.skip(start);
        Operand bs = base.skip(start);
        long[] between = new long[1];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment xm = Staging.in(xs.segment(), Staging.span(xs, n, "x"), arena);
            MemorySegment bm = Staging.in(bs.segment(), Staging.span(bs, n, "base"), arena);
            int status;
            try {
                status = (int) ExmergeNative.MagnitudeBand.mk_magnitude_band.invokeExact(xm, code(x.type()), bm,
                        code(base.type()), n, lo, hi, MemorySegment.ofArray(counts), MemorySegment.ofArray(band),
                        (long) band.length, MemorySegment.ofArray(between));
            } catch (Throwable t) {
                throw ExmergeNative.rethrow(t);
            }
            NativeException.check(status, "mk_magnitude_band", "elements " + start + " + " + n);
        }
        return between[0];
    }

    static void tauKeys(Operand x, Operand base, long n, int first, int runs, int of, int run, int[] keys) {
        if (base == null || code(x.type()) == 0 || code(base.type()) == 0) {
            FALLBACKS.count("tauKeys");
            JAVA.tauKeys(x, base, n, first, runs, of, run, keys);
            return;
        }
        KeyHistogram.checkRuns(n, first, runs, of, run, keys);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment xm = Staging.in(x.segment(), Staging.span(x, n, "x"), arena);
            MemorySegment bm = Staging.in(base.segment(), Staging.span(base, n, "base"), arena);
            int status;
            try {
                status = (int) ExmergeNative.MagnitudeKeysSpread.mk_magnitude_keys_spread.invokeExact(xm, code(x.type()), bm,
                        code(base.type()), n, first, runs, of, run, MemorySegment.ofArray(keys));
            } catch (Throwable t) {
                throw ExmergeNative.rethrow(t);
            }
            NativeException.check(status, "mk_magnitude_keys_spread", "runs " + first + " + " + runs + " of " + of + " in " + n);
        }
    }

    static int kthLargestKey(int[] keys, int count, long k) {
        if (count < 0 || count > keys.length || k < 1 || k > count) {
            KeyHistogram.checkKeys(keys, count, k); // the spec's refusal; the keys themselves the library checks
        }
        int[] key = new int[1];
        int status;
        try {
            status = (int) ExmergeNative.KthLargestKey.mk_kth_largest_key.invokeExact(MemorySegment.ofArray(keys), (long) count, k,
                    MemorySegment.ofArray(key));
        } catch (Throwable t) {
            throw ExmergeNative.rethrow(t);
        }
        if (status == ExmergeNative.MK_E_ARGUMENT) {
            KeyHistogram.checkKeys(keys, count, k); // a key out of range: refused as the spec refuses it
        }
        NativeException.check(status, "mk_kth_largest_key", "rank " + k + " of " + count);
        return key[0];
    }

    static void sparseNorms(SparseOp op, int norm, Operand[] xs, Operand base, long blockStart, long total,
                            double[] out) {
        if (!SparseArgs.handlesInputs(op, xs, base) || norm < SparseOp.NORM_L1 || norm > SparseOp.NORM_LINF
                || blockStart < 0 || blockStart >= total || blockStart % 65_536 != 0 || out.length < 2 * xs.length) {
            FALLBACKS.count("sparseNorms");
            JAVA.sparseNorms(op, norm, xs, base, blockStart, total, out); // F64/F8, or the spec's error
            return;
        }
        long len = Math.min(65_536, total - blockStart);
        try (Arena arena = Arena.ofConfined()) {
            SparseArgs a = new SparseArgs(op, xs, base, SparseArgs.end(op, blockStart + len), arena);
            MemorySegment o = arena.allocate(F64, Math.max(1, 2L * xs.length));
            int status;
            try {
                status = (int) ExmergeNative.SparseNorms.mk_sparse_norms.invokeExact(a.models, a.inputs, a.types, a.base,
                        code(base.type()), a.from, a.below, a.random, a.keepProb, op.seed(), op.tensorId(), norm,
                        blockStart, len, o, a.rowLength, a.rankLow, a.rankSpan, a.rankSingle);
            } catch (Throwable t) {
                throw ExmergeNative.rethrow(t);
            }
            NativeException.check(status, "mk_sparse_norms", "block " + blockStart + " of " + total);
            MemorySegment.copy(o, F64, 0, out, 0, 2 * xs.length);
        }
    }

    static void keptCounts(SparseOp op, Operand[] xs, Operand base, long start, long n, long[] counts) {
        if (!SparseArgs.handlesInputs(op, xs, base) || start < 0 || n < 0 || counts.length != 2 * xs.length) {
            FALLBACKS.count("keptCounts");
            JAVA.keptCounts(op, xs, base, start, n, counts); // F64/F8, or the spec's error
            return;
        }
        if (n == 0 || xs.length == 0) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            SparseArgs a = new SparseArgs(op, xs, base, SparseArgs.end(op, start + n), arena);
            MemorySegment c = arena.allocate(ValueLayout.JAVA_LONG, counts.length); // zeroed: added on success only
            int status;
            try {
                status = (int) ExmergeNative.SparseKeptCounts.mk_sparse_kept_counts.invokeExact(a.models, a.inputs, a.types,
                        a.base, code(base.type()), a.weights, a.from, a.below, a.random, a.keepProb, a.divisor,
                        op.election(), a.flags, op.seed(), op.tensorId(), start, n, a.rowLength, a.rankLow, a.rankSpan,
                        a.rankSingle, c);
            } catch (Throwable t) {
                throw ExmergeNative.rethrow(t);
            }
            NativeException.check(status, "mk_sparse_kept_counts", "elements " + start + " + " + n + ", " + a.models + " models");
            for (int k = 0; k < counts.length; k++) {
                counts[k] += c.getAtIndex(ValueLayout.JAVA_LONG, k);
            }
        }
    }

    static long sparseMerge(SparseOp op, Operand[] xs, Operand base, Operand out, long start, long n) {
        if (!SparseArgs.handles(op, xs, base, out, start, n)) {
            FALLBACKS.count("sparseMerge");
            return JAVA.sparseMerge(op, xs, base, out, start, n); // F64/F8, or an error the spec reports
        }
        long outBytes = Staging.span(out, n, "output");
        try (Arena arena = Arena.ofConfined()) {
            SparseArgs a = new SparseArgs(op, xs, base, SparseArgs.end(op, start + n), arena);
            MemorySegment o = Staging.out(out.segment(), outBytes, arena);
            MemorySegment first = arena.allocate(ValueLayout.JAVA_LONG);
            int status;
            try {
                status = (int) ExmergeNative.SparseMerge.mk_sparse_merge.invokeExact(a.models, a.inputs, a.types, a.base,
                        code(base.type()), o, code(out.type()), a.weights, a.from, a.below, a.random, a.keepProb,
                        a.divisor, op.election(), a.flags, op.sumDivisor(), op.lambda(), op.seed(), op.tensorId(),
                        start, n, a.rowLength, a.rankLow, a.rankSpan, a.rankSingle, first);
            } catch (Throwable t) {
                throw ExmergeNative.rethrow(t);
            }
            NativeException.check(status, "mk_sparse_merge", "elements " + start + " + " + n + ", " + a.models + " models");
            Staging.back(o, out.segment(), outBytes);
            return first.get(ValueLayout.JAVA_LONG, 0);
        }
    }
}
