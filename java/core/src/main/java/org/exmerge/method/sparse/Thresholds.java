package org.exmerge.method.sparse;

import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.Operand;
import org.exmerge.method.KeySelect;
import org.exmerge.method.Parallel;
import org.exmerge.numeric.MagnitudeSelect;

/**
 * Exact k-th largest {@code |τ|} of one tensor (numerics §3 magnitude trim, breadcrumbs' two thresholds):
 * on a tensor of {@link BandSelect#FROM} elements or more, one {@link BandSelect} read for every rank
 * of every model asked at once; on smaller ones, and for a rank the band missed, {@link MagnitudeSelect}'s two-pass radix select
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
        return kthLargestKeys(k, parallel, new Operand[] {x}, base, n, new long[][] {ks})[0];
    }

    /**
     * {@link #kthLargestKeys(Kernels, Parallel, Operand, Operand, long, long...)} for several models
     * of one tensor at once: {@code keys[i][r]} for rank {@code ks[i][r]} of {@code xs[i] − base}. The
     * band reads of all models run as one (the base is read once for them all); a model whose ranks
     * the band missed gets its histogram passes alone.
     */
    public static long[][] kthLargestKeys(Kernels k, Parallel parallel, Operand[] xs, Operand base, long n, long[][] ks) {
        long[][] keys = new long[xs.length][];
        boolean[][] settled = new boolean[xs.length][];
        for (int i = 0; i < xs.length; i++) {
            keys[i] = new long[ks[i].length];
            settled[i] = new boolean[ks[i].length];
        }
        band(k, parallel, xs, base, n, ks, keys, settled);
        for (int i = 0; i < xs.length; i++) {
            int open = 0;
            for (boolean done : settled[i]) {
                open += done ? 0 : 1;
            }
            if (open == 0) {
                continue;
            }
            long[] rest = new long[open];
            for (int r = 0, q = 0; r < ks[i].length; r++) {
                if (!settled[i][r]) {
                    rest[q++] = ks[i][r];
                }
            }
            Operand x = xs[i];
            KeySelect.Pass pass = (start, len, high, hist) -> k.tauHistogram(x, base, start, len, high, hist);
            long[] counted = KeySelect.kthLargestOfAll(KeySelect.releasing(pass, n, x, base), parallel, n, rest);
            for (int r = 0, q = 0; r < ks[i].length; r++) {
                if (!settled[i][r]) {
                    keys[i][r] = counted[q++];
                }
            }
        }
        return keys;
    }

    /** Whether the band read looks for this rank: the select answers ranks outside [1, n] from the count alone. */
    private static boolean banded(Operand x, Operand base, long n, long rank) {
        return BandSelect.serves(x, base, n) && rank >= 1 && rank <= n;
    }

    /** The band read of the ranks it serves, if any, settling those it finds. */
    private static void band(Kernels k, Parallel parallel, Operand[] xs, Operand base, long n, long[][] ks,
                             long[][] keys, boolean[][] settled) {
        int queries = 0;
        for (int i = 0; i < xs.length; i++) {
            for (long rank : ks[i]) {
                queries += banded(xs[i], base, n, rank) ? 1 : 0;
            }
        }
        if (queries == 0) {
            return;
        }
        int[] model = new int[queries];
        int[] slot = new int[queries]; // query q is ks[slot[q]][at[q]]
        int[] at = new int[queries];
        long[] rank = new long[queries];
        int[] sampled = new int[xs.length]; // model i's row in the sample, or -1
        int models = 0;
        boolean release = false;
        for (int i = 0, q = 0; i < xs.length; i++) {
            sampled[i] = -1;
            for (int r = 0; r < ks[i].length; r++) {
                if (banded(xs[i], base, n, ks[i][r])) {
                    if (sampled[i] < 0) {
                        sampled[i] = models++;
                        release |= KeySelect.releases(n, xs[i], base);
                    }
                    model[q] = sampled[i];
                    slot[q] = i;
                    at[q] = r;
                    rank[q++] = ks[i][r];
                }
            }
        }
        Operand[] read = new Operand[models];
        for (int i = 0; i < xs.length; i++) {
            if (sampled[i] >= 0) {
                read[sampled[i]] = xs[i];
            }
        }
        int[][] samples = BandSelect.sample(k, parallel, read, base, n);
        if (release) { // the sample's pages, before the read walks the tensor a part at a time
            for (Operand x : read) {
                x.release(0, n);
            }
            base.release(0, n);
        }
        long[] found = BandSelect.kthLargest(k, parallel, read, base, n, model, rank, samples, release);
        for (int q = 0; q < queries; q++) {
            keys[slot[q]][at[q]] = found[q];
            settled[slot[q]][at[q]] = found[q] != BandSelect.MISS;
        }
    }
}
