package org.exmerge.method.linear;

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
 * Copies one model's tensor (converted to the output type); mergekit's optional {@code scale}
 * multiplies it. Slices of passthrough sources stack layers (frankenmerges).
 */
public final class Passthrough implements MergeMethod {
    public static final Passthrough INSTANCE = new Passthrough();

    static final Param SCALE = Param.optional("scale", Scope.MODEL, "multiplies the copy; absent: a plain copy (converted to the output type)");

    private static final Signature SIGNATURE = new Signature(false, 1, 1, List.of(SCALE));

    @Override
    public String name() {
        return "passthrough";
    }

    @Override
    public Signature signature() {
        return SIGNATURE;
    }

    @Override
    public TensorPlan plan(TensorParams params, int models) {
        if (params.has(SCALE.name(), 0)) {
            double scale = params.number(SCALE, 0);
            return new LinearPlan(new LinearOp(new double[] {scale}, false, false, 1.0, 1.0));
        }
        return copy();
    }

    /** Copies the first model's tensor, converting its type if needed. */
    public static TensorPlan copy() {
        return new TensorPlan() {
            @Override
            public String describe() {
                return "copy";
            }

            @Override
            public boolean readsAtBind() {
                return false;
            }

            @Override
            public TensorMerge bind(TensorInputs in) {
                return (start, n, out) -> in.kernels().convert(in.models()[0].skip(start), out, n);
            }
        };
    }
}
