package org.exmerge.kernel;

import org.exmerge.format.DType;
import org.exmerge.numeric.BlockReduction;
import org.exmerge.numeric.MagnitudeSelect;
import org.exmerge.numeric.Philox4x32;

/**
 * The Java spec of numerics §3's kernels ({@link Kernels#tauHistogram}, {@link Kernels#sparseNorms},
 * {@link Kernels#sparseMerge}, {@link Kernels#keptCounts}). Like {@link JavaKernels} it works in blocks of
 * {@value JavaKernels#BLOCK} elements widened into float scratch arrays, so every loop reads like
 * the formula in {@link SparseOp}. Input operands start at element 0 of the tensor (indices are
 * absolute: Philox and row ranks need them); only the output operand starts at the chunk.
 */
final class SparseKernels {
    private static final int BLOCK = JavaKernels.BLOCK;

    private SparseKernels() {}

    static void tauHistogram(Operand x, Operand base, long start, long n, int high, long[] hist) {
        checkFloat32(x, base);
        float[] xs = new float[BLOCK];
        float[] bs = new float[BLOCK];
        for (long from = 0; from < n; from += BLOCK) {
            int len = (int) Math.min(BLOCK, n - from);
            Lanes.load(x, start + from, len, xs);
            Lanes.load(base, start + from, len, bs);
            for (int j = 0; j < len; j++) {
                KeyHistogram.add(hist, high, MagnitudeSelect.key(xs[j] - bs[j]));
            }
        }
    }

    static void tauKeys(Operand x, Operand base, long n, int first, int runs, int of, int run, int[] keys) {
        checkFloat32(x, base);
        KeyHistogram.checkRuns(n, first, runs, of, run, keys);
        float[] xs = new float[run];
        float[] bs = new float[run];
        for (int r = 0; r < runs; r++) {
            long at = KeyHistogram.runStart(n, first + r, of, run);
            Lanes.load(x, at, run, xs);
            Lanes.load(base, at, run, bs);
            for (int j = 0; j < run; j++) {
                keys[r * run + j] = MagnitudeSelect.key(xs[j] - bs[j]);
            }
        }
    }

    static int kthLargestKey(int[] keys, int count, long k) {
        KeyHistogram.checkKeys(keys, count, k);
        return (int) MagnitudeSelect.kthLargestKeys(high -> {
            long[] hist = new long[high < 0 ? MagnitudeSelect.HIGH_BUCKETS : MagnitudeSelect.LOW_BUCKETS];
            for (int j = 0; j < count; j++) {
                KeyHistogram.add(hist, high, keys[j]);
            }
            return hist;
        }, count, k)[0];
    }

    static long tauBand(Operand x, Operand base, long start, long n, int lo, int hi, long[] counts, int[] band) {
        checkFloat32(x, base);
        KeyHistogram.checkBand(lo, hi, counts, start, n);
        float[] xs = new float[BLOCK];
        float[] bs = new float[BLOCK];
        long between = 0;
        for (long from = 0; from < n; from += BLOCK) {
            int len = (int) Math.min(BLOCK, n - from);
            Lanes.load(x, start + from, len, xs);
            Lanes.load(base, start + from, len, bs);
            for (int j = 0; j < len; j++) {
                int key = MagnitudeSelect.key(xs[j] - bs[j]);
                if (key > hi) {
                    counts[0]++;
                } else if (key == hi) {
                    counts[1]++;
                } else if (key == lo) {
                    counts[2]++;
                } else if (key > lo) {
                    if (between < band.length) {
                        band[(int) between] = key;
                    }
                    between++;
                }
            }
        }
        return between;
    }

    static void merge(SparseOp op, Operand[] xs, Operand base, Operand out, long start, long n) {
        int m = checkModels(op, xs);
        checkFloat32(xs, base);
        float[] b = new float[BLOCK];
        float[][] v = new float[m][BLOCK];
        int[] keep = new int[BLOCK];
        float[] p = new float[BLOCK];
        float[] acc = new float[BLOCK];
        RowRanks[] ranks = ranks(op, xs, base);
        Scratch scratch = new Scratch();
        for (long from = 0; from < n; from += BLOCK) {
            int len = (int) Math.min(BLOCK, n - from);
            long abs = start + from;
            Lanes.load(base, abs, len, b);
            values(op, xs, ranks, b, abs, len, v, keep, p);
            combine(op, v, b, len, acc, scratch);
            Lanes.storeWidening(acc, len, out, from);
        }
    }

    /**
     * {@link Kernels#keptCounts}: the values {@link #merge} forms, and per element the count c of
     * those that are nonzero and not NaN (ELECT_KEPT's agreement); model i's agreeing values go to
     * {@code counts[2i]} where c &gt; 1 and to {@code counts[2i + 1]} where c = 1.
     */
    static void keptCounts(SparseOp op, Operand[] xs, Operand base, long start, long n, long[] counts) {
        int m = checkModels(op, xs);
        checkFloat32(xs, base);
        if (counts.length != 2 * m) {
            throw new IllegalArgumentException("kept counts need " + 2 * m + " entries for " + m + " models, got "
                    + counts.length);
        }
        if (start < 0 || n < 0) {
            throw new IllegalArgumentException("elements " + start + " + " + n);
        }
        float[] b = new float[BLOCK];
        float[][] v = new float[m][BLOCK];
        int[] keep = new int[BLOCK];
        float[] p = new float[BLOCK];
        int[] c = new int[BLOCK];
        RowRanks[] ranks = ranks(op, xs, base);
        for (long from = 0; from < n; from += BLOCK) {
            int len = (int) Math.min(BLOCK, n - from);
            long abs = start + from;
            Lanes.load(base, abs, len, b);
            values(op, xs, ranks, b, abs, len, v, keep, p);
            java.util.Arrays.fill(c, 0, len, 0);
            for (int i = 0; i < m; i++) {
                float[] vi = v[i];
                for (int j = 0; j < len; j++) {
                    c[j] += kept(vi[j]);
                }
            }
            for (int i = 0; i < m; i++) {
                float[] vi = v[i];
                long shared = 0;
                long lone = 0;
                for (int j = 0; j < len; j++) {
                    int k = kept(vi[j]);
                    lone += c[j] == 1 ? k : 0;
                    shared += c[j] > 1 ? k : 0;
                }
                counts[2 * i] += shared;
                counts[2 * i + 1] += lone;
            }
        }
    }

    /** 1 where a value is nonzero and not NaN (it agrees under ELECT_KEPT and ELECT_LONE), else 0. */
    private static int kept(float v) {
        int bits = Float.floatToRawIntBits(v);
        return -(BitMasks.positive(bits) | BitMasks.negative(bits));
    }

    /**
     * Every model's weighted values {@code v[i][0 .. len)} of elements {@code abs .. abs + len − 1}:
     * τ = x − b, the keep mask, τ̂ = keep ? τ / divisor : +0 (the quotient of a dropped element is
     * computed and discarded), then v = w · τ̂ with w = {@link SparseOp#valueWeight}.
     */
    private static void values(SparseOp op, Operand[] xs, RowRanks[] ranks, float[] b, long abs, int len, float[][] v,
                               int[] keep, float[] p) {
        for (int i = 0; i < xs.length; i++) {
            float[] vi = v[i];
            Lanes.load(xs[i], abs, len, vi);
            for (int j = 0; j < len; j++) {
                vi[j] = vi[j] - b[j];
            }
            keepMask(op, i, vi, len, abs, ranks == null ? null : ranks[i], keep, p);
            float w = op.valueWeight(i);
            if (op.divideByProb()) {
                for (int j = 0; j < len; j++) {
                    vi[j] = w * BitMasks.select(vi[j] / p[j], keep[j]);
                }
            } else {
                float div = op.divisor()[i];
                for (int j = 0; j < len; j++) {
                    vi[j] = w * BitMasks.select(vi[j] / div, keep[j]);
                }
            }
        }
    }

    static void norms(SparseOp op, int norm, Operand[] xs, Operand base, long blockStart, long total, double[] out) {
        int m = checkModels(op, xs);
        checkFloat32(xs, base);
        if (norm < SparseOp.NORM_L1 || norm > SparseOp.NORM_LINF) {
            throw new IllegalArgumentException("norm kind " + norm);
        }
        if (blockStart < 0 || blockStart >= total || blockStart % BlockReduction.BLOCK_SIZE != 0) {
            throw new IllegalArgumentException("block start " + blockStart + " is not a block of a tensor of " + total);
        }
        long end = Math.min(blockStart + BlockReduction.BLOCK_SIZE, total);
        int lanes = BlockReduction.LANES;
        double[][] before = new double[m][lanes];
        double[][] after = new double[m][lanes];
        double[] maxBefore = new double[m];
        double[] maxAfter = new double[m];
        float[] b = new float[BLOCK];
        float[] tau = new float[BLOCK];
        int[] keep = new int[BLOCK];
        float[] p = new float[BLOCK];
        RowRanks[] ranks = ranks(op, xs, base);
        // BLOCK is a multiple of 64, so element j of a staged run sits in lane j % 64 of the block.
        for (long from = blockStart; from < end; from += BLOCK) {
            int len = (int) Math.min(BLOCK, end - from);
            Lanes.load(base, from, len, b);
            for (int i = 0; i < m; i++) {
                Lanes.load(xs[i], from, len, tau);
                for (int j = 0; j < len; j++) {
                    tau[j] = tau[j] - b[j];
                }
                keepMask(op, i, tau, len, from, ranks == null ? null : ranks[i], keep, p);
                if (norm == SparseOp.NORM_LINF) {
                    for (int j = 0; j < len; j++) {
                        double a = Math.abs((double) tau[j]);
                        maxBefore[i] = Math.max(maxBefore[i], a);
                        if (keep[j] != 0) {
                            maxAfter[i] = Math.max(maxAfter[i], a);
                        }
                    }
                    continue;
                }
                double[] lb = before[i];
                double[] la = after[i];
                for (int j = 0; j < len; j++) {
                    double t = tau[j];
                    double term = norm == SparseOp.NORM_L1 ? Math.abs(t) : t * t;
                    lb[j & (lanes - 1)] += term;
                    la[j & (lanes - 1)] += keep[j] != 0 ? term : 0.0; // lanes are ≥ +0, so adding +0 is a no-op
                }
            }
        }
        for (int i = 0; i < m; i++) {
            out[2 * i] = norm == SparseOp.NORM_LINF ? maxBefore[i] : BlockReduction.fold(before[i]);
            out[2 * i + 1] = norm == SparseOp.NORM_LINF ? maxAfter[i] : BlockReduction.fold(after[i]);
        }
    }

    /**
     * Which of elements {@code abs .. abs+len-1} of model {@code i} survive (mask −1) or are dropped
     * (0), from their task-vector values {@code tau}; {@code p} receives the keep probability where
     * one applies.
     */
    private static void keepMask(SparseOp op, int i, float[] tau, int len, long abs, RowRanks ranks,
                                 int[] keep, float[] p) {
        long from = op.keepFrom()[i];
        long below = op.keepBelow()[i];
        for (int j = 0; j < len; j++) {
            keep[j] = BitMasks.inBand(MagnitudeSelect.key(tau[j]), from, below);
        }
        switch (op.random()) {
            case SparseOp.RANDOM_FIXED -> {
                float pi = op.keepProb()[i];
                for (int j = 0; j < len; j++) {
                    p[j] = pi;
                    keep[j] &= BitMasks.less(Philox4x32.uniform(op.seed(), abs + j, op.tensorId(), i), pi);
                }
            }
            case SparseOp.RANDOM_RANKED -> {
                int n = ranks.rowLength();
                float[] byRank = ranks.probabilities(op, i);
                // Walk the rows the run crosses: one division per row, not per element.
                for (int j = 0; j < len; ) {
                    long e = abs + j;
                    long r = e / n;
                    int col = (int) (e - r * n);
                    int take = Math.min(len - j, n - col);
                    int[] rank = ranks.ranksOfRow(r);
                    for (int t = 0; t < take; t++) {
                        p[j + t] = byRank[rank[col + t] - 1];
                    }
                    j += take;
                }
                for (int j = 0; j < len; j++) {
                    keep[j] &= BitMasks.less(Philox4x32.uniform(op.seed(), abs + j, op.tensorId(), i), p[j]);
                }
            }
            default -> { }
        }
    }

    /**
     * Election and combine over the weighted values {@code v[i][j]}, then {@code fma(λ, m, b)}.
     * Loops run model-outer, element-inner so they stream, and decisions are {@link BitMasks}.
     * Adding +0 for a model that does not agree equals skipping it: the sums start at +0 and a sum
     * of nonzero terms is never −0 (x + (−x) rounds to +0), whether the terms share a sign (SUM,
     * COUNT) or not (KEPT, LONE); the same holds for the weight sums.
     */
    private static void combine(SparseOp op, float[][] v, float[] b, int len, float[] acc, Scratch s) {
        int m = v.length;
        float[] mix = s.mix;
        java.util.Arrays.fill(mix, 0, len, 0.0f);
        if (op.election() == SparseOp.ELECT_NONE) {
            for (int i = 0; i < m; i++) {
                float[] vi = v[i];
                for (int j = 0; j < len; j++) {
                    mix[j] = mix[j] + vi[j];
                }
            }
            if (op.normalize()) {
                float sd = op.sumDivisor();
                for (int j = 0; j < len; j++) {
                    mix[j] = mix[j] / sd;
                }
            }
        } else {
            int[] up = s.up; // −1 where positive values agree
            int eitherSign = 0; // −1 under ELECT_KEPT and ELECT_LONE, where no sign is elected: negative values agree too
            boolean lone = op.election() == SparseOp.ELECT_LONE;
            if (op.election() == SparseOp.ELECT_KEPT || lone) {
                java.util.Arrays.fill(up, 0, len, -1);
                eitherSign = -1;
            } else if (op.election() == SparseOp.ELECT_SUM) {
                float[] sum = s.sum;
                java.util.Arrays.fill(sum, 0, len, 0.0f);
                for (int i = 0; i < m; i++) {
                    float[] vi = v[i];
                    for (int j = 0; j < len; j++) {
                        sum[j] = sum[j] + vi[j];
                    }
                }
                for (int j = 0; j < len; j++) {
                    up[j] = BitMasks.notNegative(Float.floatToRawIntBits(sum[j]));
                }
            } else {
                int[] c = s.count;
                java.util.Arrays.fill(c, 0, len, 0);
                for (int i = 0; i < m; i++) {
                    float[] vi = v[i];
                    for (int j = 0; j < len; j++) {
                        int bits = Float.floatToRawIntBits(vi[j]);
                        c[j] += BitMasks.negative(bits) - BitMasks.positive(bits); // +1, −1, or 0 for ±0 and NaN
                    }
                }
                for (int j = 0; j < len; j++) {
                    up[j] = ~(c[j] >> 31);
                }
            }
            float[] d = s.divisor;
            float[] g = s.lone;
            java.util.Arrays.fill(d, 0, len, 0.0f);
            java.util.Arrays.fill(g, 0, len, 0.0f);
            for (int i = 0; i < m; i++) {
                float[] vi = v[i];
                float wi = op.weights()[i];
                float di = lone ? 1.0f : wi; // ELECT_LONE: d counts the agreeing values
                for (int j = 0; j < len; j++) {
                    int bits = Float.floatToRawIntBits(vi[j]);
                    int down = ~up[j] | eitherSign;
                    int agree = (up[j] & BitMasks.positive(bits)) | (down & BitMasks.negative(bits));
                    mix[j] = mix[j] + BitMasks.select(vi[j], agree);
                    d[j] = d[j] + BitMasks.select(di, agree);
                    g[j] = g[j] + BitMasks.select(wi, agree);
                }
            }
            if (op.normalize()) {
                for (int j = 0; j < len; j++) {
                    // d is never −0 (see above), so d == 0 is d == +0 and d + 1 is exactly 1.
                    float div = d[j] + BitMasks.select(1.0f, BitMasks.zero(Float.floatToRawIntBits(d[j])));
                    mix[j] = mix[j] / div;
                }
            }
            if (lone) {
                // One agreeing value (d, the count, is exactly 1): g is its model's weight.
                for (int j = 0; j < len; j++) {
                    mix[j] = d[j] == 1.0f ? g[j] * mix[j] : mix[j];
                }
            }
        }
        float lambda = op.lambda();
        for (int j = 0; j < len; j++) {
            acc[j] = Math.fma(lambda, mix[j], b[j]);
        }
    }

    /** Per-call scratch for {@link #combine}. */
    private static final class Scratch {
        final float[] mix = new float[BLOCK];
        final float[] sum = new float[BLOCK];
        final int[] up = new int[BLOCK];
        final float[] divisor = new float[BLOCK];
        final float[] lone = new float[BLOCK];
        final int[] count = new int[BLOCK];
    }



    private static RowRanks[] ranks(SparseOp op, Operand[] xs, Operand base) {
        if (op.random() != SparseOp.RANDOM_RANKED) {
            return null;
        }
        RowRanks[] r = new RowRanks[xs.length];
        for (int i = 0; i < xs.length; i++) {
            r[i] = new RowRanks(xs[i], base, op.rowLength());
        }
        return r;
    }

    private static int checkModels(SparseOp op, Operand[] xs) {
        if (xs.length != op.models()) {
            throw new IllegalArgumentException(xs.length + " inputs for " + op.models() + " models");
        }
        return xs.length;
    }

    private static void checkFloat32(Operand[] xs, Operand base) {
        for (Operand x : xs) {
            checkFloat32(x, base);
        }
    }

    // numerics §1 computes F64 inputs in float64; the sparsify kernels have no float64 path yet, so they
    // refuse F64 rather than round the inputs to float32.
    private static void checkFloat32(Operand x, Operand base) {
        if (base == null) {
            throw new IllegalArgumentException("the sparsify kernels need a base operand");
        }
        if (x.type() == DType.F64 || base.type() == DType.F64) {
            throw new IllegalArgumentException("F64 inputs are not supported by the sparsify-and-elect kernels yet");
        }
    }
}
