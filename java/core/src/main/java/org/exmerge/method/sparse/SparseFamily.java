package org.exmerge.method.sparse;

import java.util.List;
import java.util.ArrayList;
import org.exmerge.kernel.SparseOp;
import org.exmerge.method.MergeMethod;
import org.exmerge.method.Param;
import org.exmerge.method.Param.Scope;
import org.exmerge.method.ParameterException;
import org.exmerge.method.PassPlan;
import org.exmerge.method.Signature;
import org.exmerge.method.sparse.SparseSettings.Sparsifier;
import org.exmerge.method.TensorParams;
import org.exmerge.method.TensorPlan;

/**
 * numerics §3: ties, dare_ties, dare_linear, breadcrumbs, breadcrumbs_ties, della, della_linear. They
 * differ only in how each task vector is thinned, whether signs are elected, and their defaults
 * (mergekit's: normalize, rescale); all run through the one fused kernel (see {@link SparsePlan}).
 */
public final class SparseFamily implements MergeMethod {
    // Declared before the methods: static fields initialise in order and the constructor reads these.
    static final Param WEIGHT = Param.number("weight", Scope.MODEL, 1.0, "the model's weight w_i");
    static final Param DENSITY = Param.number("density", Scope.MODEL, 1.0, "fraction of each task vector kept (≥ 1 keeps all)")
            .atLeast(0);
    /** mergekit's defaults for breadcrumbs' outlier fraction and DELLA's probability spread. */
    static final Param GAMMA = Param.number("gamma", Scope.MODEL, 0.01, "fraction of the largest magnitudes dropped as outliers")
            .range(0, 1);
    static final Param EPSILON = Param.number("epsilon", Scope.MODEL, 0.15, "keep probabilities spread over density ± epsilon")
            .atLeast(0);
    static final Param CONSENSUS = Param.choice("consensus", "sum", List.of("sum", "count"), "sign election by summed mass or by count");
    static final Param NORMALIZE = Param.bool("normalize", false, "divide by the weights of the kept, agreeing entries");
    static final Param LAMBDA = Param.number("lambda", Scope.GLOBAL, 1.0, "scale λ of the merged task vector");
    static final Param RESCALE = Param.bool("rescale", false, "divide survivors by their keep probability");
    static final Param RESCALE_NORM = Param.choice("rescale_norm", null, List.of("l1", "l2", "linf"),
            "rescale so each task vector keeps this norm; absent: by the keep probability");
    static final Param SCOPE = Param.choice("scope", "tensor", List.of("tensor", "model"),
            "magnitude threshold per tensor, or over the whole model (the TIES paper's global trim)");

    public static final SparseFamily TIES = new SparseFamily("ties", Sparsifier.MAGNITUDE, true, true, false);
    public static final SparseFamily DARE_TIES = new SparseFamily("dare_ties", Sparsifier.RANDOM, true, false, true);
    public static final SparseFamily DARE_LINEAR = new SparseFamily("dare_linear", Sparsifier.RANDOM, false, false, true);
    public static final SparseFamily BREADCRUMBS = new SparseFamily("breadcrumbs", Sparsifier.OUTLIERS, false, false, false);
    public static final SparseFamily BREADCRUMBS_TIES = new SparseFamily("breadcrumbs_ties", Sparsifier.OUTLIERS, true, false, false);
    public static final SparseFamily DELLA = new SparseFamily("della", Sparsifier.RANKED, true, true, true);
    public static final SparseFamily DELLA_LINEAR = new SparseFamily("della_linear", Sparsifier.RANKED, false, false, true);

    private final String name;
    private final Sparsifier sparsifier;
    private final boolean elects;
    private final Param normalize;
    private final Param rescale;
    private final Signature signature;

    private SparseFamily(String name, Sparsifier sparsifier, boolean elects, boolean normalizeByDefault,
                         boolean rescaleByDefault) {
        this.name = name;
        this.sparsifier = sparsifier;
        this.elects = elects;
        this.normalize = NORMALIZE.withDefault(normalizeByDefault);
        this.rescale = RESCALE.withDefault(rescaleByDefault);
        List<Param> params = new ArrayList<>(List.of(WEIGHT, DENSITY));
        if (sparsifier == Sparsifier.OUTLIERS) {
            params.add(GAMMA);
        }
        if (sparsifier == Sparsifier.RANKED) {
            params.add(EPSILON);
        }
        if (elects) {
            params.add(CONSENSUS);
        }
        params.addAll(List.of(normalize, LAMBDA, rescale, RESCALE_NORM));
        if (sparsifier == Sparsifier.MAGNITUDE) {
            params.add(SCOPE);
        }
        params.add(Param.INT8_MASK);
        this.signature = new Signature(true, 1, Signature.ANY, params);
    }

    public static List<SparseFamily> all() {
        return List.of(TIES, DARE_TIES, DARE_LINEAR, BREADCRUMBS, BREADCRUMBS_TIES, DELLA, DELLA_LINEAR);
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
    public TensorPlan plan(TensorParams p, int models) {
        SparseSettings s = settings(p, models);
        SparsePlan plan = new SparsePlan(s, null);
        if (s.modelScope()) {
            return PassPlan.of(plan.describe(), new ModelThresholds(s.density()), plan::withModelKeys);
        }
        return plan;
    }

    SparseSettings settings(TensorParams p, int models) {
        double[] w = new double[models];
        double[] density = new double[models];
        double[] gamma = new double[models];
        double[] epsilon = new double[models];
        for (int i = 0; i < models; i++) {
            w[i] = p.number(WEIGHT, i);
            density[i] = p.number(DENSITY, i);
            if (sparsifier == Sparsifier.OUTLIERS) {
                gamma[i] = p.number(GAMMA, i);
            }
            if (sparsifier == Sparsifier.RANKED) {
                epsilon[i] = p.number(EPSILON, i);
                checkDella(p, i, density[i], epsilon[i]);
            }
        }
        p.bool(Param.INT8_MASK); // accepted for mergekit configs; the mask's type never changes a value
        int election = SparseOp.ELECT_NONE;
        if (elects) {
            // string() has checked the value against the declared choices.
            election = switch (p.string(CONSENSUS)) {
                case "sum" -> SparseOp.ELECT_SUM;
                default -> SparseOp.ELECT_COUNT;
            };
        }
        boolean rescales = p.bool(rescale);
        int norm = 0;
        if (p.has(RESCALE_NORM.name(), -1)) {
            norm = switch (p.string(RESCALE_NORM)) {
                case "l1" -> SparseOp.NORM_L1;
                case "l2" -> SparseOp.NORM_L2;
                default -> SparseOp.NORM_LINF;
            };
            if (p.has(RESCALE.name(), -1) && !rescales) {
                throw new ParameterException(p.path("rescale_norm", -1) + ": contradicts rescale: false (rescale_norm chooses how to rescale)");
            }
        }
        boolean modelScope = false;
        if (sparsifier == Sparsifier.MAGNITUDE) {
            modelScope = p.string(SCOPE).equals("model");
        }
        return new SparseSettings(name, sparsifier, w, density, gamma, epsilon, election,
                p.bool(normalize), p.number(LAMBDA), rescales, norm, modelScope);
    }

    /** numerics §3: DELLA's probabilities must stay inside (0, 1); density ≥ 1 keeps all and needs no check. */
    private static void checkDella(TensorParams p, int i, double density, double epsilon) {
        if (density < 1 && !(density - epsilon > 0 && density + epsilon < 1)) {
            throw new ParameterException(p.path("epsilon", i) + ": density ± epsilon must lie inside (0, 1); density "
                    + density + ", epsilon " + epsilon + (p.has("epsilon", i) ? "" : " (the default)"));
        }
    }
}
