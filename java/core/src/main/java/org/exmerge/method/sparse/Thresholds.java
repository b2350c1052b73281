package org.exmerge.method.sparse;

import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.Operand;
import org.exmerge.method.KeySelect;
import org.exmerge.method.Parallel;
import org.exmerge.numeric.MagnitudeSelect;

/**
 * Exact k-th largest {@code |τ|} of one tensor (numerics §3 magnitude trim, breadcrumbs' two thresholds):
 * on a tensor of {@link BandSelect#FROM} elements or more, one {@link BandSelect} read per rank; on
 * smaller ones, and for a rank the band missed, {@link MagnitudeSelect}'s two-pass radix select
 * ({@link KeySelect} spreads the passes over the run's threads) with the histograms counted by the
 * backend's {@link Kernels#tauHistogram}. Both give the same key; no copy, no sort of the tensor.
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
        boolean[] settled = new boolean[ks.length];
        int open = ks.length;
        if (BandSelect.serves(x, base, n)) {
            boolean release = KeySelect.releases(n, x, base);
            int[] sample = null;
            for (int r = 0; r < ks.length; r++) {
                if (ks[r] < 1 || ks[r] > n) {
                    continue; // the select answers these from the count alone, with no read
                }
                if (sample == null) {
                    sample = BandSelect.sample(k, parallel, x, base, n);
                    if (release) { // the sample's pages, before the read walks the tensor a part at a time
                        x.release(0, n);
                        base.release(0, n);
                    }
                }
                keys[r] = BandSelect.kthLargest(k, parallel, x, base, n, ks[r], sample, release);
                settled[r] = keys[r] != BandSelect.MISS;
                open -= settled[r] ? 1 : 0;
            }
        }
        if (open == 0) {
            return keys;
        }
        long[] rest = new long[open];
        for (int r = 0, q = 0; r < ks.length; r++) {
            if (!settled[r]) {
                rest[q++] = ks[r];
            }
        }
        KeySelect.Pass pass = (start, len, high, hist) -> k.tauHistogram(x, base, start, len, high, hist);
        long[] counted = KeySelect.kthLargestOfAll(KeySelect.releasing(pass, n, x, base), parallel, n, rest);
        for (int r = 0, q = 0; r < ks.length; r++) {
            if (!settled[r]) {
                keys[r] = counted[q++];
            }
        }
        return keys;
    }
}
