package org.exmerge.kernel;

import org.exmerge.format.DType;
import org.exmerge.numeric.BlockReduction;
import org.exmerge.numeric.MagnitudeSelect;
import org.exmerge.numeric.Philox4x32;

/**
 * The Java spec of SPEC §3's kernels ({@link Kernels#tauHistogram}, {@link Kernels#sparseNorms},
 * {@link Kernels#sparseMerge}). Like {@link JavaKernels} it works in blocks of
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
            if (high < 0) {
                for (int j = 0; j < len; j++) {
                    hist[MagnitudeSelect.key(xs[j] - bs[j]) >>> 16]++;
                }
            } else {
                for (int j = 0; j < len; j++) {
                    int key = MagnitudeSelect.key(xs[j] - bs[j]);
                    if (key >>> 16 == high) {
                        hist[key & 0xFFFF]++;
                    }
                }
            }
        }
    }

    static void merge(SparseOp op, Operand[] xs, Operand base, Operand out, long start, long n) {
        int m = checkModels(op, xs);
        checkFloat32(xs, base);
        float[] b = new float[BLOCK];
        float[][] v = new float[m][BLOCK];
        boolean[] keep = new boolean[BLOCK];
        float[] p = new float[BLOCK];
        float[] acc = new float[BLOCK];
        RowRanks[] ranks = ranks(op, xs, base);
        for (long from = 0; from < n; from += BLOCK) {
            int len = (int) Math.min(BLOCK, n - from);
            long abs = start + from;
            Lanes.load(base, abs, len, b);
            for (int i = 0; i < m; i++) {
                float[] vi = v[i];
                Lanes.load(xs[i], abs, len, vi);
                for (int j = 0; j < len; j++) {
                    vi[j] = vi[j] - b[j];
                }
                keepMask(op, i, vi, len, abs, ranks == null ? null : ranks[i], keep, p);
                float w = op.weights()[i];
                float div = op.divisor()[i];
                boolean byProb = op.divideByProb();
                for (int j = 0; j < len; j++) {
                    float hat = keep[j] ? vi[j] / (byProb ? p[j] : div) : 0.0f;
                    vi[j] = w * hat;
                }
            }
            combine(op, v, b, len, acc);
            store(acc, len, out, from);
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
        boolean[] keep = new boolean[BLOCK];
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
                        if (keep[j]) {
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
                    if (keep[j]) {
                        la[j & (lanes - 1)] += term;
                    }
                }
            }
        }
        for (int i = 0; i < m; i++) {
            out[2 * i] = norm == SparseOp.NORM_LINF ? maxBefore[i] : fold(before[i]);
            out[2 * i + 1] = norm == SparseOp.NORM_LINF ? maxAfter[i] : fold(after[i]);
        }
    }

    /**
     * Which of elements {@code abs .. abs+len-1} of model {@code i} survive, from their task-vector
     * values {@code tau}; {@code p} receives the keep probability where one applies.
     */
    private static void keepMask(SparseOp op, int i, float[] tau, int len, long abs, RowRanks ranks,
                                 boolean[] keep, float[] p) {
        long from = op.keepFrom()[i];
        long below = op.keepBelow()[i];
        for (int j = 0; j < len; j++) {
            int key = MagnitudeSelect.key(tau[j]);
            keep[j] = key >= from && key < below;
        }
        switch (op.random()) {
            case SparseOp.RANDOM_FIXED -> {
                float pi = op.keepProb()[i];
                for (int j = 0; j < len; j++) {
                    p[j] = pi;
                    keep[j] = keep[j] && Philox4x32.uniform(op.seed(), abs + j, op.tensorId(), i) < pi;
                }
            }
            case SparseOp.RANDOM_RANKED -> {
                int n = ranks.rowLength();
                for (int j = 0; j < len; j++) {
                    p[j] = op.rankProb(i, ranks.rank(abs + j), n);
                    keep[j] = keep[j] && Philox4x32.uniform(op.seed(), abs + j, op.tensorId(), i) < p[j];
                }
            }
            default -> { }
        }
    }

    /** Election and combine over the weighted values {@code v[i][j]}, then {@code fma(λ, m, b)}. */
    private static void combine(SparseOp op, float[][] v, float[] b, int len, float[] acc) {
        int m = v.length;
        float[] w = op.weights();
        float lambda = op.lambda();
        for (int j = 0; j < len; j++) {
            float mix = 0.0f;
            if (op.election() == SparseOp.ELECT_NONE) {
                for (int i = 0; i < m; i++) {
                    mix = mix + v[i][j];
                }
                if (op.normalize()) {
                    mix = mix / op.sumDivisor();
                }
            } else {
                boolean positive;
                if (op.election() == SparseOp.ELECT_SUM) {
                    float s = 0.0f;
                    for (int i = 0; i < m; i++) {
                        s = s + v[i][j];
                    }
                    positive = s >= 0.0f;
                } else {
                    int c = 0;
                    for (int i = 0; i < m; i++) {
                        c += v[i][j] > 0.0f ? 1 : v[i][j] < 0.0f ? -1 : 0;
                    }
                    positive = c >= 0;
                }
                float d = 0.0f;
                for (int i = 0; i < m; i++) {
                    float vi = v[i][j];
                    if (positive ? vi > 0.0f : vi < 0.0f) {
                        mix = mix + vi;
                        d = d + w[i];
                    }
                }
                if (op.normalize()) {
                    mix = mix / (d == 0.0f ? 1.0f : d);
                }
            }
            acc[j] = Math.fma(lambda, mix, b[j]);
        }
    }

    private static double fold(double[] p) {
        for (int s = BlockReduction.LANES / 2; s >= 1; s >>= 1) {
            for (int l = 0; l < s; l++) {
                p[l] = p[l] + p[l + s];
            }
        }
        return p[0];
    }

    /** Float32 results into any float output; F64 receives the float32 value exactly. */
    private static void store(float[] acc, int len, Operand out, long from) {
        if (out.type() == DType.F64) {
            double[] wide = new double[len];
            for (int j = 0; j < len; j++) {
                wide[j] = acc[j];
            }
            Lanes.store(wide, len, out, from);
        } else {
            Lanes.store(acc, len, out, from);
        }
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

    // SPEC §1 computes F64 inputs in float64; the sparsify kernels have no float64 path yet, so they
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
