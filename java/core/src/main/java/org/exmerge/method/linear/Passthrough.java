package org.exmerge.method.linear;

import java.util.Set;
import org.exmerge.kernel.LinearOp;
import org.exmerge.method.MergeMethod;
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

    private static final Signature SIGNATURE = new Signature(false, 1, 1, Set.of("scale"), Set.of("scale"));

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
        if (params.has("scale", 0)) {
            double scale = params.number("scale", 0, 1.0);
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
