package org.exmerge.method.sparse;

import org.exmerge.format.DType;
import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.Operand;
import org.exmerge.method.Parallel;
import org.exmerge.numeric.MagnitudeSelect;

/**
 * The exact k-th largest {@code |τ|} key of a large tensor in one read instead of
 * {@link MagnitudeSelect}'s two histogram passes. A sample of the keys brackets the rank between
 * two keys {@code lo ≤ hi}; one {@link Kernels#tauBand} read counts the keys above {@code hi}, at
 * {@code hi} and at {@code lo}, and gathers the few strictly between; the rank then falls at
 * {@code hi}, at {@code lo}, or among the gathered keys, where it is selected exactly. Where the
 * sample misjudged (the rank lies outside the bracket, or more keys fell between than a part holds)
 * the caller runs the histogram passes: the sample decides only how fast the answer comes, never
 * what it is, so the threshold is the same on every backend and thread count.
 *
 * <p>Why it pays: a histogram pass is bound by its increments (up to 1.5 cycles a key on the
 * repeated buckets of 16-bit fine-tunes), the band read by its loads; bench's ThresholdBench found
 * one threshold of a 16.8 M-element BF16 fine-tune ~3.9× faster this way on one native thread.
 */
final class BandSelect {
    /** Smallest tensor the band read serves: below it the sample costs about what a pass saves. */
    static final long FROM = 1 << 20;
    /** The rank is missed (or a part overflowed): count histograms instead. */
    static final long MISS = -1;
    /** Sample runs and their length: many short runs, so rows of different scale all weigh in. */
    private static final int RUNS = 4096;
    private static final int RUN = 4;
    /** Bracket half-width in standard deviations of a sampled quantile's rank. */
    private static final double Z = 4.5;
    /** A part gathers at most this share of its elements, or three times the bracket's expected share if less. */
    private static final double MOST = 1.0 / 16;
    /** Most elements in a part of the read (each part gathers into a band of its own). */
    private static final long PART = 1 << 22;

    private BandSelect() {}

    /** Whether the band read serves a tensor of {@code n} elements of these types (numerics §3 refuses F64 operands). */
    static boolean serves(Operand x, Operand base, long n) {
        return n >= FROM && x.type() != DType.F64 && base.type() != DType.F64;
    }

    /**
     * The magnitude keys of {@link #RUNS} runs of {@link #RUN} elements spread evenly over
     * {@code [0, n)}, n ≥ {@link #FROM}, read by the backend's {@link Kernels#tauKeys} in pieces on
     * the run's threads: the sample is the first touch of most of the tensor's pages, and faulting
     * them in on one thread while the others waited was a sixth of a TIES merge.
     */
    static int[] sample(Kernels k, Parallel parallel, Operand x, Operand base, long n) {
        int[] keys = new int[RUNS * RUN];
        int pieces = Math.min(RUNS, 4 * Math.max(1, parallel.width()));
        int perPiece = (RUNS + pieces - 1) / pieces;
        parallel.run(pieces, p -> {
            int from = p * perPiece;
            int runs = Math.max(0, Math.min(RUNS, from + perPiece) - from);
            int[] piece = new int[runs * RUN];
            k.tauKeys(x, base, n, from, runs, RUNS, RUN, piece);
            System.arraycopy(piece, 0, keys, from * RUN, piece.length);
        });
        return keys;
    }

    /**
     * The key of rank {@code k} ({@code 1 ≤ k ≤ n}) of {@code τ = x − base} over {@code [0, n)}, or
     * {@link #MISS}. {@code sample} is {@link #sample}'s; the read runs in parts on the run's threads
     * and, with {@code release}, drops each part's pages after it (a part is small enough for that).
     */
    static long kthLargest(Kernels k, Parallel parallel, Operand x, Operand base, long n, long rank, int[] sample,
                           boolean release) {
        int s = sample.length;
        double p = (double) rank / n;
        long expected = Math.round(p * s); // sampled keys at or above the rank's key
        long margin = (long) Math.ceil(Z * Math.sqrt(s * p * (1 - p))) + 2;
        long hiAt = s - expected + margin; // positions in the sample's ascending order
        long loAt = s - expected - margin;
        int hi = hiAt >= s ? MagnitudeSelect.NAN_KEY : k.kthLargestKey(sample, s, s - Math.max(0, hiAt));
        int lo = loAt < 0 ? 0 : k.kthLargestKey(sample, s, s - Math.min(s - 1, loAt));
        double share = Math.min(MOST, 3.0 * (hiAt - loAt) / s);
        // Parts of at most PART elements, as many as a whole number of rounds over the threads.
        int width = Math.max(1, parallel.width());
        int parts = (int) Math.min(Integer.MAX_VALUE / 2, ((n + PART - 1) / PART + width - 1) / width * width);
        long step = (n + parts - 1) / parts;
        long[][] counts = new long[parts][3];
        int[][] bands = new int[parts][];
        long[] between = new long[parts];
        parallel.run(parts, q -> {
            long start = q * step;
            long len = Math.max(0, Math.min(step, n - start));
            bands[q] = new int[(int) (len * share) + 64];
            between[q] = k.tauBand(x, base, start, len, lo, hi, counts[q], bands[q]);
            if (release) {
                x.release(start, len);
                base.release(start, len);
            }
        });
        long above = 0;
        long atHi = 0;
        long atLo = 0;
        long gathered = 0;
        for (int q = 0; q < parts; q++) {
            if (between[q] > bands[q].length) {
                return MISS;
            }
            above += counts[q][0];
            atHi += counts[q][1];
            atLo += counts[q][2];
            gathered += between[q];
        }
        if (rank <= above) {
            return MISS;
        }
        if (rank <= above + atHi) {
            return hi;
        }
        long inBand = rank - above - atHi;
        if (inBand <= gathered) {
            return kthOfBands(k, bands, between, gathered, inBand);
        }
        return inBand - gathered <= atLo ? lo : MISS;
    }

    /** The k-th largest of the gathered keys, the parts' bands laid end to end. */
    private static long kthOfBands(Kernels k, int[][] bands, long[] between, long total, long rank) {
        if (total > Integer.MAX_VALUE - 8) {
            return MISS;
        }
        int[] all = new int[(int) total];
        int at = 0;
        for (int q = 0; q < bands.length; q++) {
            System.arraycopy(bands[q], 0, all, at, (int) between[q]);
            at += (int) between[q];
        }
        return k.kthLargestKey(all, at, rank);
    }
}
