package org.exmerge.method.geometric;

import java.util.List;
import org.exmerge.kernel.LinearOp;
import org.exmerge.kernel.Operand;
import org.exmerge.method.MergeMethod;
import org.exmerge.method.Param;
import org.exmerge.method.Param.Scope;
import org.exmerge.method.Signature;
import org.exmerge.method.TensorInputs;
import org.exmerge.method.TensorMerge;
import org.exmerge.method.TensorParams;
import org.exmerge.method.TensorPlan;

/**
 * mergekit's nuslerp: slerp between two models with {@code t = w₂ / (w₁ + w₂)} from their weights
 * (0.5 when {@code |w₁ + w₂| < 1e-6}); with a base model, slerp of the task vectors
 * {@code x_i − b} added back onto the base. The angle is taken over the whole tensor
 * ({@code nuslerp_flatten}, default true) or, per vector, along the last dimension (default) or along
 * dimension 0 ({@code nuslerp_row_wise: true}), exactly as mergekit's {@code dim = 0 if row_wise else −1}.
 *
 * <p>Per vector: {@code cos = Σv₁v₂ / (max(n₁, 1e-7)·max(n₂, 1e-7))} clamped to [−1, 1],
 * {@code θ = acos(cos)}; when {@code |sin θ| < 1e-8} the vectors are interpolated linearly, else with
 * {@code sin((1−t)θ)/sin θ} and {@code sin(tθ)/sin θ}. Sums in float64 (numerics §4), scalars in StrictMath,
 * the elementwise apply through the linear kernel.
 */
public final class NuSlerp implements MergeMethod {
    public static final NuSlerp INSTANCE = new NuSlerp();

    /** mergekit's {@code _normalize} clamps norms to at least this. */
    static final double NORM_EPS = 1e-7;
    /** mergekit's colinearity test on {@code |sin θ|}. */
    static final double SIN_EPS = 1e-8;

    static final Param WEIGHT = Param.required("weight", Scope.MODEL, "t = w₂ / (w₁ + w₂), 0.5 when |w₁ + w₂| < 1e-6");
    static final Param FLATTEN = Param.bool("nuslerp_flatten", true, "one angle for the whole tensor; false: one per vector");
    static final Param ROW_WISE = Param.bool("nuslerp_row_wise", false, "with flatten false: vectors along dimension 0, not the last");

    private static final Signature SIGNATURE = new Signature(false, 2, 2, List.of(WEIGHT, FLATTEN, ROW_WISE));

    private NuSlerp() {}

    @Override
    public String name() {
        return "nuslerp";
    }

    @Override
    public Signature signature() {
        return SIGNATURE;
    }

    @Override
    public boolean optionalBase() {
        return true;
    }

    @Override
    public TensorPlan plan(TensorParams params, int models) {
        double w1 = params.number(WEIGHT, 0);
        double w2 = params.number(WEIGHT, 1);
        double sum = w1 + w2;
        double t = Math.abs(sum) < 1e-6 ? 0.5 : w2 / sum;
        boolean flatten = params.bool(FLATTEN);
        boolean rowWise = params.bool(ROW_WISE);
        String shape = flatten ? "tensor" : rowWise ? "dim 0" : "last dim";
        return new TensorPlan() {
            @Override
            public String describe() {
                return "nuslerp t=" + (float) t + " per " + shape;
            }

            @Override
            public TensorMerge bind(TensorInputs in) {
                Vectors vectors = flatten ? Vectors.whole(in.elements())
                        : rowWise ? Vectors.firstDim(in.shape()) : Vectors.lastDim(in.shape());
                Operand[] xs = in.models();
                double[][] sums = PairSums.compute(in, xs, in.base(), vectors, PairSums.gramPairs(2));
                LinearOp[] ops = new LinearOp[sums.length];
                for (int p = 0; p < ops.length; p++) {
                    // gramPairs(2) = (0,0), (0,1), (1,1)
                    double[] c = coefficients(t, sums[p][0], sums[p][2], sums[p][1]);
                    ops[p] = new LinearOp(c, in.base() != null, false, 1.0, 1.0);
                }
                return new VectorLinearMerge(in.kernels(), xs, in.base(), vectors, ops);
            }
        };
    }

    /** The two coefficients for one vector from {@code Σv₁², Σv₂², Σv₁v₂}. */
    static double[] coefficients(double t, double s11, double s22, double s12) {
        double n1 = Math.max(StrictMath.sqrt(s11), NORM_EPS);
        double n2 = Math.max(StrictMath.sqrt(s22), NORM_EPS);
        double cos = s12 / (n1 * n2);
        cos = Math.max(-1.0, Math.min(1.0, cos));
        double theta = StrictMath.acos(cos);
        double sin = StrictMath.sin(theta);
        if (Math.abs(sin) < SIN_EPS) {
            return new double[] {1.0 - t, t};
        }
        return new double[] {StrictMath.sin((1.0 - t) * theta) / sin, StrictMath.sin(t * theta) / sin};
    }
}
