package org.exmerge.method.elementwise;

import java.util.List;
import org.exmerge.method.MergeMethod;
import org.exmerge.method.Param;
import org.exmerge.method.Param.Scope;
import org.exmerge.method.Signature;
import org.exmerge.method.TensorInputs;
import org.exmerge.method.TensorMerge;
import org.exmerge.method.TensorParams;
import org.exmerge.method.TensorPlan;

/**
 * mergekit's nearswap: per element, the base {@code v0} moves toward the other model {@code v1} by
 * {@code w = clamp(t / max(|v0 − v1|, 1e-6), 0, 1)}, so elements where the two models nearly agree
 * (closer than {@code t}) take the other model's value and elements far apart stay near the base.
 * One streaming pass of the kernel op {@link org.exmerge.kernel.Kernels#nearswap} (numerics §10);
 * nothing is read before the output is written.
 */
public final class NearSwap implements MergeMethod {
    public static final NearSwap INSTANCE = new NearSwap();

    static final Param T = Param.required("t", Scope.GLOBAL,
            "the sameness threshold: elements closer than t take the other model's value; 0 keeps the base").atLeast(0);

    private static final Signature SIGNATURE = new Signature(true, 1, 1, List.of(T));

    private NearSwap() {}

    @Override
    public String name() {
        return "nearswap";
    }

    @Override
    public Signature signature() {
        return SIGNATURE;
    }

    @Override
    public TensorPlan plan(TensorParams params, int models) {
        // +0.0 turns a −0 threshold into +0, so w is never −0 (numerics §10).
        double t = params.number(T) + 0.0;
        return new TensorPlan() {
            @Override
            public String describe() {
                return "nearswap t=" + (float) t;
            }

            @Override
            public boolean readsAtBind() {
                return false;
            }

            @Override
            public TensorMerge bind(TensorInputs in) {
                return (start, n, out) -> in.kernels().nearswap(t, in.base().skip(start), in.models()[0].skip(start), out, n);
            }
        };
    }
}
