package org.exmerge.method;

import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.Operand;
import org.exmerge.numeric.MagnitudeSelect;

/**
 * Exact k-th largest {@code |τ|} of one tensor (SPEC §3 magnitude trim, breadcrumbs' two thresholds)
 * by {@link MagnitudeSelect}'s two-pass radix select, with the histograms counted by the backend's
 * {@link Kernels#tauHistogram}: two reads of {@code x} and {@code b}, no copy, no sort.
 */
final class Thresholds {
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
    static long[] kthLargestKeys(Kernels k, Operand x, Operand base, long n, long... ks) {
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
                high = new long[MagnitudeSelect.HIGH_BUCKETS];
                k.tauHistogram(x, base, 0, n, -1, high);
            }
            int h = MagnitudeSelect.selectBucket(high, kth);
            long[] low = null;
            for (int q = 0; q < r; q++) {
                if (lowByBucket[q] != null && bucketOf[q] == h) {
                    low = lowByBucket[q];
                }
            }
            if (low == null) {
                low = new long[MagnitudeSelect.LOW_BUCKETS];
                k.tauHistogram(x, base, 0, n, h, low);
            }
            lowByBucket[r] = low;
            bucketOf[r] = h;
            keys[r] = MagnitudeSelect.combine(h, MagnitudeSelect.selectBucket(low, kth - MagnitudeSelect.countAbove(high, h)));
        }
        return keys;
    }
}
