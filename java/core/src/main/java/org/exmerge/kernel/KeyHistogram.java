package org.exmerge.kernel;

import org.exmerge.numeric.MagnitudeSelect;

/**
 * What the histogram ops ({@link Kernels#tauHistogram}, {@link Kernels#sceHistogram},
 * {@link Kernels#fusionHistogram}) share: the counting of one key into {@link MagnitudeSelect}'s
 * first or second pass (also the band select's count over the keys it gathered), and the check of
 * a pass's arguments (and of {@link Kernels#tauBand}'s).
 */
public final class KeyHistogram {
    private KeyHistogram() {}

    /** Refuses a histogram whose size does not fit its pass, a bucket out of range, or a negative range. */
    static void check(String op, long[] hist, int high, long start, long n) {
        int expected = high < 0 ? MagnitudeSelect.HIGH_BUCKETS : MagnitudeSelect.LOW_BUCKETS;
        if (hist.length != expected || high >= MagnitudeSelect.HIGH_BUCKETS || start < 0 || n < 0) {
            throw new IllegalArgumentException(op + " histogram: " + hist.length + " buckets for high " + high
                    + ", start " + start + ", n " + n);
        }
    }

    /** Refuses a band outside the keys ({@code 0 ≤ lo ≤ hi ≤ NAN_KEY}), counts not of 3 entries, or a negative range. */
    public static void checkBand(int lo, int hi, long[] counts, long start, long n) {
        if (lo < 0 || lo > hi || hi > MagnitudeSelect.NAN_KEY || counts.length != 3 || start < 0 || n < 0) {
            throw new IllegalArgumentException("tauBand: keys " + lo + " to " + hi + ", " + counts.length
                    + " counts, start " + start + ", n " + n);
        }
    }

    /** {@link Kernels#tauKeys}'s argument check, shared by every backend so that all refuse alike. */
    public static void checkRuns(long n, int first, int runs, int of, int run, int[] keys) {
        if (run < 1 || run > n || of < 1 || of > 1 << 20 || first < 0 || runs < 0 || first > of - runs
                || keys.length != (long) runs * run) {
            throw new IllegalArgumentException("tauKeys: runs " + first + " + " + runs + " of " + of + ", " + run
                    + " elements each in " + n + ", " + keys.length + " keys");
        }
    }

    /** Where run {@code r} of {@code of} runs of {@code run} elements spread evenly over {@code [0, n)} starts. */
    public static long runStart(long n, int r, int of, int run) {
        return of == 1 ? 0 : r * (n - run) / (of - 1);
    }

    /** {@link Kernels#kthLargestKey}'s argument check, shared by every backend so that all refuse alike. */
    public static void checkKeys(int[] keys, int count, long k) {
        if (count < 0 || count > keys.length || k < 1 || k > count) {
            throw new IllegalArgumentException("kthLargestKey: rank " + k + " of " + count + " keys (" + keys.length + " given)");
        }
        for (int j = 0; j < count; j++) {
            if (keys[j] < 0 || keys[j] > MagnitudeSelect.NAN_KEY) {
                throw new IllegalArgumentException("kthLargestKey: " + keys[j] + " at " + j + " is not a magnitude key");
            }
        }
    }

    /** Counts {@code key}: its high part on the first pass ({@code high < 0}), else its low part when its high part is {@code high}. */
    public static void add(long[] hist, int high, int key) {
        if (high < 0) {
            hist[key >>> 16]++;
        } else if (key >>> 16 == high) {
            hist[key & 0xFFFF]++;
        }
    }
}
