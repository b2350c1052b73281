package org.exmerge.method.sparse;

import java.util.Arrays;
import java.util.List;
import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.SparseOp;
import org.exmerge.method.CheckedMerge;
import org.exmerge.method.MergeMethod;
import org.exmerge.method.Param;
import org.exmerge.method.Param.Scope;
import org.exmerge.method.ParameterException;
import org.exmerge.method.Signature;
import org.exmerge.method.TensorInputs;
import org.exmerge.method.TensorMerge;
import org.exmerge.method.TensorParams;
import org.exmerge.method.TensorPlan;
import org.exmerge.numeric.MagnitudeSelect;

/**
 * mergekit's {@code ram} (Reinforced Agent Merging), methods-sparsify.md "ram": per element, the task
 * vector values with {@code |τ_i| > epsilon} are averaged, a lone one taken whole, none leaving the
 * base. That is the fused sparsify-and-elect kernel with a magnitude band, unit weights and divisors,
 * and {@link SparseOp#ELECT_KEPT}, normalized: the agreeing weight sum is the count of kept values.
 */
public final class Ram implements MergeMethod {
    static final Param EPSILON = Param.number("epsilon", Scope.GLOBAL, 1e-5,
            "a task-vector element counts when |τ| > epsilon (compared in float32)").atLeast(0);

    public static final Ram INSTANCE = new Ram();

    private static final Signature SIGNATURE = new Signature(true, 1, Signature.ANY, List.of(EPSILON));

    private Ram() {}

    @Override
    public String name() {
        return "ram";
    }

    @Override
    public Signature signature() {
        return SIGNATURE;
    }

    @Override
    public TensorPlan plan(TensorParams p, int models) {
        double eps = p.number(EPSILON);
        // The range check lets NaN through (NaN < 0 is false); a NaN or infinite epsilon has no float32 band.
        if (!Double.isFinite(eps)) {
            throw new ParameterException(p.path(EPSILON.name(), -1) + ": must be a finite number ≥ 0, got " + eps);
        }
        return new Plan((float) eps);
    }

    /**
     * One tensor's plan. torch compares a float32 tensor with a Python float in float32, so ε is
     * rounded once; {@code |τ| > ε} is then {@code key(τ) > key(ε)} on magnitude keys, and the band
     * stops below {@link MagnitudeSelect#NAN_KEY} because {@code abs(NaN) > ε} is false (±inf is kept).
     */
    record Plan(float epsilon) implements TensorPlan {
        @Override
        public String describe() {
            return "ram epsilon=" + epsilon;
        }

        @Override
        public TensorMerge bind(TensorInputs in) {
            SparsePlan.checkTypes(in, "ram");
            int m = in.models().length;
            float[] ones = new float[m];
            Arrays.fill(ones, 1f);
            long[] from = new long[m];
            Arrays.fill(from, MagnitudeSelect.key(epsilon) + 1L);
            long[] below = new long[m];
            Arrays.fill(below, MagnitudeSelect.NAN_KEY);
            SparseOp op = SparseOp.plain(ones, SparseOp.ELECT_KEPT, true, 1f, 1f, in.seed(), in.tensorId())
                    .withBand(from, below);
            Operand[] xs = in.models();
            Operand base = in.base();
            Kernels k = in.kernels();
            return (CheckedMerge) (start, n, out) -> k.sparseMerge(op, xs, base, out, start, n);
        }
    }
}
