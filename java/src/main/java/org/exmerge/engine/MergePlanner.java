package org.exmerge.engine;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.exmerge.Version;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.DType;
import org.exmerge.format.TensorInfo;
import org.exmerge.method.MergeMethod;
import org.exmerge.method.Methods;
import org.exmerge.method.ParameterException;
import org.exmerge.method.Passthrough;
import org.exmerge.method.Signature;
import org.exmerge.method.TensorPlan;
import org.exmerge.recipe.ConfigException;
import org.exmerge.recipe.LayerNames;
import org.exmerge.recipe.ModelRef;
import org.exmerge.recipe.ParamResolver;
import org.exmerge.recipe.Params;
import org.exmerge.recipe.Recipe;

/**
 * Turns a recipe and its opened models into a {@link MergePlan}: checks the method's signature and
 * parameter names, that every model has every tensor with the same shape, and plans each tensor.
 * Any problem surfaces here, before output is written.
 */
public final class MergePlanner {
    private MergePlanner() {}

    /**
     * @param outType the output type for every float tensor, overriding the recipe (null: recipe, then base)
     * @param recipeText the recipe as the user wrote it, recorded in the output metadata
     */
    public static MergePlan plan(Recipe recipe, String recipeText, ModelSet models, DType outType, Long seedOverride)
            throws ConfigException, PlanException, IOException {
        MergeMethod method = Methods.byName(recipe.mergeMethod());
        if (method == null) {
            throw new ConfigException("merge_method", "unknown method '" + recipe.mergeMethod()
                    + "' (known: " + String.join(", ", Methods.names()) + ")");
        }
        if (!recipe.slices().isEmpty()) {
            throw new ConfigException("slices", "slices are planned by the methods issue and not supported yet; use models:");
        }
        Signature sig = method.signature();
        String baseName = recipe.baseModel();
        if (sig.needsBase() && baseName == null) {
            throw new ConfigException("base_model", method.name() + " needs a base_model");
        }
        // mergekit drops the base from the models of methods that work on task vectors.
        List<ModelRef> refs = new ArrayList<>();
        for (ModelRef m : recipe.models()) {
            if (!(sig.needsBase() && m.model().equals(baseName))) {
                refs.add(m);
            }
        }
        if (refs.size() < sig.minModels() || refs.size() > sig.maxModels()) {
            String range = sig.maxModels() == Signature.ANY ? "at least " + sig.minModels()
                    : sig.minModels() == sig.maxModels() ? "exactly " + sig.minModels() : sig.minModels() + ".." + sig.maxModels();
            throw new ConfigException("models", method.name() + " takes " + range + " model(s) besides the base, "
                    + refs.size() + " given");
        }
        checkNames(recipe.parameters(), union(sig.globalParams(), sig.modelParams()), method.name());
        Params[][] perModel = new Params[refs.size()][];
        for (int i = 0; i < refs.size(); i++) {
            checkNames(refs.get(i).parameters(), sig.modelParams(), method.name());
            perModel[i] = new Params[] {refs.get(i).parameters()};
        }
        Params[] global = {recipe.parameters()};

        Checkpoint base = baseName == null ? null : models.get(baseName);
        Checkpoint[] inputs = new Checkpoint[refs.size()];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = models.get(refs.get(i).model());
        }
        Checkpoint reference = base != null ? base : inputs[0];
        String referenceName = base != null ? baseName : refs.get(0).model();
        checkNoExtraTensors(reference, referenceName, refs, inputs);

        DType floatOut = outType != null ? outType : recipe.outDtype() != null ? recipe.outDtype() : recipe.dtype();
        int layers = layerCount(reference);
        long seed = seedOverride != null ? seedOverride : recipe.seed() != null ? recipe.seed() : 0L;
        List<PlannedTensor> planned = new ArrayList<>();
        for (TensorInfo ref : reference.tensors()) {
            String name = ref.name();
            TensorSource[] srcs = new TensorSource[inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                srcs[i] = source(refs.get(i).model(), inputs[i], name, ref);
            }
            TensorSource baseSrc = base == null ? null : new TensorSource(baseName, base, ref);
            if (!ref.dtype().isFloat()) {
                TensorSource from = new TensorSource(referenceName, reference, ref);
                planned.add(new PlannedTensor(name, ref.dtype(), ref.shape(), null, new TensorSource[] {from},
                        Passthrough.copy()));
                continue;
            }
            DType type = floatOut != null ? floatOut : ref.dtype();
            checkWidth(type, baseSrc, srcs);
            int layer = LayerNames.layerIndex(name);
            double t = layer < 0 ? 0.0 : ParamResolver.layerT(layer, layers);
            TensorPlan tp;
            try {
                tp = method.plan(new ResolvedParams(method.name(), name, t, global, perModel), inputs.length);
            } catch (ParameterException e) {
                throw new ConfigException("", e.getMessage() + " (tensor " + name + ")");
            }
            planned.add(new PlannedTensor(name, type, ref.shape(), sig.needsBase() ? baseSrc : null, srcs, tp));
        }

        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("exmerge.version", Version.VERSION);
        meta.put("exmerge.method", method.name());
        meta.put("exmerge.seed", Long.toString(seed));
        meta.put("exmerge.recipe", recipeText);
        Checkpoint aux = auxSource(recipe, models, reference);
        return new MergePlan(method.name(), planned, meta, aux == null ? null : aux.directory(), -1, seed);
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> s = new TreeSet<>(a);
        s.addAll(b);
        return s;
    }

    private static void checkNames(Params p, Set<String> allowed, String method) throws ConfigException {
        for (String key : p.keys()) {
            if (!allowed.contains(key)) {
                throw new ConfigException(p.path() + "." + key, "unknown parameter for " + method
                        + (allowed.isEmpty() ? " (it takes none here)" : " (known here: " + String.join(", ", new TreeSet<>(allowed)) + ")"));
            }
        }
    }

    private static TensorSource source(String model, Checkpoint c, String name, TensorInfo ref) throws PlanException {
        TensorInfo info = c.tensor(name);
        if (info == null) {
            throw new PlanException(c.path() + ": tensor '" + name + "' is missing (model '" + model + "')");
        }
        if (!java.util.Arrays.equals(info.shape(), ref.shape())) {
            throw new PlanException(c.fileOf(name) + ": tensor '" + name + "' has shape "
                    + java.util.Arrays.toString(info.shape()) + ", the reference model has " + java.util.Arrays.toString(ref.shape()));
        }
        if (info.dtype().isFloat() != ref.dtype().isFloat() || (!info.dtype().isFloat() && info.dtype() != ref.dtype())) {
            throw new PlanException(c.fileOf(name) + ": tensor '" + name + "' is " + info.dtype()
                    + ", the reference model has " + ref.dtype());
        }
        return new TensorSource(model, c, info);
    }

    private static void checkNoExtraTensors(Checkpoint reference, String refName, List<ModelRef> refs, Checkpoint[] inputs)
            throws PlanException {
        for (int i = 0; i < inputs.length; i++) {
            for (TensorInfo t : inputs[i].tensors()) {
                if (reference.tensor(t.name()) == null) {
                    throw new PlanException(inputs[i].fileOf(t.name()) + ": tensor '" + t.name() + "' of model '"
                            + refs.get(i).model() + "' is not in '" + refName + "'");
                }
            }
        }
    }

    /** F64 data narrows only to F64 or F32 (see the kernels: no double rounding). */
    private static void checkWidth(DType out, TensorSource base, TensorSource[] srcs) throws PlanException {
        if (out == DType.F64 || out == DType.F32) {
            return;
        }
        List<TensorSource> all = new ArrayList<>(List.of(srcs));
        if (base != null) {
            all.add(base);
        }
        for (TensorSource s : all) {
            if (s.info().dtype() == DType.F64) {
                throw new PlanException(s.checkpoint().fileOf(s.info().name()) + ": tensor '" + s.info().name()
                        + "' is F64; write it as float64 or float32 (out_dtype), not " + out);
            }
        }
    }

    /** Layers of a model: one more than the highest layer index in its tensor names (0 when none). */
    static int layerCount(Checkpoint c) {
        int max = -1;
        for (TensorInfo t : c.tensors()) {
            max = Math.max(max, LayerNames.layerIndex(t.name()));
        }
        return max + 1;
    }

    private static Checkpoint auxSource(Recipe recipe, ModelSet models, Checkpoint reference)
            throws ConfigException, IOException, PlanException {
        String src = recipe.tokenizerSource();
        if (src == null || src.equals("base")) {
            return reference;
        }
        if (src.equals("union")) {
            throw new ConfigException("tokenizer_source", "'union' (merging vocabularies) is not supported; name a model or 'base'");
        }
        return models.get(src);
    }
}
