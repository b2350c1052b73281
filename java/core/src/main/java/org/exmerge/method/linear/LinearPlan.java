package org.exmerge.method.linear;

import java.util.Arrays;
import org.exmerge.kernel.LinearOp;
import org.exmerge.kernel.Operand;
import org.exmerge.method.CheckedMerge;
import org.exmerge.method.TensorInputs;
import org.exmerge.method.TensorMerge;
import org.exmerge.method.TensorPlan;

/** A tensor planned for numerics §2's fused linear kernel: one read of each input, one write. */
public record LinearPlan(LinearOp op) implements TensorPlan {

    @Override
    public String describe() {
        StringBuilder sb = new StringBuilder("w=").append(Arrays.toString(op.weightsF32()));
        if (op.divide()) {
            sb.append(" /").append(op.divisorF32());
        }
        if (op.hasBase()) {
            sb.append(" λ=").append(op.lambdaF32()).append(" +base");
        }
        return sb.toString();
    }

    @Override
    public boolean readsAtBind() {
        return false;
    }

    @Override
    public TensorMerge bind(TensorInputs in) {
        Operand[] models = in.models();
        Operand base = op.hasBase() ? in.base() : null;
        return (CheckedMerge) (start, n, out) -> {
            Operand[] xs = new Operand[models.length];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = models[i].skip(start);
            }
            return in.kernels().linear(op, xs, base == null ? null : base.skip(start), out, n);
        };
    }
}
