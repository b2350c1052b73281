package org.exmerge.method.geometric;

import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import org.exmerge.kernel.LinearOp;
import org.exmerge.kernel.Operand;
import org.exmerge.method.MergeMethod;
import org.exmerge.method.Param;
import org.exmerge.method.ParameterException;
import org.exmerge.method.Param.Scope;
import org.exmerge.method.Signature;
import org.exmerge.method.TensorInputs;
import org.exmerge.method.TensorMerge;
import org.exmerge.method.TensorParams;
import org.exmerge.method.TensorPlan;
import org.exmerge.recipe.ConfigException;

/**
 * mergekit's multislerp: barycentric interpolation of any number of models on the sphere, over the
 * whole (flattened) tensor. With a base, of the task vectors {@code τ_i = x_i − b}, added back onto it.
 *
 * <p>mergekit projects the unit vectors {@code u_i = τ_i / (|τ_i| + eps)} onto the tangent space at
 * their normalised weighted mean {@code m̂ = m / |m|}, {@code m = Σ w_i u_i}, averages them there and
 * maps back with the exponential map, then scales by {@code Σ w_i |τ_i|}. The weighted tangent sum is
 * {@code Σ w_i (u_i − (u_i·m̂) m̂) = m − (m·m̂) m̂ = 0} exactly, so the map lands on
 * {@code cos(eps)·m̂}, and every input's coefficient follows in closed form from the Gram matrix
 * {@code G_ij = Σ τ_i·τ_j} (one float64 pass, numerics §4):
 * {@code c_i = cos(eps)·(Σ_k w_k n_k)·w_i / ((n_i + eps)·M)}, {@code n_i = √G_ii},
 * {@code M² = Σ_ij w_i w_j G_ij / ((n_i + eps)(n_j + eps))}. mergekit carries the zero tangent sum
 * as float rounding noise through its exponential map; exmerge applies the exact value with one pass
 * of the linear kernel.
 */
public final class MultiSlerp implements MergeMethod {
    public static final MultiSlerp INSTANCE = new MultiSlerp();

    static final Param WEIGHT = Param.required("weight", Scope.MODEL, "the model's weight w_i in the weighted mean on the sphere");
    static final Param NORMALIZE_WEIGHTS = Param.bool("normalize_weights", true, "divide the weights by their sum");
    static final Param EPS = Param.number("eps", Scope.GLOBAL, 1e-8, "added to every norm; a mean shorter than this counts as zero")
            .atLeast(0);

    private static final Signature SIGNATURE = new Signature(false, 1, Signature.ANY, List.of(WEIGHT, NORMALIZE_WEIGHTS, EPS));

    private MultiSlerp() {}

    @Override
    public String name() {
        return "multislerp";
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
        double[] w = new double[models];
        double sum = 0.0;
        for (int i = 0; i < models; i++) {
            w[i] = params.number(WEIGHT, i);
            sum += w[i];
        }
        boolean normalize = params.bool(NORMALIZE_WEIGHTS);
        if (normalize && models > 1) {
            if (sum == 0.0) {
                throw new ParameterException(params.path(WEIGHT.name(), 0)
                        + ": the weights sum to 0, and normalize_weights divides by their sum; change a weight or set normalize_weights: false");
            }
            for (int i = 0; i < models; i++) {
                w[i] /= sum;
            }
        }
        double eps = params.number(EPS);
        return new TensorPlan() {
            @Override
            public String describe() {
                return "multislerp of " + models + " w=" + Arrays.toString(w) + " eps=" + Param.format(eps);
            }

            @Override
            public boolean readsAtBind() {
                return models > 1;
            }

            @Override
            public TensorMerge bind(TensorInputs in) {
                Operand[] xs = in.models();
                if (xs.length == 1) {
                    // mergekit returns the one model as it is: c·x from −0 is exactly x (numerics §4).
                    return VectorLinearMerge.whole(in.kernels(), xs, null, in.elements(), LinearOp.products(new double[] {1.0}));
                }
                double[] gram = PairSums.compute(in, xs, in.base(), Vectors.whole(in.elements()), PairSums.gramPairs(xs.length))[0];
                double[] c = coefficients(w, eps, gram);
                if (c == null) {
                    throw new UncheckedIOException(new ConfigException("", "tensor '" + in.name() + "': multislerp of "
                            + xs.length + " models: the weighted unit " + (in.base() != null ? "task vectors" : "tensors")
                            + " cancel (their mean is shorter than eps), so the direction is undefined; change the weights"));
                }
                return VectorLinearMerge.whole(in.kernels(), xs, in.base(), in.elements(),
                        new LinearOp(c, in.base() != null, false, 1.0, 1.0));
            }
        };
    }

    /**
     * The coefficient of each input (of each task vector when there is a base) from the weights
     * (already normalised if asked) and the Gram sums in {@link PairSums#gramPairs} order; null when
     * the weighted unit vectors cancel with more than two inputs, where mergekit raises an error.
     * A zero vector's unit vector is zero (mergekit: {@code 0 / (0 + eps)}), whatever eps.
     */
    static double[] coefficients(double[] w, double eps, double[] gram) {
        int m = w.length;
        double[] norm = new double[m];
        double[] unit = new double[m]; // w_i / (n_i + eps): the weight of τ_i in m = Σ w_i u_i
        boolean allZero = true;
        double avgNorm = 0.0;
        for (int i = 0; i < m; i++) {
            norm[i] = StrictMath.sqrt(gram[PairSums.gramIndex(m, i, i)]);
            unit[i] = norm[i] == 0.0 ? 0.0 : w[i] / (norm[i] + eps);
            allZero &= norm[i] == 0.0;
            avgNorm += norm[i] * w[i];
        }
        double square = 0.0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                square += unit[i] * unit[j] * gram[PairSums.gramIndex(m, i, j)];
            }
        }
        // The quadratic form is ≥ 0; rounding may leave a tiny negative.
        double meanNorm = StrictMath.sqrt(Math.max(square, 0.0));
        double[] c = new double[m];
        if (allZero) {
            return c; // every vector is zero: so is any combination (mergekit: linear for two, an error for more)
        }
        if (meanNorm < eps || meanNorm == 0.0) {
            // mergekit's fallback for two models is linear interpolation; with more it raises an error.
            return m == 2 ? w.clone() : null;
        }
        double scale = StrictMath.cos(eps) * avgNorm / meanNorm;
        for (int i = 0; i < m; i++) {
            c[i] = scale * unit[i];
        }
        return c;
    }
}
