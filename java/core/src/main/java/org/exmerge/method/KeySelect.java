package org.exmerge.method;

import org.exmerge.kernel.Operand;
import org.exmerge.numeric.MagnitudeSelect;

/**
 * Exact k-th largest keys of a per-element statistic that a kernel op counts into
 * {@link MagnitudeSelect}'s two histogram passes (sce's variances, arcee_fusion's importances):
 * the passes are spread over the run's threads in pieces whose counts add exactly, so the result
 * never depends on the thread count.
 */
public final class KeySelect {
    /** One histogram pass of a kernel op over elements {@code [start, start + n)} (see {@code Kernels#sceHistogram}). */
    @FunctionalInterface
    public interface Pass {
        /**
         * Adds counts to {@code hist}: the high parts when {@code high < 0}, else the low parts of the
         * keys in bucket {@code high}.
         *
         * @param start the first element
         * @param n the element count
         * @param high the first pass's bucket, or −1 for the first pass
         * @param hist the histogram counts are added to
         */
        void count(long start, long n, int high, long[] hist);
    }

    /** Fewest elements per piece of a pass: a piece's own histogram is up to 512 KB. */
    private static final long GRAIN = 1 << 20;
    /** Most elements a piece counts before it releases their pages (see {@link #releasing}). */
    private static final long RELEASE_EVERY = 1 << 24;
    /** Input bytes of a tensor up to which a pass keeps its pages (see {@link #releasing}). */
    private static final long KEEP_BYTES = 256L << 20;

    private KeySelect() {}

    /**
     * {@code pass} over a tensor of {@code n} elements, which, when its {@code inputs} hold more than
     * {@value #KEEP_BYTES} bytes, counts at most {@value #RELEASE_EVERY} elements at a time and then
     * releases their pages ({@link Operand#release}). A 7B model's embedding is 262 MB per input,
     * and a two-model threshold pass holding it all resident nearly doubled a merge's peak memory.
     * Smaller tensors stay mapped between passes: releasing them too cost a 1 GB TIES merge 15 % in
     * page faults for the next pass.
     */
    public static Pass releasing(Pass pass, long n, Operand... inputs) {
        return releasing(pass, n, KEEP_BYTES, RELEASE_EVERY, inputs);
    }

    /** Whether a pass over {@code n} elements of {@code inputs} releases their pages as it goes (see {@link #releasing}). */
    public static boolean releases(long n, Operand... inputs) {
        return releases(n, KEEP_BYTES, inputs);
    }

    private static boolean releases(long n, long keepBytes, Operand... inputs) {
        long bytes = 0;
        for (Operand in : inputs) {
            bytes += in == null ? 0 : n * in.type().size();
        }
        return bytes > keepBytes;
    }

    static Pass releasing(Pass pass, long n, long keepBytes, long every, Operand... inputs) {
        if (!releases(n, keepBytes, inputs)) {
            return pass;
        }
        return (start, len, high, hist) -> {
            for (long from = start; from < start + len; from += every) {
                long part = Math.min(every, start + len - from);
                pass.count(from, part, high, hist);
                for (Operand in : inputs) {
                    if (in != null) {
                        in.release(from, part);
                    }
                }
            }
        };
    }

    /** The first pass over {@code n} elements: counts of {@code key >>> 16} in 32,768 buckets. */
    public static long[] high(Pass pass, Parallel parallel, long n) {
        return histogram(pass, parallel, n, -1, MagnitudeSelect.HIGH_BUCKETS);
    }

    /** The number of keys the first pass counted. */
    public static long counted(long[] high) {
        long total = 0;
        for (long c : high) {
            total += c;
        }
        return total;
    }

    /**
     * The key of each rank {@code ks[r]} (the k-th largest counted key, duplicates counted), given
     * the first pass {@code high}: {@link MagnitudeSelect#NONE} for k = 0, 0 for k above the count.
     * One second pass runs per distinct bucket.
     */
    public static long[] kthLargest(Pass pass, Parallel parallel, long n, long[] high, long... ks) {
        return MagnitudeSelect.kthLargestKeys(h -> h < 0 ? high : histogram(pass, parallel, n, h, MagnitudeSelect.LOW_BUCKETS),
                counted(high), ks);
    }

    /**
     * {@link #kthLargest} for a pass that counts every one of the {@code n} elements, whose first
     * pass runs only when some rank needs it (k in {@code [1, n]}).
     */
    public static long[] kthLargestOfAll(Pass pass, Parallel parallel, long n, long... ks) {
        return MagnitudeSelect.kthLargestKeys(
                h -> histogram(pass, parallel, n, h, h < 0 ? MagnitudeSelect.HIGH_BUCKETS : MagnitudeSelect.LOW_BUCKETS), n, ks);
    }

    /**
     * One histogram pass, cut into pieces counted on the run's threads; counts add exactly in any
     * split, so there are no more pieces than threads: each piece allocates, zeroes, copies and
     * sums a histogram of its own.
     */
    private static long[] histogram(Pass pass, Parallel parallel, long n, int high, int buckets) {
        int pieces = Math.min(Parallel.pieces(n, GRAIN), Math.max(1, parallel.width()));
        long[][] parts = new long[pieces][];
        long step = (n + pieces - 1) / pieces;
        parallel.run(pieces, p -> {
            long start = p * step;
            long[] h = new long[buckets];
            if (start < n) {
                pass.count(start, Math.min(step, n - start), high, h);
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
