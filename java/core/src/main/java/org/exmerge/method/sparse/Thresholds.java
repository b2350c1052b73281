package org.exmerge.method.sparse;

import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.Operand;
import org.exmerge.method.KeySelect;
import org.exmerge.method.Parallel;
import org.exmerge.numeric.MagnitudeSelect;

/**
 * Exact k-th largest {@code |τ|} of one tensor (numerics §3 magnitude trim, breadcrumbs' two thresholds)
 * by {@link MagnitudeSelect}'s two-pass radix select ({@link KeySelect} spreads the passes over the
 * run's threads), with the histograms counted by the backend's {@link Kernels#tauHistogram}: two
 * reads of {@code x} and {@code b}, no copy, no sort.
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
        KeySelect.Pass pass = (start, len, high, hist) -> k.tauHistogram(x, base, start, len, high, hist);
        return KeySelect.kthLargestOfAll(KeySelect.releasing(pass, n, x, base), parallel, n, ks);
    }
}
