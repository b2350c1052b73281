package org.exmerge.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.exmerge.format.Version;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.DType;
import org.exmerge.format.TensorInfo;
import org.exmerge.method.MergeMethod;
import org.exmerge.method.Methods;
import org.exmerge.method.Param;
import org.exmerge.method.ParamTable;
import org.exmerge.method.ParameterException;
import org.exmerge.method.Signature;
import org.exmerge.method.TensorPlan;
import org.exmerge.method.linear.Passthrough;
import org.exmerge.recipe.ConfigException;
import org.exmerge.recipe.Params;
import org.exmerge.recipe.Recipe;

/**
 * Turns a recipe and its opened models into a {@link MergePlan}: checks the method's signature and
 * parameter names, lays out which inputs every output tensor comes from ({@link SliceLayout}: the
 * {@code models:} list, or {@code slices:} stacked and renumbered), checks that every input has its
 * tensor with the same shape, and plans each tensor. Any problem surfaces here, before output is written.
 */
public final class MergePlanner {
    /** Accepted for every method and ignored: in mergekit it only changes the memory TIES/DARE use, never a result. */
    static final Set<String> ALWAYS_ACCEPTED = Set.of(Param.INT8_MASK.name());

    private MergePlanner() {}

    /**
     * @param outType the output type for every float tensor, overriding the recipe (null: recipe, then base)
     * @param recipeText the recipe as the user wrote it, recorded in the output metadata
     */
    public static MergePlan plan(Recipe recipe, String recipeText, ModelSet models, DType outType, Long seedOverride)
            throws ConfigException, PlanException, IOException {
        MergeMethod method = check(recipe);
        Signature sig = method.signature();
        String baseName = recipe.baseModel();
        boolean usesBase = sig.needsBase() || (method.optionalBase() && baseName != null);
        SliceLayout layout = SliceLayout.of(recipe, method, usesBase, models);

        DType floatOut = outType != null ? outType : recipe.outDtype() != null ? recipe.outDtype() : recipe.dtype();
        long seed = seedOverride != null ? seedOverride : recipe.seed() != null ? recipe.seed() : 0L;
        VocabRemap vocab = VocabPlanner.plan(recipe, models, layout.auxReference().model());
        List<PlannedTensor> planned = new ArrayList<>();
        for (SliceLayout.Job job : layout.jobs()) {
            planned.add(planTensor(job, method, floatOut, vocab));
        }

        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("exmerge.version", Version.VERSION);
        meta.put("exmerge.method", method.name());
        meta.put("exmerge.seed", Long.toString(seed));
        meta.put("exmerge.recipe", recipeText);
        Path configFrom = layout.auxReference().checkpoint().directory();
        Path tokenizerFrom = configFrom;
        String src = recipe.tokenizerSource();
        // A union is the reference's tokenizer with the other models' tokens added to its copies.
        if (src != null && !src.equals("base") && !src.equals("union")) {
            tokenizerFrom = models.tokenizerOnly(src);
            if (tokenizerFrom == null) {
                configFrom = models.get(src).directory(); // a model: its config matches its tokenizer's ids
                tokenizerFrom = configFrom;
            }
        }
        AuxFiles.check(configFrom, tokenizerFrom);
        List<Path> dirs = new ArrayList<>();
        for (Path p : models.paths()) {
            dirs.add(Files.isDirectory(p) ? p : p.getParent());
        }
        String chatTemplate = ChatTemplate.resolve(recipe.chatTemplate(), dirs);
        if (chatTemplate != null || vocab != null && !vocab.plan().newTokens().isEmpty()) {
            ChatTemplate.check(tokenizerFrom); // the output's copy of it is edited
        }
        return new MergePlan(method.name(), planned, meta, configFrom, tokenizerFrom, layout.outputLayers(), seed,
                chatTemplate, vocab == null ? null : vocab.plan(), ignored(recipe, method));
    }

    /**
     * The checks of {@link #plan} that need no model: the method is known, has the base model it
     * needs, and takes the recipe's global parameter names. Returns the method.
     */
    public static MergeMethod check(Recipe recipe) throws ConfigException {
        MergeMethod method = Methods.byName(recipe.mergeMethod());
        if (method == null) {
            throw new ConfigException("merge_method", "unknown method '" + recipe.mergeMethod()
                    + "' (known: " + String.join(", ", Methods.names()) + ")");
        }
        if (method.signature().needsBase() && recipe.baseModel() == null) {
            throw new ConfigException("base_model", method.name() + " needs a base_model");
        }
        checkNames(recipe.parameters(), globalNames(method.signature()), method.name());
        return method;
    }

    private static PlannedTensor planTensor(SliceLayout.Job job, MergeMethod method, DType floatOut, VocabRemap vocab)
            throws ConfigException, PlanException {
        SliceLayout.Group g = job.group();
        SliceLayout.Source refSrc = g.reference();
        TensorInfo ref = refSrc.checkpoint().tensor(job.refName());
        String name = job.outName();
        if (!ref.dtype().isFloat()) {
            // Copied from the reference, so every other input must hold the very same kind of
            // tensor: an I16 against a BF16 of the same name is two different models, not a copy.
            for (SliceLayout.Source s : g.models()) {
                source(s, s.nameOf(job.refName(), job.layerInSlice()), ref, null);
            }
            if (g.base() != null) {
                source(g.base(), g.base().nameOf(job.refName(), job.layerInSlice()), ref, null);
            }
            TensorSource from = new TensorSource(refSrc.model(), refSrc.checkpoint(), ref);
            return new PlannedTensor(name, ref.dtype(), ref.shape(), null, new TensorSource[] {from}, Passthrough.copy());
        }
        // A token-indexed tensor takes the output vocabulary's rows; each model's are reordered into them first.
        VocabRemap remap = vocab != null && VocabTensors.isVocabTensor(job.refName()) && ref.rank() >= 1 ? vocab : null;
        long[] shape = ref.shape();
        if (remap != null) {
            shape[0] = remap.plan().rows();
        }
        int n = g.models().size();
        TensorSource[] srcs = new TensorSource[n];
        String[] inNames = new String[n];
        Params[][] perModel = new Params[n][];
        for (int i = 0; i < n; i++) {
            SliceLayout.Source s = g.models().get(i);
            inNames[i] = s.nameOf(job.refName(), job.layerInSlice());
            srcs[i] = source(s, inNames[i], ref, remap);
            perModel[i] = new Params[] {s.params()};
        }
        TensorSource baseSrc = g.base() == null ? null : source(g.base(), g.base().nameOf(job.refName(), job.layerInSlice()), ref, remap);
        DType type = floatOut != null ? floatOut : ref.dtype();
        checkWidth(type, baseSrc, srcs);
        TensorPlan tp;
        try {
            ResolvedParams params = new ResolvedParams(method.name(), name, inNames, job.t(), g.global(), perModel);
            params.bool(Param.INT8_MASK);
            tp = method.plan(params, n);
        } catch (ParameterException e) {
            throw new ConfigException("", e.getMessage() + " (tensor " + name + ")");
        }
        return new PlannedTensor(name, type, shape, baseSrc, srcs, tp);
    }

    /** The names allowed at the top level and in a slice: the method's global and per-model names (numerics §9 lookup). */
    static Set<String> globalNames(Signature sig) {
        Set<String> s = new TreeSet<>(sig.globalParams());
        s.addAll(sig.modelParams());
        s.addAll(ALWAYS_ACCEPTED);
        return s;
    }

    /**
     * Refuses a parameter name that no method takes (a typo: mergekit would ignore it silently, and a
     * misspelt weight would fall back to its default). One that another method takes is let through:
     * mergekit reads only the parameters of the method in use, so recipes carry others (a slerp with
     * {@code normalize}); {@link #ignored} names them for a notice.
     */
    static void checkNames(Params p, Set<String> allowed, String method) throws ConfigException {
        for (String key : p.keys()) {
            if (!allowed.contains(key) && !anyMethodTakes(key)) {
                String near = ParamTable.nearest(key, allowed);
                throw new ConfigException(p.pathOf(key), "unknown parameter for " + method
                        + (allowed.isEmpty() ? " (it takes none here)" : " (known here: " + String.join(", ", new TreeSet<>(allowed)) + ")")
                        + (near == null ? "" : "; did you mean '" + near + "'?"));
            }
        }
    }

    private static Set<String> everyName;

    private static synchronized boolean anyMethodTakes(String key) {
        if (everyName == null) {
            Set<String> all = new TreeSet<>(ALWAYS_ACCEPTED);
            for (String name : Methods.names()) {
                all.addAll(globalNames(Methods.byName(name).signature()));
            }
            everyName = all;
        }
        return everyName.contains(key);
    }

    /** The parameters the recipe gives that its method does not take (another does), which the merge ignores. */
    static List<IgnoredParam> ignored(Recipe recipe, MergeMethod method) {
        Signature sig = method.signature();
        Set<String> global = globalNames(sig);
        List<IgnoredParam> out = new ArrayList<>();
        ignored(recipe.parameters(), global, method, out);
        recipe.models().forEach(m -> ignored(m.parameters(), sig.modelParams(), method, out));
        for (var slice : recipe.slices()) {
            ignored(slice.parameters(), global, method, out);
            slice.sources().forEach(src -> ignored(src.parameters(), sig.modelParams(), method, out));
        }
        return out;
    }

    private static void ignored(Params p, Set<String> allowed, MergeMethod method, List<IgnoredParam> out) {
        for (String key : p.keys()) {
            if (!allowed.contains(key)) {
                out.add(new IgnoredParam(p.pathOf(key), key, method.name()));
            }
        }
    }

    private static TensorSource source(SliceLayout.Source s, String name, TensorInfo ref, VocabRemap vocab) throws PlanException {
        Checkpoint c = s.checkpoint();
        TensorInfo info = c.tensor(name);
        if (info == null) {
            info = TiedNames.tied(c, name);
        }
        if (info == null) {
            throw new PlanException(c.path() + ": tensor '" + name + "' is missing (model '" + s.model() + "')");
        }
        if (vocab != null) {
            return vocabSource(s, c, info, ref, vocab);
        }
        if (!java.util.Arrays.equals(info.shape(), ref.shape())) {
            throw new PlanException(c.fileOf(info.name()) + ": tensor '" + info.name() + "' has shape "
                    + java.util.Arrays.toString(info.shape()) + ", the reference model has " + java.util.Arrays.toString(ref.shape())
                    + " for '" + ref.name() + "'");
        }
        if (info.dtype().isFloat() != ref.dtype().isFloat() || (!info.dtype().isFloat() && info.dtype() != ref.dtype())) {
            throw new PlanException(c.fileOf(info.name()) + ": tensor '" + info.name() + "' is " + info.dtype() + " in model '"
                    + s.model() + "', the reference model has " + ref.dtype() + " for '" + ref.name()
                    + "'; non-float tensors are copied, not merged, so every model must hold them with the same dtype");
        }
        return new TensorSource(s.model(), c, info, s.edit(info.name()));
    }

    /** A token-indexed input: its rows are the model's vocabulary, the rest of its shape as the reference's. */
    private static TensorSource vocabSource(SliceLayout.Source s, Checkpoint c, TensorInfo info, TensorInfo ref, VocabRemap vocab)
            throws PlanException {
        long[] a = info.shape();
        long[] b = ref.shape();
        int rows = VocabTensors.rows(c);
        if (a.length != b.length || !java.util.Arrays.equals(a, 1, a.length, b, 1, b.length) || a[0] != rows) {
            throw new PlanException(c.fileOf(info.name()) + ": tensor '" + info.name() + "' has shape " + java.util.Arrays.toString(a)
                    + "; as a token-indexed tensor it needs " + rows + " rows (model '" + s.model() + "''s embeddings) of "
                    + java.util.Arrays.toString(java.util.Arrays.copyOfRange(b, 1, b.length)) + " (the reference's '" + ref.name() + "')");
        }
        if (!info.dtype().isFloat()) {
            throw new PlanException(c.fileOf(info.name()) + ": tensor '" + info.name() + "' is " + info.dtype()
                    + "; token-indexed tensors must be floating point to be reordered into the output vocabulary");
        }
        return new TensorSource(s.model(), c, info, vocab, s.edit(info.name()), null);
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
}
