package org.exmerge.method.sparse;

import java.util.Arrays;
import java.util.List;
import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.SparseOp;
import org.exmerge.method.CheckedMerge;
import org.exmerge.method.KeySelect;
import org.exmerge.method.MergeMethod;
import org.exmerge.method.Param;
import org.exmerge.method.Param.Scope;
import org.exmerge.method.Parallel;
import org.exmerge.method.ParameterException;
import org.exmerge.method.Signature;
import org.exmerge.method.TensorInputs;
import org.exmerge.method.TensorMerge;
import org.exmerge.method.TensorParams;
import org.exmerge.method.TensorPlan;
import org.exmerge.numeric.MagnitudeSelect;

/**
 * mergekit's {@code ramplus_tl} (Reinforced Agent Merging Plus, tensor-local), methods-sparsify.md
 * "ramplus_tl": {@link Ram}'s keep ({@code |τ_i| > epsilon}) and average of shared values, with a value
 * only model i keeps multiplied by {@code λ_i = 1 + r·clamp(ρ_i, 0, alpha)}, where
 * {@code ρ_i = shared_i / max(lone_i, epsilon)} counts model i's kept elements over the whole tensor
 * that another model also keeps (shared) or that it alone keeps (lone).
 *
 * <p>Two passes through the backend: {@link Kernels#keptCounts} over the tensor (integer counts, so the
 * pieces add up to the same totals on any number of threads), then {@link Kernels#sparseMerge} with
 * {@link SparseOp#ELECT_LONE}, unit-weighted values, λ as the weights (applied to lone values only)
 * and {@code normalize}, so shared values are summed and divided once by their count.
 */
public final class RamPlus implements MergeMethod {
    static final Param R = Param.number("r", Scope.GLOBAL, 0.1,
            "how much a value only one model keeps is reinforced: λ_i = 1 + r·clamp(ρ_i, 0, alpha)").atLeast(0);
    static final Param ALPHA = Param.number("alpha", Scope.GLOBAL, 0.2,
            "the cap on ρ_i, model i's shared over its lone kept elements in the tensor").atLeast(0);
    static final Param EPSILON = Param.number("epsilon", Scope.GLOBAL, 1e-5,
            "a task-vector element counts when |τ| > epsilon (compared in float32); also the floor of lone_i in ρ_i")
            .atLeast(0);

    public static final RamPlus INSTANCE = new RamPlus();

    private static final Signature SIGNATURE = new Signature(true, 1, Signature.ANY, List.of(R, ALPHA, EPSILON));
    /** Elements a count call takes before a piece releases their pages (when the tensor is large). */
    private static final long STEP = 1 << 24;

    private RamPlus() {}

    @Override
    public String name() {
        return "ramplus_tl";
    }

    @Override
    public Signature signature() {
        return SIGNATURE;
    }

    @Override
    public TensorPlan plan(TensorParams p, int models) {
        return new Plan(finite(p, R), finite(p, ALPHA), finite(p, EPSILON));
    }

    /** The range checks let NaN through (NaN < 0 is false); a NaN or infinite value is an error naming it. */
    private static double finite(TensorParams p, Param param) {
        double v = p.number(param);
        if (!Double.isFinite(v)) {
            throw new ParameterException(p.path(param.name(), -1) + ": must be a finite number ≥ 0, got " + v);
        }
        return v;
    }

    /**
     * Model i's {@code λ_i} from its whole-tensor counts, in float64 rounded once to float32:
     * {@code ρ = shared / max(lone, epsilon)} (0 when {@code shared = 0}, so ε = 0 with no kept element
     * gives no NaN), {@code λ = 1 + r·min(max(ρ, 0), alpha)}. A lone count of 0 with ε &gt; 0 gives
     * mergekit's {@code shared / ε}, capped by alpha; λ_i then never applies (model i has no lone value).
     */
    public static float lambda(long shared, long lone, double r, double alpha, double epsilon) {
        double rho = shared == 0 ? 0.0 : (double) shared / Math.max((double) lone, epsilon);
        return (float) (1.0 + r * Math.min(Math.max(rho, 0.0), alpha));
    }

    /**
     * One tensor's plan. The keep is {@link Ram}'s: {@code |τ| > (float) ε} as {@code key(τ) > key(ε)}
     * on magnitude keys, NaN dropped, ±inf kept.
     */
    record Plan(double r, double alpha, double epsilon) implements TensorPlan {
        @Override
        public String describe() {
            return "ramplus_tl r=" + r + " alpha=" + alpha + " epsilon=" + (float) epsilon;
        }

        @Override
        public TensorMerge bind(TensorInputs in) {
            SparsePlan.checkTypes(in, "ramplus_tl");
            int m = in.models().length;
            long[] from = new long[m];
            Arrays.fill(from, MagnitudeSelect.key((float) epsilon) + 1L);
            long[] below = new long[m];
            Arrays.fill(below, MagnitudeSelect.NAN_KEY);
            float[] ones = new float[m];
            Arrays.fill(ones, 1f);
            long[] counts = counts(in, SparseOp.plain(ones, SparseOp.ELECT_LONE, true, 1f, 1f, in.seed(), in.tensorId())
                    .withBand(from, below));
            float[] lambda = new float[m];
            for (int i = 0; i < m; i++) {
                lambda[i] = lambda(counts[2 * i], counts[2 * i + 1], r, alpha, epsilon);
            }
            SparseOp op = SparseOp.plain(lambda, SparseOp.ELECT_LONE, true, 1f, 1f, in.seed(), in.tensorId())
                    .withBand(from, below);
            Operand[] xs = in.models();
            Operand base = in.base();
            Kernels k = in.kernels();
            return (CheckedMerge) (start, n, out) -> k.sparseMerge(op, xs, base, out, start, n);
        }
    }

    /**
     * Every model's shared and lone counts over the whole tensor ({@link Kernels#keptCounts}): pieces on
     * the run's threads, each into its own slots, added after. A large tensor's pages are released as
     * they are counted, as the threshold passes do ({@link KeySelect#releasing}).
     */
    static long[] counts(TensorInputs in, SparseOp op) {
        int m = in.models().length;
        long n = in.elements();
        Operand[] read = Arrays.copyOf(in.models(), m + 1);
        read[m] = in.base();
        boolean release = KeySelect.releases(n, read);
        int pieces = Parallel.pieces(n, 1 << 20);
        long[][] parts = new long[pieces][2 * m];
        in.parallel().run(pieces, p -> {
            long lo = n * p / pieces;
            long hi = n * (p + 1) / pieces;
            for (long s = lo; s < hi; s += STEP) {
                long len = Math.min(STEP, hi - s);
                in.kernels().keptCounts(op, in.models(), in.base(), s, len, parts[p]);
                if (release) {
                    for (Operand o : read) {
                        o.release(s, len);
                    }
                }
            }
        });
        long[] total = new long[2 * m];
        for (long[] part : parts) {
            for (int k = 0; k < total.length; k++) {
                total[k] += part[k];
            }
        }
        return total;
    }
}
