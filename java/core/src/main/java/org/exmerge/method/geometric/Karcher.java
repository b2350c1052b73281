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
 * mergekit's karcher: the Riemannian (Karcher) mean of the models' directions on the unit sphere,
 * scaled by the mean of their norms, with equal weights {@code 1/M}.
 *
 * <p>Every iterate of mergekit's algorithm is a linear combination of the unit tensors
 * {@code u_i = x_i / |x_i|}: the start is their weighted mean, and each step adds multiples of
 * {@code u_i} and of the iterate itself. So the iteration runs exactly on M coefficients, with every
 * inner product read off the Gram matrix {@code Σx_i·x_j} (one read of the inputs, float64, numerics §4),
 * in StrictMath; the kernel then writes the final combination {@code Σ w_i·x_i} in one pass.
 * mergekit instead materialises each iterate as a tensor, rounded to the model dtype every step.
 */
public final class Karcher implements MergeMethod {
    public static final Karcher INSTANCE = new Karcher();

    static final Param MAX_ITER = Param.integer("max_iter", Scope.GLOBAL, 10, "at most this many steps on the sphere")
            .range(0, 100_000);
    static final Param TOL = Param.number("tol", Scope.GLOBAL, 1e-5, "stop when the step is shorter; tensors with a smaller norm take no part")
            .atLeast(0);

    private static final Signature SIGNATURE = new Signature(false, 2, Signature.ANY, List.of(MAX_ITER, TOL));

    private Karcher() {}

    @Override
    public String name() {
        return "karcher";
    }

    @Override
    public Signature signature() {
        return SIGNATURE;
    }

    @Override
    public TensorPlan plan(TensorParams params, int models) {
        int maxIter = (int) params.number(MAX_ITER);
        double tol = params.number(TOL);
        return new TensorPlan() {
            @Override
            public String describe() {
                return "karcher of " + models + " max_iter=" + maxIter + " tol=" + tol;
            }

            @Override
            public TensorMerge bind(TensorInputs in) {
                int m = in.models().length;
                double[] gram = PairSums.compute(in, in.models(), null, Vectors.whole(in.elements()), PairSums.gramPairs(m))[0];
                LinearOp op = new LinearOp(weights(m, gram, maxIter, tol), false, false, 1.0, 1.0);
                return VectorLinearMerge.whole(in.kernels(), in.models(), null, in.elements(), op);
            }
        };
    }

    /** The weights {@code w_i} of the output {@code Σ w_i·x_i}, from the Gram sums in {@link PairSums#gramPairs} order. */
    static double[] weights(int m, double[] gram, int maxIter, double tol) {
        double alpha = 1.0 / m;
        double[] norm = new double[m];
        for (int i = 0; i < m; i++) {
            norm[i] = StrictMath.sqrt(gram[PairSums.gramIndex(m, i, i)]);
        }
        // unit[i][j] = <u_i, u_j>; a zero tensor's unit vector is zero.
        double[][] unit = new double[m][m];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                unit[i][j] = norm[i] == 0.0 || norm[j] == 0.0 ? 0.0 : gram[PairSums.gramIndex(m, i, j)] / (norm[i] * norm[j]);
            }
        }
        boolean[] valid = new boolean[m];
        double alphaSum = 0.0;
        int first = -1;
        for (int i = 0; i < m; i++) {
            valid[i] = norm[i] > tol;
            if (valid[i]) {
                alphaSum += alpha;
                first = first < 0 ? i : first;
            }
        }
        double[] out = new double[m];
        if (first < 0) {
            return out; // mergekit: zeros when every tensor is (near) zero
        }
        double[] a = new double[m];
        double[] u = new double[m]; // the iterate, as coefficients of the unit vectors
        for (int i = 0; i < m; i++) {
            a[i] = valid[i] ? alpha / alphaSum : 0.0;
            u[i] = a[i];
        }
        double normU = length(u, unit);
        if (normU < tol) {
            java.util.Arrays.fill(u, 0.0);
            u[first] = 1.0;
        } else {
            scale(u, 1.0 / normU);
        }
        for (int iter = 0; iter < maxIter; iter++) {
            double[] tangent = new double[m];
            for (int i = 0; i < m; i++) {
                if (!valid[i]) {
                    continue;
                }
                double dot = Math.max(-1.0, Math.min(1.0, inner(u, unit, i)));
                double theta = StrictMath.acos(dot);
                if (theta < tol) {
                    continue;
                }
                double f = a[i] * (theta / StrictMath.sin(theta));
                // tangent += f · (u_i − dot · u)
                for (int k = 0; k < m; k++) {
                    tangent[k] -= f * dot * u[k];
                }
                tangent[i] += f;
            }
            double normT = length(tangent, unit);
            if (normT < tol) {
                break;
            }
            double c = StrictMath.cos(normT);
            double s = StrictMath.sin(normT);
            for (int k = 0; k < m; k++) {
                u[k] = c * u[k] + s * (tangent[k] / normT);
            }
            double n = length(u, unit);
            if (n > tol) {
                scale(u, 1.0 / n);
            }
        }
        double scale = 0.0;
        for (int i = 0; i < m; i++) {
            scale += alpha * norm[i];
        }
        for (int i = 0; i < m; i++) {
            out[i] = u[i] == 0.0 ? 0.0 : scale * u[i] / norm[i];
        }
        return out;
    }

    /** {@code <Σ_k c_k u_k, u_i>}. */
    private static double inner(double[] c, double[][] unit, int i) {
        double s = 0.0;
        for (int k = 0; k < c.length; k++) {
            s += c[k] * unit[k][i];
        }
        return s;
    }

    /** {@code |Σ_k c_k u_k|}. */
    private static double length(double[] c, double[][] unit) {
        double q = 0.0;
        for (int i = 0; i < c.length; i++) {
            q += c[i] * inner(c, unit, i);
        }
        // The Gram form is positive semi-definite; rounding may leave a tiny negative.
        return StrictMath.sqrt(Math.max(q, 0.0));
    }

    private static void scale(double[] c, double f) {
        for (int k = 0; k < c.length; k++) {
            c[k] *= f;
        }
    }
}
