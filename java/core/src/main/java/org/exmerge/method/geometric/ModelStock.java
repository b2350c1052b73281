package org.exmerge.method.geometric;

import java.util.List;
import org.exmerge.kernel.LinearOp;
import org.exmerge.method.MergeMethod;
import org.exmerge.method.Param;
import org.exmerge.method.Param.Scope;
import org.exmerge.method.Signature;
import org.exmerge.method.TensorInputs;
import org.exmerge.method.TensorMerge;
import org.exmerge.method.TensorParams;
import org.exmerge.method.TensorPlan;

/**
 * Model Stock (Jang et al. 2024) as mergekit computes it. With task vectors {@code τ_i = x_i − b} of
 * N ≥ 2 fine-tunes: {@code cos_ij = Στ_iτ_j / max(|τ_i|·|τ_j|, 1e-6)} clamped to [−1, 1] for every
 * pair {@code i < j}; {@code cos} = their mean; {@code t = N·cos / (1 + (N−1)·cos)}; the output is
 * {@code t·mean(x) + (1 − t)·b}, computed as {@code b + t·(Στ_i / N)} by the linear kernel
 * (weights 1, divisor N, λ = t). {@code filter_wise: true} takes one t per vector along the last
 * dimension (a 2-D weight's rows) instead of one per tensor.
 */
public final class ModelStock implements MergeMethod {
    public static final ModelStock INSTANCE = new ModelStock();

    /** mergekit clamps the norm product to at least this. */
    static final double NORM_PRODUCT_EPS = 1e-6;
    /** Below this, {@code 1 + (N−1)·cos} counts as zero: the unit task vectors cancel and t is undefined. */
    static final double DENOMINATOR_EPS = 1e-12;

    static final Param FILTER_WISE = Param.bool("filter_wise", false, "one t per vector along the last dimension instead of per tensor");

    private static final Signature SIGNATURE = new Signature(true, 2, Signature.ANY, List.of(FILTER_WISE));

    private ModelStock() {}

    @Override
    public String name() {
        return "model_stock";
    }

    @Override
    public Signature signature() {
        return SIGNATURE;
    }

    @Override
    public TensorPlan plan(TensorParams params, int models) {
        boolean filterWise = params.bool(FILTER_WISE);
        return new TensorPlan() {
            @Override
            public String describe() {
                return "model_stock of " + models + " per " + (filterWise ? "last dim" : "tensor");
            }

            @Override
            public TensorMerge bind(TensorInputs in) {
                Vectors vectors = filterWise ? Vectors.lastDim(in.shape()) : Vectors.whole(in.elements());
                int n = in.models().length;
                double[][] sums = PairSums.compute(in, in.models(), in.base(), vectors, PairSums.gramPairs(n));
                double[] ones = new double[n];
                java.util.Arrays.fill(ones, 1.0);
                LinearOp[] ops = new LinearOp[sums.length];
                for (int p = 0; p < ops.length; p++) {
                    ops[p] = new LinearOp(ones, true, true, n, interpolation(n, sums[p]));
                }
                return new VectorLinearMerge(in.kernels(), in.models(), in.base(), vectors, ops);
            }
        };
    }

    /**
     * Model Stock's {@code t} from the task vectors' Gram sums (in {@link PairSums#gramPairs} order).
     * {@code 1 + (N−1)·cos ≥ 0} always (the unit task vectors' sum has a norm), and it is 0 only where
     * they cancel, e.g. two opposite task vectors. There t is undefined: mergekit divides by zero, or
     * by a rounding residue, and writes inf, NaN or ±1e15-scale weights. We keep the base: t = 0.
     */
    static double interpolation(int n, double[] gram) {
        double[] norms = new double[n];
        for (int i = 0; i < n; i++) {
            norms[i] = StrictMath.sqrt(gram[PairSums.gramIndex(n, i, i)]);
        }
        double sum = 0.0;
        int pairs = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                double c = gram[PairSums.gramIndex(n, i, j)] / Math.max(norms[i] * norms[j], NORM_PRODUCT_EPS);
                sum += Math.max(-1.0, Math.min(1.0, c));
                pairs++;
            }
        }
        double cos = sum / pairs;
        double denominator = 1.0 + (n - 1) * cos;
        return denominator < DENOMINATOR_EPS ? 0.0 : n * cos / denominator;
    }
}
