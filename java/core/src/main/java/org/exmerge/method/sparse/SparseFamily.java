package org.exmerge.method.sparse;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.exmerge.kernel.SparseOp;
import org.exmerge.method.MergeMethod;
import org.exmerge.method.ModelScopeTrim;
import org.exmerge.method.ParameterException;
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
    public static final SparseFamily TIES = new SparseFamily("ties", Sparsifier.MAGNITUDE, true, true, false);
    public static final SparseFamily DARE_TIES = new SparseFamily("dare_ties", Sparsifier.RANDOM, true, false, true);
    public static final SparseFamily DARE_LINEAR = new SparseFamily("dare_linear", Sparsifier.RANDOM, false, false, true);
    public static final SparseFamily BREADCRUMBS = new SparseFamily("breadcrumbs", Sparsifier.OUTLIERS, false, false, false);
    public static final SparseFamily BREADCRUMBS_TIES = new SparseFamily("breadcrumbs_ties", Sparsifier.OUTLIERS, true, false, false);
    public static final SparseFamily DELLA = new SparseFamily("della", Sparsifier.RANKED, true, true, true);
    public static final SparseFamily DELLA_LINEAR = new SparseFamily("della_linear", Sparsifier.RANKED, false, false, true);

    /** mergekit's defaults for breadcrumbs' outlier fraction and DELLA's probability spread. */
    static final double DEFAULT_GAMMA = 0.01;
    static final double DEFAULT_EPSILON = 0.15;

    private final String name;
    private final Sparsifier sparsifier;
    private final boolean elects;
    private final boolean normalizeByDefault;
    private final boolean rescaleByDefault;
    private final Signature signature;

    private SparseFamily(String name, Sparsifier sparsifier, boolean elects, boolean normalizeByDefault,
                         boolean rescaleByDefault) {
        this.name = name;
        this.sparsifier = sparsifier;
        this.elects = elects;
        this.normalizeByDefault = normalizeByDefault;
        this.rescaleByDefault = rescaleByDefault;
        Set<String> global = new TreeSet<>(Set.of("normalize", "lambda", "rescale", "rescale_norm", "int8_mask"));
        if (elects) {
            global.add("consensus");
        }
        if (sparsifier == Sparsifier.MAGNITUDE) {
            global.add("scope");
        }
        Set<String> model = new TreeSet<>(Set.of("weight", "density"));
        if (sparsifier == Sparsifier.OUTLIERS) {
            model.add("gamma");
        }
        if (sparsifier == Sparsifier.RANKED) {
            model.add("epsilon");
        }
        this.signature = new Signature(true, 1, Signature.ANY, Set.copyOf(global), Set.copyOf(model));
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
            return ModelScopeTrim.of(plan.describe(), s.density(), plan::withModelKeys);
        }
        return plan;
    }

    SparseSettings settings(TensorParams p, int models) {
        double[] w = new double[models];
        double[] density = new double[models];
        double[] gamma = new double[models];
        double[] epsilon = new double[models];
        for (int i = 0; i < models; i++) {
            w[i] = p.number("weight", i, 1.0);
            density[i] = p.number("density", i, 1.0);
            if (density[i] < 0) {
                throw new ParameterException(p.path("density", i) + ": must be ≥ 0, got " + density[i]);
            }
            if (sparsifier == Sparsifier.OUTLIERS) {
                gamma[i] = p.number("gamma", i, DEFAULT_GAMMA);
                if (gamma[i] < 0 || gamma[i] > 1) {
                    throw new ParameterException(p.path("gamma", i) + ": must be in [0, 1], got " + gamma[i]);
                }
            }
            if (sparsifier == Sparsifier.RANKED) {
                epsilon[i] = p.number("epsilon", i, DEFAULT_EPSILON);
                checkDella(p, i, density[i], epsilon[i]);
            }
        }
        p.bool("int8_mask", false); // accepted for mergekit configs; the mask's type never changes a value
        int election = SparseOp.ELECT_NONE;
        if (elects) {
            String c = p.string("consensus", "sum");
            election = switch (c) {
                case "sum" -> SparseOp.ELECT_SUM;
                case "count" -> SparseOp.ELECT_COUNT;
                default -> throw new ParameterException(p.path("consensus", -1) + ": must be sum or count, got '" + c + "'");
            };
        }
        boolean rescale = p.bool("rescale", rescaleByDefault);
        int norm = 0;
        if (p.has("rescale_norm", -1)) {
            String r = p.string("rescale_norm", "");
            norm = switch (r) {
                case "l1" -> SparseOp.NORM_L1;
                case "l2" -> SparseOp.NORM_L2;
                case "linf" -> SparseOp.NORM_LINF;
                default -> throw new ParameterException(p.path("rescale_norm", -1) + ": must be l1, l2 or linf, got '" + r + "'");
            };
            if (p.has("rescale", -1) && !rescale) {
                throw new ParameterException(p.path("rescale_norm", -1) + ": contradicts rescale: false (rescale_norm chooses how to rescale)");
            }
        }
        boolean modelScope = false;
        if (sparsifier == Sparsifier.MAGNITUDE) {
            String scope = p.string("scope", "tensor");
            modelScope = switch (scope) {
                case "tensor" -> false;
                case "model" -> true;
                default -> throw new ParameterException(p.path("scope", -1) + ": must be tensor or model, got '" + scope + "'");
            };
        }
        return new SparseSettings(name, sparsifier, w, density, gamma, epsilon, election,
                p.bool("normalize", normalizeByDefault), p.number("lambda", 1.0), rescale, norm, modelScope);
    }

    /** numerics §3: DELLA's probabilities must stay inside (0, 1); density ≥ 1 keeps all and needs no check. */
    private static void checkDella(TensorParams p, int i, double density, double epsilon) {
        if (epsilon < 0) {
            throw new ParameterException(p.path("epsilon", i) + ": must be ≥ 0, got " + epsilon);
        }
        if (density < 1 && !(density - epsilon > 0 && density + epsilon < 1)) {
            throw new ParameterException(p.path("epsilon", i) + ": density ± epsilon must lie inside (0, 1); density "
                    + density + ", epsilon " + epsilon + (p.has("epsilon", i) ? "" : " (the default)"));
        }
    }
}
