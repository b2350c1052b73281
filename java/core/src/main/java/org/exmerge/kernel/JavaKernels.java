package org.exmerge.kernel;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import org.exmerge.format.DType;

/**
 * The pure-Java kernels: the executable spec every other backend is compared to, bit for bit.
 * Work is done in blocks of {@value #BLOCK} elements widened into scratch arrays, so the arithmetic
 * loops read exactly like numerics §2.
 */
public final class JavaKernels implements Kernels {
    static final int BLOCK = 2048;

    @Override
    public String name() {
        return "java";
    }

    /** The spec serves every op itself. */
    @Override
    public Map<String, Long> fallbacks() {
        return Map.of();
    }

    @Override
    public long linear(LinearOp op, Operand[] xs, Operand base, Operand out, long n) {
        if (xs.length != op.inputs()) {
            throw new IllegalArgumentException(xs.length + " inputs for " + op.inputs() + " weights");
        }
        if (op.hasBase() != (base != null)) {
            throw new IllegalArgumentException("base operand must be given exactly when the op has a base");
        }
        if (Lanes.anyF64(xs, base, out)) {
            linear64(op, xs, base, out, n);
        } else {
            linear32(op, xs, base, out, n);
        }
        return firstNonFinite(out, n);
    }

    private static void linear32(LinearOp op, Operand[] xs, Operand base, Operand out, long n) {
        float[] w = op.weightsF32();
        float divisor = op.divisorF32();
        float lambda = op.lambdaF32();
        float[] acc = new float[BLOCK];
        float[] x = new float[BLOCK];
        float[] b = new float[BLOCK];
        for (long from = 0; from < n; from += BLOCK) {
            int len = (int) Math.min(BLOCK, n - from);
            java.util.Arrays.fill(acc, 0, len, op.negativeZeroStart() ? -0.0f : 0.0f);
            if (base != null) {
                Lanes.load(base, from, len, b);
            }
            for (int i = 0; i < xs.length; i++) {
                Lanes.load(xs[i], from, len, x);
                float wi = w[i];
                if (base != null) {
                    for (int j = 0; j < len; j++) {
                        acc[j] = Math.fma(wi, x[j] - b[j], acc[j]);
                    }
                } else {
                    for (int j = 0; j < len; j++) {
                        acc[j] = Math.fma(wi, x[j], acc[j]);
                    }
                }
            }
            if (op.divide()) {
                for (int j = 0; j < len; j++) {
                    acc[j] = acc[j] / divisor;
                }
            }
            if (base != null) {
                for (int j = 0; j < len; j++) {
                    acc[j] = Math.fma(lambda, acc[j], b[j]);
                }
            }
            Lanes.store(acc, len, out, from);
        }
    }

    private static void linear64(LinearOp op, Operand[] xs, Operand base, Operand out, long n) {
        double[] w = op.weights();
        double[] acc = new double[BLOCK];
        double[] x = new double[BLOCK];
        double[] b = new double[BLOCK];
        for (long from = 0; from < n; from += BLOCK) {
            int len = (int) Math.min(BLOCK, n - from);
            java.util.Arrays.fill(acc, 0, len, op.negativeZeroStart() ? -0.0 : 0.0);
            if (base != null) {
                Lanes.load(base, from, len, b);
            }
            for (int i = 0; i < xs.length; i++) {
                Lanes.load(xs[i], from, len, x);
                double wi = w[i];
                for (int j = 0; j < len; j++) {
                    acc[j] = Math.fma(wi, base != null ? x[j] - b[j] : x[j], acc[j]);
                }
            }
            for (int j = 0; j < len; j++) {
                if (op.divide()) {
                    acc[j] = acc[j] / op.divisor();
                }
                if (base != null) {
                    acc[j] = Math.fma(op.lambda(), acc[j], b[j]);
                }
            }
            Lanes.store(acc, len, out, from);
        }
    }

    @Override
    public void linearPerVector(VectorLinearOp op, Operand[] xs, Operand base, Operand out, long start, long n) {
        VectorLinearKernels.linearPerVector(op, xs, base, out, start, n);
    }

    @Override
    public void pairSums(Operand[] xs, Operand base, int[][] pairs, VectorSpan span, double[] out) {
        PairSumKernels.pairSums(xs, base, pairs, span, out);
    }

    @Override
    public void tauHistogram(Operand x, Operand base, long start, long n, int high, long[] hist) {
        SparseKernels.tauHistogram(x, base, start, n, high, hist);
    }

    @Override
    public long tauBand(Operand x, Operand base, long start, long n, int lo, int hi, long[] counts, int[] band) {
        return SparseKernels.tauBand(x, base, start, n, lo, hi, counts, band);
    }

    @Override
    public void tauKeys(Operand x, Operand base, long n, int first, int runs, int of, int run, int[] keys) {
        SparseKernels.tauKeys(x, base, n, first, runs, of, run, keys);
    }

    @Override
    public int kthLargestKey(int[] keys, int count, long k) {
        return SparseKernels.kthLargestKey(keys, count, k);
    }

    @Override
    public void sparseNorms(SparseOp op, int norm, Operand[] inputs, Operand base, long blockStart, long total,
                            double[] out) {
        SparseKernels.norms(op, norm, inputs, base, blockStart, total, out);
    }

    @Override
    public long sparseMerge(SparseOp op, Operand[] inputs, Operand base, Operand out, long start, long n) {
        SparseKernels.merge(op, inputs, base, out, start, n);
        return firstNonFinite(out, n);
    }

    @Override
    public void keptCounts(SparseOp op, Operand[] inputs, Operand base, long start, long n, long[] counts) {
        SparseKernels.keptCounts(op, inputs, base, start, n, counts);
    }

    @Override
    public void convert(Operand in, Operand out, long n) {
        if (in.type() == out.type()) {
            long bytes = n * in.type().size();
            MemorySegment.copy(in.segment(), 0, out.segment(), 0, bytes);
            return;
        }
        if (!in.type().isFloat() || !out.type().isFloat()) {
            throw new IllegalArgumentException("cannot convert " + in.type() + " to " + out.type());
        }
        boolean wide = in.type() == DType.F64 || out.type() == DType.F64;
        for (long from = 0; from < n; from += BLOCK) {
            int len = (int) Math.min(BLOCK, n - from);
            if (wide) {
                double[] v = new double[len];
                Lanes.load(in, from, len, v);
                Lanes.store(v, len, out, from);
            } else {
                float[] v = new float[len];
                Lanes.load(in, from, len, v);
                Lanes.store(v, len, out, from);
            }
        }
    }

    @Override
    public void nearswap(double t, Operand base, Operand x, Operand out, long n) {
        NearSwapKernel.apply(t, base, x, out, n);
    }

    @Override
    public void sceHistogram(Operand[] inputs, Operand base, long start, long n, int high, long[] hist) {
        SceKernels.histogram(inputs, base, start, n, high, hist);
    }

    @Override
    public void sceSquares(SceOp op, Operand[] inputs, Operand base, long blockStart, long total, double[] out) {
        SceKernels.squares(op, inputs, base, blockStart, total, out);
    }

    @Override
    public void sceMerge(SceOp op, Operand[] inputs, Operand base, Operand out, long start, long n) {
        SceKernels.merge(op, inputs, base, out, start, n);
    }

    @Override
    public void fusionHistogram(FusionOp op, Operand x, Operand base, long start, long n, int high, long[] hist) {
        FusionKernels.histogram(op, x, base, start, n, high, hist);
    }

    @Override
    public void fusionMerge(FusionOp op, Operand x, Operand base, Operand out, long start, long n) {
        FusionKernels.merge(op, x, base, out, start, n);
    }

    @Override
    public void loraRows(Operand w, MemorySegment left, MemorySegment right, int rank, long columns, int count,
                         double scaling, Operand out) {
        LoraKernels.rows(w, left, right, rank, columns, count, scaling, out);
    }

    @Override
    public void svdTimes(float[] d, int m, int n, double[] x, int k, int from, int to, double[] y) {
        org.exmerge.numeric.SvdProducts.times(d, m, n, x, k, from, to, y);
    }

    @Override
    public void svdTransposeTimes(float[] d, int m, int n, double[] q, int k, int from, int to, double[] z) {
        org.exmerge.numeric.SvdProducts.transposeTimes(d, m, n, q, k, from, to, z);
    }

    @Override
    public long firstNonFinite(Operand data, long n) {
        return NonFinite.first(data.segment(), data.type(), n);
    }
}
