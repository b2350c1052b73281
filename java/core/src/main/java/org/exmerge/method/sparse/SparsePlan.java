package org.exmerge.method.sparse;

import org.exmerge.format.DType;
import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.SparseOp;
import org.exmerge.method.CheckedMerge;
import org.exmerge.method.Parallel;
import org.exmerge.method.sparse.SparseSettings.Sparsifier;
import org.exmerge.method.TensorInputs;
import org.exmerge.method.TensorMerge;
import org.exmerge.method.TensorPlan;
import org.exmerge.numeric.BlockReduction;

/**
 * A tensor planned for numerics §3's fused sparsify-and-elect kernel. Binding reads the whole tensor
 * where the method needs it (exact thresholds: two histogram reads per model; {@code rescale_norm}:
 * one norm read), then every chunk is one {@link Kernels#sparseMerge} call.
 *
 * @param modelKeys the model-wide threshold keys of a {@code scope: model} trim, else null
 */
record SparsePlan(SparseSettings s, long[] modelKeys) implements TensorPlan {

    /** mergekit's tolerance: a norm below it is not rescaled (sparsify.rescaled_masked_tensor). */
    static final double NORM_EPS = 1e-7;

    SparsePlan withModelKeys(long[] keys) {
        return new SparsePlan(s, keys.clone());
    }

    @Override
    public String describe() {
        return s.describe();
    }

    @Override
    public TensorMerge bind(TensorInputs in) {
        checkTypes(in, s.method());
        float[] w = SparseSettings.f32(s.weights());
        SparseOp op = SparseOp.plain(w, s.election(), s.normalize(), sumDivisor(w), (float) s.lambda(),
                in.seed(), in.tensorId());
        op = sparsify(op, in);
        op = rescale(op, in);
        SparseOp fin = op;
        Operand[] xs = in.models();
        Operand base = in.base();
        Kernels k = in.kernels();
        return (CheckedMerge) (start, n, out) -> k.sparseMerge(fin, xs, base, out, start, n);
    }

    /** Without election, {@code normalize} divides by Σw (float32 weights summed in float64), or by 1 when |Σw| < 1e-8. */
    private float sumDivisor(float[] w) {
        double sum = 0;
        for (float v : w) {
            sum += v;
        }
        return Math.abs(sum) >= 1e-8 ? (float) sum : 1.0f;
    }

    private SparseOp sparsify(SparseOp op, TensorInputs in) {
        int m = s.models();
        long n = in.elements();
        Kernels k = in.kernels();
        Operand base = in.base();
        Operand[] xs = in.models();
        switch (s.sparsifier()) {
            case MAGNITUDE -> {
                long[] from = new long[m];
                long[] below = new long[m];
                long[][] ranks = new long[m][];
                for (int i = 0; i < m; i++) {
                    below[i] = SparseOp.NO_UPPER;
                    ranks[i] = modelKeys != null || s.density()[i] >= 1 ? new long[0]
                            : new long[] {Thresholds.count(s.density()[i], n)};
                }
                long[][] keys = Thresholds.kthLargestKeys(k, in.parallel(), xs, base, n, ranks);
                for (int i = 0; i < m; i++) {
                    from[i] = modelKeys != null ? modelKeys[i] : keys[i].length > 0 ? keys[i][0] : 0;
                }
                return op.withBand(from, below);
            }
            case OUTLIERS -> {
                long[][] ranks = new long[m][];
                for (int i = 0; i < m; i++) {
                    long kept = Thresholds.count(s.density()[i], n);
                    // mergekit: when gamma + density ask for more than the tensor, fewer outliers
                    // are dropped so that the band still holds k elements.
                    long top = Math.min(Thresholds.count(s.gamma()[i], n), n - kept);
                    ranks[i] = s.density()[i] >= 1 ? new long[0] : new long[] {top, top + kept};
                }
                long[][] keys = Thresholds.kthLargestKeys(k, in.parallel(), xs, base, n, ranks);
                long[] from = new long[m];
                long[] below = new long[m];
                for (int i = 0; i < m; i++) {
                    // top = 0 gives NONE = NO_UPPER: no outliers dropped
                    below[i] = keys[i].length > 0 ? keys[i][0] : SparseOp.NO_UPPER;
                    from[i] = keys[i].length > 0 ? keys[i][1] : 0;
                }
                return op.withBand(from, below);
            }
            case RANDOM -> {
                float[] p = new float[m];
                for (int i = 0; i < m; i++) {
                    double d = s.density()[i];
                    p[i] = d >= 1 ? 1.0f : d <= 0 ? 0.0f : (float) d;
                }
                return op.withFixedProb(p);
            }
            case RANKED -> {
                double[] low = new double[m];
                double[] span = new double[m];
                float[] single = new float[m];
                for (int i = 0; i < m; i++) {
                    double d = s.density()[i];
                    double e = s.epsilon()[i];
                    if (d >= 1) {
                        low[i] = 1.0; // p = 1 everywhere: keep all, divide by 1
                        single[i] = 1.0f;
                    } else {
                        low[i] = d - e;
                        span[i] = 2.0 * e;
                        single[i] = (float) (d + e);
                    }
                }
                long[] shape = in.shape();
                int row = shape.length == 0 ? 1 : (int) Math.max(1, shape[shape.length - 1]);
                return op.withRankedProb(row, low, span, single);
            }
            default -> throw new AssertionError(s.sparsifier());
        }
    }

    private SparseOp rescale(SparseOp op, TensorInputs in) {
        int m = s.models();
        if (s.rescaleNorm() != 0) {
            return op.withDivisor(normDivisors(op, in), false);
        }
        if (!s.rescale()) {
            return op;
        }
        if (s.sparsifier() == Sparsifier.RANKED) {
            return op.withDivisor(op.divisor(), true);
        }
        float[] div = new float[m];
        for (int i = 0; i < m; i++) {
            double d = s.density()[i];
            div[i] = d > 0 && d < 1 ? (float) d : 1.0f;
        }
        return op.withDivisor(div, false);
    }

    /**
     * mergekit's rescale: divide the kept values by {@code after / before}, the norm of the kept
     * values over the norm of the whole task vector (float64, numerics §4's order), unless either norm is
     * below {@link #NORM_EPS}.
     */
    private float[] normDivisors(SparseOp op, TensorInputs in) {
        int m = s.models();
        long n = in.elements();
        int norm = s.rescaleNorm();
        double[] before = new double[m];
        double[] after = new double[m];
        // Blocks are computed on the run's threads into their own slots, then folded in block order.
        int blocks = (int) BlockReduction.blockCount(n);
        double[][] parts = new double[blocks][2 * m];
        int pieces = Parallel.pieces(blocks, 16);
        int perPiece = (blocks + pieces - 1) / pieces;
        in.parallel().run(pieces, p -> {
            for (int b = p * perPiece; b < Math.min(blocks, (p + 1) * perPiece); b++) {
                in.kernels().sparseNorms(op, norm, in.models(), in.base(), (long) b * BlockReduction.BLOCK_SIZE, n, parts[b]);
            }
        });
        for (double[] part : parts) {
            for (int i = 0; i < m; i++) {
                if (norm == SparseOp.NORM_LINF) {
                    before[i] = Math.max(before[i], part[2 * i]);
                    after[i] = Math.max(after[i], part[2 * i + 1]);
                } else {
                    before[i] += part[2 * i];
                    after[i] += part[2 * i + 1];
                }
            }
        }
        float[] q = new float[m];
        for (int i = 0; i < m; i++) {
            double b = norm == SparseOp.NORM_L2 ? StrictMath.sqrt(before[i]) : before[i];
            double a = norm == SparseOp.NORM_L2 ? StrictMath.sqrt(after[i]) : after[i];
            q[i] = b < NORM_EPS || a < NORM_EPS ? 1.0f : (float) (a / b);
        }
        return q;
    }

    static void checkTypes(TensorInputs in, String method) {
        if (in.base() == null) {
            throw new IllegalArgumentException(in.name() + ": " + method + " needs the base model's tensor");
        }
        boolean f64 = in.base().type() == DType.F64;
        for (Operand x : in.models()) {
            f64 |= x.type() == DType.F64;
        }
        if (f64) {
            throw new IllegalArgumentException(in.name() + ": " + method
                    + " does not support F64 tensors yet (numerics §1 computes them in float64; the sparsify kernels are float32)");
        }
    }
}
