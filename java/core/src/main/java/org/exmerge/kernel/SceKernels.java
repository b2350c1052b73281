package org.exmerge.kernel;

import org.exmerge.format.DType;
import org.exmerge.numeric.BlockReduction;
import org.exmerge.numeric.MagnitudeSelect;

/**
 * The Java spec of the {@code sce} ops ({@link Kernels#sceHistogram}, {@link Kernels#sceSquares},
 * {@link Kernels#sceMerge}; the arithmetic is on {@link SceOp}). Like {@link SparseKernels} it
 * works in blocks of {@value JavaKernels#BLOCK} elements widened into float scratch arrays; input
 * operands start at element 0 of the tensor, the output at the chunk.
 */
final class SceKernels {
    private static final int BLOCK = JavaKernels.BLOCK;

    private SceKernels() {}

    /** Counts the variance keys of elements {@code [start, start + n)}; zero variances are not counted. */
    static void histogram(Operand[] xs, Operand base, long start, long n, int high, long[] hist) {
        check(xs, base);
        KeyHistogram.check("sce", hist, high, start, n);
        Tiles t = new Tiles(xs.length);
        for (long from = 0; from < n; from += BLOCK) {
            int len = (int) Math.min(BLOCK, n - from);
            t.load(xs, base, start + from, len);
            for (int j = 0; j < len; j++) {
                int key = MagnitudeSelect.key(t.variance(j));
                if (key != 0) {
                    KeyHistogram.add(hist, high, key);
                }
            }
        }
    }

    /** One numerics §4 block of {@code Σ τ̂_i²} per model: {@code out[i]}. */
    static void squares(SceOp op, Operand[] xs, Operand base, long blockStart, long total, double[] out) {
        checkModels(op, xs);
        check(xs, base);
        if (blockStart < 0 || blockStart >= total || blockStart % BlockReduction.BLOCK_SIZE != 0 || out.length < xs.length) {
            throw new IllegalArgumentException("block start " + blockStart + " is not a block of a tensor of " + total);
        }
        int m = xs.length;
        long end = Math.min(blockStart + BlockReduction.BLOCK_SIZE, total);
        int lanes = BlockReduction.LANES;
        double[][] acc = new double[m][lanes];
        Tiles t = new Tiles(m);
        boolean[] keep = new boolean[BLOCK];
        // BLOCK is a multiple of 64, so element j of a staged run sits in lane j % 64 of the block.
        for (long from = blockStart; from < end; from += BLOCK) {
            int len = (int) Math.min(BLOCK, end - from);
            t.load(xs, base, from, len);
            t.keep(op.keepFrom(), len, keep);
            for (int i = 0; i < m; i++) {
                float[] ti = t.tau[i];
                double[] a = acc[i];
                for (int j = 0; j < len; j++) {
                    double v = keep[j] ? ti[j] : 0.0;
                    a[j & (lanes - 1)] += v * v;
                }
            }
        }
        for (int i = 0; i < m; i++) {
            out[i] = BlockReduction.fold(acc[i]);
        }
    }

    static void merge(SceOp op, Operand[] xs, Operand base, Operand out, long start, long n) {
        checkModels(op, xs);
        check(xs, base);
        int m = xs.length;
        float[] w = op.weights();
        Tiles t = new Tiles(m);
        boolean[] keep = new boolean[BLOCK];
        float[] acc = new float[BLOCK];
        for (long from = 0; from < n; from += BLOCK) {
            int len = (int) Math.min(BLOCK, n - from);
            t.load(xs, base, start + from, len);
            t.keep(op.keepFrom(), len, keep);
            for (int j = 0; j < len; j++) {
                float s = 0.0f;
                for (int i = 0; i < m; i++) {
                    s = s + (keep[j] ? t.tau[i][j] : 0.0f);
                }
                boolean up = s >= 0.0f;
                float mix = 0.0f;
                float d = 0.0f;
                for (int i = 0; i < m; i++) {
                    float v = keep[j] ? t.tau[i][j] : 0.0f;
                    if (up ? v > 0.0f : v < 0.0f) {
                        mix = mix + w[i] * v;
                        d = d + w[i];
                    }
                }
                float q = d < SceOp.MIN_DIVISOR ? SceOp.MIN_DIVISOR : d;
                acc[j] = t.b[j] + mix / q;
            }
            Lanes.storeWidening(acc, len, out, from);
        }
    }

    /** One run of widened base values and task vectors. */
    private static final class Tiles {
        final float[] b = new float[BLOCK];
        final float[][] tau;
        final float[] column;

        Tiles(int m) {
            tau = new float[m][BLOCK];
            column = new float[Math.max(1, m)];
        }

        void load(Operand[] xs, Operand base, long from, int len) {
            Lanes.load(base, from, len, b);
            for (int i = 0; i < xs.length; i++) {
                float[] ti = tau[i];
                Lanes.load(xs[i], from, len, ti);
                for (int j = 0; j < len; j++) {
                    ti[j] = ti[j] - b[j];
                }
            }
        }

        float variance(int j) {
            for (int i = 0; i < tau.length; i++) {
                column[i] = tau[i][j];
            }
            return SceOp.variance(column, tau.length);
        }

        void keep(long keepFrom, int len, boolean[] keep) {
            for (int j = 0; j < len; j++) {
                keep[j] = keepFrom == 0 || MagnitudeSelect.key(variance(j)) >= keepFrom;
            }
        }
    }



    private static void checkModels(SceOp op, Operand[] xs) {
        if (xs.length != op.models()) {
            throw new IllegalArgumentException(xs.length + " inputs for " + op.models() + " models");
        }
    }

    // numerics §1 computes F64 inputs in float64; these kernels are float32 only, so they refuse F64
    // rather than round the inputs.
    static void check(Operand[] xs, Operand base) {
        if (base == null) {
            throw new IllegalArgumentException("the sce kernels need a base operand");
        }
        if (xs.length == 0) {
            throw new IllegalArgumentException("the sce kernels need at least one model");
        }
        boolean f64 = base.type() == DType.F64;
        for (Operand x : xs) {
            f64 |= x.type() == DType.F64;
        }
        if (f64) {
            throw new IllegalArgumentException("F64 inputs are not supported by the sce kernels yet");
        }
    }
}
