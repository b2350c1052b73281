package org.exmerge.method.sparse;

import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.Operand;
import org.exmerge.method.Parallel;
import org.exmerge.numeric.MagnitudeSelect;

/**
 * Exact k-th largest {@code |τ|} of one tensor (numerics §3 magnitude trim, breadcrumbs' two thresholds)
 * by {@link MagnitudeSelect}'s two-pass radix select, with the histograms counted by the backend's
 * {@link Kernels#tauHistogram}: two reads of {@code x} and {@code b}, no copy, no sort.
 */
public final class Thresholds {
    private Thresholds() {}

    /** The density's element count {@code k = floor(density · n)} (density ≥ 1 gives n or more: keep all). */
    static long count(double density, long n) {
        return (long) Math.floor(density * (double) n);
    }

    /**
     * Threshold keys for each rank {@code ks[r]} (k-th largest, counting duplicates) of the task
     * vector {@code x − b} over {@code n} elements: {@link MagnitudeSelect#NONE} for k = 0, 0 for
     * k > n. One first pass serves every rank; one second pass runs per distinct bucket.
     */
    public static long[] kthLargestKeys(Kernels k, Parallel parallel, Operand x, Operand base, long n, long... ks) {
        long[] keys = new long[ks.length];
        long[] high = null;
        long[][] lowByBucket = new long[ks.length][];
        int[] bucketOf = new int[ks.length];
        for (int r = 0; r < ks.length; r++) {
            long kth = ks[r];
            if (kth < 0) {
                throw new IllegalArgumentException("k must be ≥ 0, was " + kth);
            }
            if (kth == 0) {
                keys[r] = MagnitudeSelect.NONE;
                continue;
            }
            if (kth > n) {
                keys[r] = 0;
                continue;
            }
            if (high == null) {
                high = histogram(k, parallel, x, base, n, -1, MagnitudeSelect.HIGH_BUCKETS);
            }
            int h = MagnitudeSelect.selectBucket(high, kth);
            long[] low = null;
            for (int q = 0; q < r; q++) {
                if (lowByBucket[q] != null && bucketOf[q] == h) {
                    low = lowByBucket[q];
                }
            }
            if (low == null) {
                low = histogram(k, parallel, x, base, n, h, MagnitudeSelect.LOW_BUCKETS);
            }
            lowByBucket[r] = low;
            bucketOf[r] = h;
            keys[r] = MagnitudeSelect.combine(h, MagnitudeSelect.selectBucket(low, kth - MagnitudeSelect.countAbove(high, h)));
        }
        return keys;
    }

    /** Fewest elements per piece of a histogram pass: a piece's own histogram is up to 512 KB. */
    private static final long GRAIN = 1 << 20;

    /**
     * One histogram pass, cut into pieces counted on the run's threads; counts add exactly in any
     * split, so there are no more pieces than threads: each piece allocates, zeroes, copies and
     * sums a histogram of its own, as many bytes as a megabyte of 16-bit task vector.
     */
    private static long[] histogram(Kernels k, Parallel parallel, Operand x, Operand base, long n, int high, int buckets) {
        int pieces = Math.min(Parallel.pieces(n, GRAIN), Math.max(1, parallel.width()));
        long[][] parts = new long[pieces][];
        long step = (n + pieces - 1) / pieces;
        parallel.run(pieces, p -> {
            long start = p * step;
            long[] h = new long[buckets];
            if (start < n) {
                k.tauHistogram(x, base, start, Math.min(step, n - start), high, h);
            }
            parts[p] = h;
        });
        long[] total = parts[0];
        for (int p = 1; p < pieces; p++) {
            for (int b = 0; b < buckets; b++) {
                total[b] += parts[p][b];
            }
        }
        return total;
    }
}
