package org.exmerge.method.sparse;

import java.lang.ref.SoftReference;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
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
    /**
     * Most elements in a part of the read (each part gathers into bands of its own): small enough that
     * the base's part (512 KiB of bf16) is still in a core's cache when the part's next query reads it.
     */
    private static final long PART = 1 << 18;
    /** Each thread's buffer for {@link #joined}. */
    private static final ThreadLocal<SoftReference<int[]>> JOINED = new ThreadLocal<>();

    private BandSelect() {}

    /** Whether the band read serves a tensor of {@code n} elements of these types (numerics §3 refuses F64 operands). */
    static boolean serves(Operand x, Operand base, long n) {
        return n >= FROM && x.type() != DType.F64 && base.type() != DType.F64;
    }

    /**
     * Each model's magnitude keys of {@link #RUNS} runs of {@link #RUN} elements spread evenly over
     * {@code [0, n)}, n ≥ {@link #FROM}, read by the backend's {@link Kernels#tauKeys} in pieces on
     * the run's threads, every model's runs of a piece together (the base's runs are read once): the
     * sample is the first touch of most of the tensor's pages, and faulting them in on one thread
     * while the others waited was a sixth of a TIES merge.
     */
    static int[][] sample(Kernels k, Parallel parallel, Operand[] xs, Operand base, long n) {
        int[][] keys = new int[xs.length][RUNS * RUN];
        int pieces = Math.min(RUNS, 4 * Math.max(1, parallel.width()));
        int perPiece = (RUNS + pieces - 1) / pieces;
        parallel.run(pieces, p -> {
            int from = p * perPiece;
            int runs = Math.max(0, Math.min(RUNS, from + perPiece) - from);
            int[] piece = new int[runs * RUN];
            for (int i = 0; i < xs.length; i++) {
                k.tauKeys(xs[i], base, n, from, runs, RUNS, RUN, piece);
                System.arraycopy(piece, 0, keys[i], from * RUN, piece.length);
            }
        });
        return keys;
    }

    /**
     * For each query q, the key of rank {@code rank[q]} ({@code 1 ≤ rank ≤ n}) of
     * {@code τ = xs[model[q]] − base} over {@code [0, n)}, or {@link #MISS}. {@code samples[i]} is
     * {@link #sample}'s for model i. One read serves every query: it runs in parts on the run's
     * threads, each part taking every query in turn (the base's part is read from memory once, the
     * other times from cache) and, with {@code release}, dropping the part's pages after it.
     */
    static long[] kthLargest(Kernels k, Parallel parallel, Operand[] xs, Operand base, long n, int[] model, long[] rank,
                             int[][] samples, boolean release) {
        int queries = model.length;
        int[] lo = new int[queries];
        int[] hi = new int[queries];
        double[] share = new double[queries];
        double widest = 0;
        for (int q = 0; q < queries; q++) {
            int[] sample = samples[model[q]];
            int s = sample.length;
            double p = (double) rank[q] / n;
            long expected = Math.round(p * s); // sampled keys at or above the rank's key
            long margin = (long) Math.ceil(Z * Math.sqrt(s * p * (1 - p))) + 2;
            long hiAt = s - expected + margin; // positions in the sample's ascending order
            long loAt = s - expected - margin;
            hi[q] = hiAt >= s ? MagnitudeSelect.NAN_KEY : k.kthLargestKey(sample, s, s - Math.max(0, hiAt));
            lo[q] = loAt < 0 ? 0 : k.kthLargestKey(sample, s, s - Math.min(s - 1, loAt));
            share[q] = Math.min(MOST, 3.0 * (hiAt - loAt) / s);
            widest = Math.max(widest, share[q]);
        }
        // Parts of at most PART elements, as many as a whole number of rounds over the threads.
        int width = Math.max(1, parallel.width());
        int parts = (int) Math.min(Integer.MAX_VALUE / 2, ((n + PART - 1) / PART + width - 1) / width * width);
        long step = (n + parts - 1) / parts;
        long[][][] counts = new long[queries][parts][3];
        int[][][] bands = new int[queries][parts][];
        long[][] between = new long[queries][parts];
        // Each thread takes parts as they come, gathering into one scratch band for them all (the
        // widest query's; each keeps an exact copy of its own): fresh bands per part cost their zeroing.
        int cap = (int) (step * widest) + 64;
        AtomicInteger next = new AtomicInteger();
        parallel.run(Math.min(parts, width), piece -> {
            int[] gathered = new int[cap];
            for (int part; (part = next.getAndIncrement()) < parts; ) {
                long start = part * step;
                long len = Math.max(0, Math.min(step, n - start));
                for (int q = 0; q < queries; q++) {
                    long got = k.tauBand(xs[model[q]], base, start, len, lo[q], hi[q], counts[q][part], gathered);
                    between[q][part] = got;
                    if (got <= (long) (len * share[q]) + 64) {
                        bands[q][part] = Arrays.copyOf(gathered, (int) got);
                    }
                }
                if (release) {
                    for (Operand x : xs) {
                        x.release(start, len);
                    }
                    base.release(start, len);
                }
            }
        });
        long[] keys = new long[queries];
        for (int q = 0; q < queries; q++) {
            keys[q] = resolve(k, rank[q], lo[q], hi[q], counts[q], bands[q], between[q]);
        }
        return keys;
    }

    /** One query's key from its parts' counts and bands ({@code null} where a part overflowed), or {@link #MISS}. */
    private static long resolve(Kernels k, long rank, int lo, int hi, long[][] counts, int[][] bands, long[] between) {
        long above = 0;
        long atHi = 0;
        long atLo = 0;
        long gathered = 0;
        for (int q = 0; q < bands.length; q++) {
            if (bands[q] == null) {
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
        int[] all = joined((int) total);
        int at = 0;
        for (int q = 0; q < bands.length; q++) {
            System.arraycopy(bands[q], 0, all, at, (int) between[q]);
            at += (int) between[q];
        }
        return k.kthLargestKey(all, at, rank);
    }

    /**
     * An array of at least {@code n} ints for {@link #kthOfBands}, kept by the calling thread between
     * calls (softly, so memory pressure can take it back): a fresh array per query cost its zeroing
     * and the faults of fresh pages, ~70 ms of a 3 × 1 GB TIES merge's binder thread.
     */
    private static int[] joined(int n) {
        SoftReference<int[]> kept = JOINED.get();
        int[] a = kept == null ? null : kept.get();
        if (a == null || a.length < n) {
            a = new int[a == null ? n : (int) Math.min(Integer.MAX_VALUE - 8, Math.max(n, a.length + (long) a.length / 2))];
            JOINED.set(new SoftReference<>(a));
        }
        return a;
    }
}
