package org.exmerge.numeric;

/**
 * Exact k-th largest magnitude (numerics §3 "Magnitude trim", breadcrumbs' thresholds) by a two-pass
 * radix select on magnitude keys, never by sorting.
 *
 * <p><b>Keys.</b> {@code key(x) = bits(x) & 0x7FFF_FFFF} for non-NaN x: the float32 bits of |x|,
 * whose integer order is the order of |x| (so +0 and −0 tie at key 0, subnormals are ordered, +inf
 * is {@code 0x7F80_0000}). Every NaN gets {@link #NAN_KEY} = {@code 0x7F80_0001}: larger than
 * infinity, as torch's sort and topk place NaN, and all NaNs tie whatever their payload.
 *
 * <p><b>Threshold.</b> For N values and {@code 1 ≤ k ≤ N} the threshold key t is the k-th largest
 * key (counting duplicates); an element is kept iff {@code key(x) ≥ t}, so at least k are kept and
 * ties at t are all kept. {@code k = 0} gives {@link #NONE} ({@code 2^31}, above every key: keep
 * none); {@code k > N} gives 0 (keep all). Select on keys, with {@link #keeps}: the float
 * comparison {@code |x| ≥ t} would drop NaNs that the key order keeps.
 *
 * <p><b>Algorithm.</b> Pass 1 counts the keys' high 15 bits ({@code key >>> 16}) in a histogram of
 * {@link #HIGH_BUCKETS}; {@link #selectBucket} scans it from the top for the bucket {@code h}
 * holding the k-th largest, and {@code k' = k − countAbove(h)}. Pass 2 counts the low 16 bits
 * ({@code key & 0xFFFF}) of the keys whose high part is {@code h}, in {@link #LOW_BUCKETS}; its
 * k'-th largest bucket {@code l} gives {@code t = h << 16 | l}. Counts are integers, so histograms
 * of chunks built on any threads merge (by addition) into exactly the same result; the public
 * histogram methods exist for that.
 */
public final class MagnitudeSelect {
    /** Buckets of the first pass (the high 15 bits of a 31-bit key). */
    public static final int HIGH_BUCKETS = 1 << 15;
    /** Buckets of the second pass (the low 16 bits). */
    public static final int LOW_BUCKETS = 1 << 16;
    /** The key of every NaN. */
    public static final int NAN_KEY = 0x7F80_0001;
    /** The threshold for k = 0: no key reaches it. */
    public static final long NONE = 1L << 31;

    private MagnitudeSelect() {}

    /** The magnitude key of {@code x} (see the class comment). */
    public static int key(float x) {
        // Every NaN's masked bits exceed NAN_KEY and every non-NaN's are below it, so min() both
        // maps NaNs to NAN_KEY and leaves other values alone, without a branch.
        return Math.min(Float.floatToRawIntBits(x) & 0x7FFF_FFFF, NAN_KEY);
    }

    /** Whether {@code x} survives the threshold key {@code t}: {@code key(x) ≥ t}. */
    public static boolean keeps(float x, long t) {
        return key(x) >= t;
    }

    /** The threshold key for the k-th largest magnitude of {@code src}. */
    public static long thresholdKey(MagnitudeSource src, long k) {
        return thresholdKey(new MagnitudeSource[] {src}, k);
    }

    /**
     * The threshold key for the k-th largest magnitude over all values of all {@code sources}
     * together (numerics §3 {@code scope: model}).
     */
    public static long thresholdKey(MagnitudeSource[] sources, long k) {
        long total = 0;
        for (MagnitudeSource s : sources) {
            total = Math.addExact(total, s.size());
        }
        Pass pass = high -> {
            long[] hist = new long[high < 0 ? HIGH_BUCKETS : LOW_BUCKETS];
            for (MagnitudeSource s : sources) {
                if (high < 0) {
                    histogramHigh(s, 0, s.size(), hist);
                } else {
                    histogramLow(s, 0, s.size(), high, hist);
                }
            }
            return hist;
        };
        return kthLargestKeys(pass, total, k)[0];
    }

    /** One whole histogram pass over the keys a select counts. */
    @FunctionalInterface
    public interface Pass {
        /**
         * The counts of the first pass when {@code high < 0}, else of the second pass in bucket {@code high}.
         *
         * @param high the first pass's bucket, or −1 for the first pass
         * @return a new histogram of {@link #HIGH_BUCKETS} or {@link #LOW_BUCKETS} counts
         */
        long[] count(int high);
    }

    /**
     * The threshold key of each rank {@code ks[r]} (the k-th largest of the {@code total} keys that
     * {@code pass} counts, duplicates counted): {@link #NONE} for k = 0, 0 for k above the total.
     * This is the one implementation of the select: the first pass runs once, and only when some
     * rank needs it; one second pass runs per distinct bucket.
     */
    public static long[] kthLargestKeys(Pass pass, long total, long... ks) {
        long[] keys = new long[ks.length];
        long[] high = null;
        long[][] lowOf = new long[ks.length][];
        int[] bucketOf = new int[ks.length];
        for (int r = 0; r < ks.length; r++) {
            long k = ks[r];
            if (k < 0) {
                throw new IllegalArgumentException("k must be ≥ 0, was " + k);
            }
            if (k == 0) {
                keys[r] = NONE;
                continue;
            }
            if (k > total) {
                keys[r] = 0;
                continue;
            }
            if (high == null) {
                high = pass.count(-1);
            }
            int h = selectBucket(high, k);
            long[] low = null;
            for (int q = 0; q < r; q++) {
                if (lowOf[q] != null && bucketOf[q] == h) {
                    low = lowOf[q];
                }
            }
            if (low == null) {
                low = pass.count(h);
            }
            lowOf[r] = low;
            bucketOf[r] = h;
            keys[r] = keyOf(high, h, low, k);
        }
        return keys;
    }

    /**
     * The k-th largest key from the first pass {@code high}, the bucket {@code h = selectBucket(high, k)}
     * and the second pass {@code low} of that bucket.
     */
    public static long keyOf(long[] high, int h, long[] low, long k) {
        return combine(h, selectBucket(low, k - countAbove(high, h)));
    }

    /**
     * The k-th largest magnitude as a float, for reports: for {@code 1 ≤ k ≤ N} the value whose key
     * is the threshold (a NaN when NaNs are among the k largest), 0 when {@code k > N}, NaN when
     * {@code k = 0}. Select with {@link #thresholdKey} and {@link #keeps}.
     */
    public static float threshold(MagnitudeSource src, long k) {
        long t = thresholdKey(src, k);
        return t == NONE ? Float.NaN : Float.intBitsToFloat((int) t);
    }

    /** Adds to {@code hist} the high-part counts of values {@code from .. to-1} of {@code src}. */
    public static long[] histogramHigh(MagnitudeSource src, long from, long to, long[] hist) {
        for (long i = from; i < to; i++) {
            hist[key(src.get(i)) >>> 16]++;
        }
        return hist;
    }

    /** Adds to {@code hist} the high-part counts of {@code values[from .. to-1]}. */
    public static long[] histogramHigh(float[] values, int from, int to, long[] hist) {
        for (int i = from; i < to; i++) {
            hist[key(values[i]) >>> 16]++;
        }
        return hist;
    }

    /**
     * Adds to {@code hist} the low-part counts of those values {@code from .. to-1} of {@code src}
     * whose high part is {@code high}.
     */
    public static long[] histogramLow(MagnitudeSource src, long from, long to, int high, long[] hist) {
        for (long i = from; i < to; i++) {
            int key = key(src.get(i));
            if (key >>> 16 == high) {
                hist[key & 0xFFFF]++;
            }
        }
        return hist;
    }

    /** Adds to {@code hist} the low-part counts of those {@code values[from .. to-1]} in {@code high}. */
    public static long[] histogramLow(float[] values, int from, int to, int high, long[] hist) {
        for (int i = from; i < to; i++) {
            int key = key(values[i]);
            if (key >>> 16 == high) {
                hist[key & 0xFFFF]++;
            }
        }
        return hist;
    }

    /** Adds the counts of {@code part} into {@code into} (histograms of chunks merge this way). */
    public static long[] merge(long[] into, long[] part) {
        for (int i = 0; i < into.length; i++) {
            into[i] += part[i];
        }
        return into;
    }

    /**
     * The bucket holding the k-th largest counted key: the largest {@code b} with
     * {@code countAbove(hist, b) + hist[b] ≥ k}. Requires {@code 1 ≤ k ≤ Σ hist}.
     */
    public static int selectBucket(long[] hist, long k) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be ≥ 1, was " + k);
        }
        long seen = 0;
        for (int b = hist.length - 1; b >= 0; b--) {
            seen += hist[b];
            if (seen >= k) {
                return b;
            }
        }
        throw new IllegalArgumentException("k = " + k + " exceeds the " + seen + " counted values");
    }

    /** The number of counted keys in buckets above {@code bucket}. */
    public static long countAbove(long[] hist, int bucket) {
        long n = 0;
        for (int b = bucket + 1; b < hist.length; b++) {
            n += hist[b];
        }
        return n;
    }

    /** The threshold key made of a first-pass bucket and a second-pass bucket. */
    public static long combine(int highBucket, int lowBucket) {
        return ((long) highBucket << 16) | lowBucket;
    }
}
