package org.exmerge.method.geometric;

import java.util.List;
import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.LinearOp;
import org.exmerge.kernel.Operand;
import org.exmerge.method.MergeMethod;
import org.exmerge.method.Param;
import org.exmerge.method.Param.Scope;
import org.exmerge.method.Parallel;
import org.exmerge.method.Signature;
import org.exmerge.method.TensorInputs;
import org.exmerge.method.TensorMerge;
import org.exmerge.method.TensorParams;
import org.exmerge.method.TensorPlan;

/**
 * numerics §4 slerp: spherical interpolation between the base model ({@code t = 0}) and one other model
 * ({@code t = 1}), mergekit's semantics. Per tensor, one read of both inputs gives {@code Σx₁²},
 * {@code Σx₂²} and {@code Σx₁x₂} (float64, numerics §4 order); the two coefficients follow in StrictMath
 * and the fused linear kernel writes {@code fma(c₂, x₂, c₁·x₁)}.
 */
public final class Slerp implements MergeMethod {
    public static final Slerp INSTANCE = new Slerp();

    /** mergekit's threshold: above it the tensors count as colinear and are interpolated linearly. */
    static final double DOT_THRESHOLD = 0.9995;
    /** A norm at or below this leaves its tensor unnormalised (mergekit's {@code normalize(v, eps)}). */
    static final double EPS = 1e-8;

    static final Param T = Param.required("t", Scope.GLOBAL, "0 gives the base, 1 the other model; outside [0, 1] extrapolates");

    private static final Signature SIGNATURE = new Signature(true, 1, 1, List.of(T));

    private Slerp() {}

    @Override
    public String name() {
        return "slerp";
    }

    @Override
    public Signature signature() {
        return SIGNATURE;
    }

    @Override
    public TensorPlan plan(TensorParams params, int models) {
        double t = params.number(T);
        return new TensorPlan() {
            @Override
            public String describe() {
                return "slerp t=" + (float) t;
            }

            @Override
            public TensorMerge bind(TensorInputs in) {
                Operand b = in.base();
                Operand x = in.models()[0];
                double[] s = sums(in.kernels(), b, x, in.elements(), in.parallel());
                LinearOp op = LinearOp.products(coefficients(t, s[0], s[1], s[2]));
                return VectorLinearMerge.whole(in.kernels(), new Operand[] {b, x}, null, in.elements(), op);
            }
        };
    }

    /** Σb², Σx², Σb·x in numerics §4's order, by the backend's pair sums on the run's threads. */
    static double[] sums(Kernels kernels, Operand b, Operand x, long n, Parallel parallel) {
        int[][] pairs = {{0, 0}, {1, 1}, {0, 1}};
        return PairSums.compute(kernels, parallel, new Operand[] {b, x}, null, Vectors.whole(n), pairs)[0];
    }

    /**
     * The coefficients {@code (c₁, c₂)} of the two tensors, from their sums {@code Σx₁², Σx₂², Σx₁x₂}
     * (numerics §4): linear {@code (1 − t, t)} when {@code |dot| > 0.9995}, else {@code sin((1−t)θ)/sin θ}
     * and {@code sin(tθ)/sin θ} applied to the unnormalised tensors.
     */
    static double[] coefficients(double t, double s11, double s22, double s12) {
        double n1 = StrictMath.sqrt(s11);
        double n2 = StrictMath.sqrt(s22);
        double dot = s12 / ((n1 > EPS ? n1 : 1.0) * (n2 > EPS ? n2 : 1.0));
        if (Math.abs(dot) > DOT_THRESHOLD) {
            return new double[] {1.0 - t, t};
        }
        double theta = StrictMath.acos(dot);
        double sin = StrictMath.sin(theta);
        return new double[] {StrictMath.sin((1.0 - t) * theta) / sin, StrictMath.sin(t * theta) / sin};
    }
}
