package org.exmerge.method.m3;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.exmerge.method.MergeMethod;
import org.exmerge.method.Param;
import org.exmerge.method.Param.Scope;
import org.exmerge.method.ParameterException;
import org.exmerge.method.PassPlan;
import org.exmerge.method.RunMetadata;
import org.exmerge.method.Signature;
import org.exmerge.method.TensorInputs;
import org.exmerge.method.TensorMerge;
import org.exmerge.method.TensorParams;
import org.exmerge.method.TensorPlan;
import org.exmerge.method.linear.LinearFamily;
import org.exmerge.method.sparse.SparseFamily;

/**
 * Mixup Model Merge (seed 002, numerics §6): two models merged by a base method with weights
 * {@code (λ, 1 − λ)}, {@code λ ~ Beta(alpha, alpha)} drawn from the run's seed by {@link M3Lambda}.
 * {@code lambda_override} fixes λ instead (to rebuild a candidate from its recorded
 * {@code exmerge.m3.lambda}). Everything else is the base method's, with its parameters.
 */
public final class M3 implements MergeMethod {
    /** The base methods M3 accepts, by config name; the paper combines M3 with these. */
    static final Map<String, MergeMethod> BASES = bases();
    static final Param BASE_METHOD = Param.choice("base_method", "task_arithmetic",
            List.of("task_arithmetic", "linear", "ties", "dare_ties", "dare_linear"), "the method that merges the two models");
    static final Param ALPHA = Param.number("alpha", Scope.GLOBAL, M3Lambda.DEFAULT_ALPHA, "shape a of λ ~ Beta(a, a)")
            .range(M3Lambda.MIN_ALPHA, M3Lambda.MAX_ALPHA);
    static final Param LAMBDA_OVERRIDE = Param.optional("lambda_override", Scope.GLOBAL,
            "fixes λ instead of drawing it (rebuilds a candidate from its recorded exmerge.m3.lambda)").range(0, 1);
    private static final Set<String> OWN = Set.of(BASE_METHOD.name(), ALPHA.name(), LAMBDA_OVERRIDE.name());

    // Declared after BASES: static fields initialise in order and the constructor reads BASES.
    public static final M3 INSTANCE = new M3();

    private final Signature signature;

    private M3() {
        Map<String, Param> all = new LinkedHashMap<>();
        for (Param own : List.of(BASE_METHOD, ALPHA, LAMBDA_OVERRIDE)) {
            all.put(own.name(), own);
        }
        for (String b : BASE_METHOD.choices()) {
            for (Param p : BASES.get(b).params()) {
                all.putIfAbsent(p.name(), inherited(p));
            }
        }
        signature = new Signature(true, 2, 2, List.copyOf(all.values()));
    }

    /**
     * A base method's parameter as M3 lists it: accepted where that base method takes it, with the
     * base method's default (which differs between them, e.g. normalize); M3 never reads it itself.
     */
    private static Param inherited(Param p) {
        String why = p.name().equals("weight") ? "m3 sets the weights to (λ, 1 − λ); an error if given"
                : "as in base_method: " + p.description();
        return new Param(p.name(), p.type(), p.scope(), "base_method's", false, p.min(), p.minOpen(), p.max(), p.maxOpen(),
                p.choices(), why);
    }

    private static Map<String, MergeMethod> bases() {
        Map<String, MergeMethod> m = new LinkedHashMap<>();
        for (MergeMethod b : List.of(LinearFamily.LINEAR, LinearFamily.TASK_ARITHMETIC, SparseFamily.TIES,
                SparseFamily.DARE_TIES, SparseFamily.DARE_LINEAR)) {
            m.put(b.name(), b);
        }
        return Map.copyOf(m);
    }

    @Override
    public String name() {
        return "m3";
    }

    @Override
    public Signature signature() {
        return signature;
    }

    @Override
    public TensorPlan plan(TensorParams p, int models) {
        MergeMethod base = BASES.get(p.string(BASE_METHOD));
        double alpha = p.number(ALPHA);
        Double override = null;
        if (p.has(LAMBDA_OVERRIDE.name(), -1)) {
            override = p.number(LAMBDA_OVERRIDE);
        }
        checkBaseParams(p, base, models);
        // Plan once with placeholder weights so every config error of the base method surfaces now,
        // before any output; the real weights depend on the seed, which only binding sees.
        TensorPlan probe = base.plan(new WeightOverride(p, new double[] {0.5, 0.5}), models);
        M3Plan plan = new M3Plan(base, p, alpha, override, null);
        if (probe instanceof PassPlan<?> needsPass) {
            // The base plan's pass (TIES scope: model) does not depend on the weights: λ changes none of it.
            return waitsFor(needsPass, plan);
        }
        return plan;
    }

    private static <R> PassPlan<R> waitsFor(PassPlan<R> probe, M3Plan plan) {
        return PassPlan.of(plan.describe(), probe.pass(), plan::withPassResult);
    }

    /** Parameters M3 accepts for some base method but not for the one chosen, and weights (M3 sets them), are errors. */
    private static void checkBaseParams(TensorParams p, MergeMethod base, int models) {
        for (int i = 0; i < models; i++) {
            if (p.has("weight", i)) {
                throw new ParameterException(p.path("weight", i) + ": m3 sets the weights to (λ, 1 − λ); "
                        + "fix λ with lambda_override instead");
            }
        }
        Signature own = base.signature();
        Set<String> all = new TreeSet<>(INSTANCE.signature.globalParams());
        all.addAll(INSTANCE.signature.modelParams());
        for (String key : all) {
            if (OWN.contains(key) || own.globalParams().contains(key) || own.modelParams().contains(key)) {
                continue;
            }
            for (int i = -1; i < models; i++) {
                if (i < 0 ? p.has(key, -1) : p.hasOwn(key, i)) {
                    throw new ParameterException(p.path(key, i) + ": not a parameter of m3 with base_method "
                            + base.name());
                }
            }
        }
    }

    /**
     * One tensor of an M3 merge: the base method's plan, made at bind time once λ is known.
     *
     * @param passResult what the base plan's model pass found, when it needs one; else null
     */
    record M3Plan(MergeMethod base, TensorParams params, double alpha, Double override, Object passResult)
            implements TensorPlan, RunMetadata {

        M3Plan withPassResult(Object result) {
            return new M3Plan(base, params, alpha, override, result);
        }

        double lambda(long seed) {
            return override != null ? override : M3Lambda.draw(seed, alpha);
        }

        @Override
        public String describe() {
            return "m3 base=" + base.name() + (override != null ? " λ=" + override
                    : " λ~Beta(" + alpha + ", " + alpha + ") from the seed") + ", weights (λ, 1−λ)";
        }

        @Override
        public TensorMerge bind(TensorInputs in) {
            double lambda = lambda(in.seed());
            TensorPlan inner = base.plan(new WeightOverride(params, new double[] {lambda, 1.0 - lambda}), 2);
            if (passResult != null) {
                inner = resolved((PassPlan<?>) inner, passResult);
            }
            return inner.bind(in);
        }

        /** The base plan given its pass's result: this plan was made with the same pass, so the types agree. */
        @SuppressWarnings("unchecked")
        private static <R> TensorPlan resolved(PassPlan<R> inner, Object result) {
            return inner.resolve((R) result);
        }

        @Override
        public Map<String, String> metadata(long seed) {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("exmerge.m3.lambda", Double.toString(lambda(seed)));
            m.put("exmerge.m3.base_method", base.name());
            m.put("exmerge.m3.alpha", override != null ? "override" : Double.toString(alpha));
            return m;
        }
    }
}
