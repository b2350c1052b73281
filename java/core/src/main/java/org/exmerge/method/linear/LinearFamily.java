package org.exmerge.method.linear;

import java.util.List;
import java.util.function.BiFunction;
import org.exmerge.kernel.LinearOp;
import org.exmerge.method.MergeMethod;
import org.exmerge.method.Param;
import org.exmerge.method.Param.Scope;
import org.exmerge.method.ParameterException;
import org.exmerge.method.Signature;
import org.exmerge.method.TensorParams;
import org.exmerge.method.TensorPlan;

/**
 * numerics §2: linear (model soup), task_arithmetic, expo and exme. All four reduce to one
 * {@link LinearOp}, so they share the fused kernel; only the coefficients differ.
 */
public final class LinearFamily implements MergeMethod {
    static final Param WEIGHT = Param.number("weight", Scope.MODEL, 1.0, "the model's weight w_i");
    static final Param NORMALIZE = Param.bool("normalize", true, "divide by Σw (skipped when |Σw| < 1e-8)");
    static final Param LAMBDA = Param.number("lambda", Scope.GLOBAL, 1.0, "scale λ of the summed task vectors");
    static final Param ALPHA = Param.required("alpha", Scope.MODEL, "extrapolation α past the fine-tune (negative: toward the base)");
    static final Param BETA = Param.required("beta", Scope.MODEL,
            "mixing β: one global β splits two models (β, 1 − β), else each model's own, summing to 1");

    public static final LinearFamily LINEAR = new LinearFamily("linear",
            new Signature(false, 1, Signature.ANY, List.of(WEIGHT, NORMALIZE, Param.INT8_MASK)), (p, models) -> {
                double[] w = weights(p, models);
                return new LinearOp(w, false, dividesBy(p, NORMALIZE, w), sumF32(w), 1.0);
            });

    private static final Param TA_NORMALIZE = NORMALIZE.withDefault(false);

    public static final LinearFamily TASK_ARITHMETIC = new LinearFamily("task_arithmetic",
            new Signature(true, 1, Signature.ANY, List.of(WEIGHT, TA_NORMALIZE, LAMBDA, Param.INT8_MASK)), (p, models) -> {
                double[] w = weights(p, models);
                return new LinearOp(w, true, dividesBy(p, TA_NORMALIZE, w), sumF32(w), p.number(LAMBDA));
            });

    /** EXPO (seed 000 eq. 6): x + α(x − b), i.e. task arithmetic with one model and w = 1 + α. */
    public static final LinearFamily EXPO = new LinearFamily("expo",
            new Signature(true, 1, 1, List.of(ALPHA)), (p, models) -> {
                double alpha = p.number(ALPHA, 0);
                return new LinearOp(new double[] {1.0 + alpha}, true, false, 1.0, 1.0);
            });

    /** ExMe (seed 000 eq. 7–8): Σ β_i·EXPO(x_i, α_i), fused as task arithmetic with w_i = β_i(1 + α_i). */
    public static final LinearFamily EXME = new LinearFamily("exme",
            new Signature(true, 2, Signature.ANY, List.of(ALPHA, BETA)), (p, models) -> {
                double[] beta = betas(p, models);
                double[] w = new double[models];
                for (int i = 0; i < models; i++) {
                    w[i] = beta[i] * (1.0 + p.number(ALPHA, i));
                }
                return new LinearOp(w, true, false, 1.0, 1.0);
            });

    private final String name;
    private final Signature signature;
    private final BiFunction<TensorParams, Integer, LinearOp> coefficients;

    private LinearFamily(String name, Signature signature, BiFunction<TensorParams, Integer, LinearOp> coefficients) {
        this.name = name;
        this.signature = signature;
        this.coefficients = coefficients;
    }

    public static List<LinearFamily> all() {
        return List.of(LINEAR, TASK_ARITHMETIC, EXPO, EXME);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Signature signature() {
        return signature;
    }

    @Override
    public TensorPlan plan(TensorParams params, int models) {
        return new LinearPlan(coefficients.apply(params, models));
    }

    static double[] weights(TensorParams p, int models) {
        double[] w = new double[models];
        for (int i = 0; i < models; i++) {
            w[i] = p.number(WEIGHT, i);
        }
        return w;
    }

    /** Σw of the weights actually applied (float32), summed in float64 (numerics §2). */
    static double sumF32(double[] w) {
        double s = 0;
        for (double v : w) {
            s += (float) v;
        }
        return s;
    }

    private static boolean dividesBy(TensorParams p, Param normalize, double[] w) {
        return p.bool(normalize) && Math.abs(sumF32(w)) >= 1e-8;
    }

    /** β per model: a global beta splits two models (β, 1 − β); otherwise each model names its own. */
    private static double[] betas(TensorParams p, int models) {
        double[] beta = new double[models];
        boolean ownBeta = false;
        for (int i = 0; i < models; i++) {
            ownBeta |= p.hasOwn("beta", i);
        }
        if (!ownBeta) {
            if (models != 2) {
                throw new ParameterException(p.path("beta", -1) + ": a single beta splits exactly two models ("
                        + models + " given); give each model its own beta summing to 1");
            }
            double b = p.number(BETA);
            beta[0] = b;
            beta[1] = 1.0 - b;
            return beta;
        }
        double sum = 0;
        for (int i = 0; i < models; i++) {
            beta[i] = p.number(BETA, i);
            sum += beta[i];
        }
        if (Math.abs(sum - 1.0) > 1e-6) {
            throw new ParameterException(p.path("beta", 0) + ": the models' betas must sum to 1 (they sum to " + sum + ")");
        }
        return beta;
    }
}
