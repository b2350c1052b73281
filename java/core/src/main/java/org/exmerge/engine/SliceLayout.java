package org.exmerge.engine;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.TensorInfo;
import org.exmerge.lora.LoraAdapter;
import org.exmerge.lora.TensorEdit;
import org.exmerge.method.MergeMethod;
import org.exmerge.method.Signature;
import org.exmerge.recipe.ConfigException;
import org.exmerge.recipe.LayerNames;
import org.exmerge.recipe.ModelRef;
import org.exmerge.recipe.ParamResolver;
import org.exmerge.recipe.Params;
import org.exmerge.recipe.Recipe;
import org.exmerge.recipe.Slice;
import org.exmerge.recipe.SliceSource;

/**
 * Which inputs every output tensor is merged from (numerics §9), for both recipe forms. A {@code models:}
 * list is one group over all layers, names unchanged. {@code slices:} stack their layer ranges in
 * order, renumbered from 0; tensors outside the layers come from the first slice's models when they
 * are embeddings and from the last slice's otherwise (final norm, lm_head), as mergekit's pre- and
 * post-weights do. Errors found here name the config key path, or the file and tensor.
 */
final class SliceLayout {

    /**
     * One input of a group: {@code model}'s layers from {@code layerStart}, with its own parameters;
     * {@code adapter} is the LoRA adapter applied to it, or null.
     */
    record Source(String model, Checkpoint checkpoint, LoraAdapter adapter, int layerStart, Params params) {
        /** What the adapter does to this source's tensor {@code name}, or null. */
        TensorEdit edit(String name) {
            return adapter == null ? null : adapter.edit(name);
        }

        /** This source's name for the reference's tensor {@code refName} (layer {@code layerInSlice} of the slice, −1 outside). */
        String nameOf(String refName, int layerInSlice) {
            return layerInSlice < 0 ? refName : LayerNames.withLayerIndex(refName, layerStart + layerInSlice);
        }
    }

    /**
     * The inputs merged together for a slice (or the whole {@code models:} list).
     *
     * @param base the base model's source when the method merges relative to it, else null
     * @param models the method's models, in config order
     * @param reference whose tensor names, shapes and dtypes the output follows (the base when there is one)
     * @param global the parameter levels that are not a model's own: the slice's, then the top level
     * @param layers the group's layer count L (gradients are read at idx / (L − 1))
     */
    record Group(String path, Source base, List<Source> models, Source reference, Params[] global, int layers) {}

    /** One output tensor: its name, its group, its layer inside the group (−1 outside the layers), its name in the reference. */
    record Job(String outName, Group group, int layerInSlice, String refName) {
        /** Where gradients are read (numerics §9): embeddings at 0, the final norm and lm_head at 1, as mergekit's planner does. */
        double t() {
            if (layerInSlice < 0) {
                return isEmbedding(outName) ? 0.0 : 1.0;
            }
            return ParamResolver.layerT(layerInSlice, group.layers());
        }
    }

    private final List<Job> jobs;
    private final int outputLayers;
    private final Source auxReference;

    private SliceLayout(List<Job> jobs, int outputLayers, Source auxReference) {
        this.jobs = jobs;
        this.outputLayers = outputLayers;
        this.auxReference = auxReference;
    }

    /** The output tensors in name order. */
    List<Job> jobs() {
        return jobs;
    }

    /** The output's layer count for config.json when slices changed it, else −1. */
    int outputLayers() {
        return outputLayers;
    }

    /** The model whose config and tokenizer files the output carries by default. */
    Source auxReference() {
        return auxReference;
    }

    static SliceLayout of(Recipe recipe, MergeMethod method, boolean usesBase, ModelSet models)
            throws ConfigException, PlanException, IOException {
        return recipe.slices().isEmpty() ? fromModels(recipe, method, usesBase, models) : fromSlices(recipe, method, usesBase, models);
    }

    private static SliceLayout fromModels(Recipe recipe, MergeMethod method, boolean usesBase, ModelSet models)
            throws ConfigException, PlanException, IOException {
        Signature sig = method.signature();
        String baseName = recipe.baseModel();
        List<Source> inputs = new ArrayList<>();
        for (ModelRef m : recipe.models()) {
            MergePlanner.checkNames(m.parameters(), sig.modelParams(), method.name());
            // mergekit drops the base from the models of methods that work relative to it.
            if (!(usesBase && m.model().equals(baseName))) {
                inputs.add(new Source(m.model(), models.get(m.model()), models.adapter(m.model()), 0, m.parameters()));
            }
        }
        if (baseName != null && !usesBase && inputs.stream().noneMatch(s -> s.model().equals(baseName))) {
            throw notAnInput(method, "models", baseName);
        }
        checkCount(sig, method.name(), "models", inputs.size());
        Source base = baseName == null ? null : new Source(baseName, models.get(baseName), models.adapter(baseName), 0, Params.EMPTY);
        Source reference = base != null ? base : inputs.get(0);
        Group g = new Group("models", usesBase ? base : null, inputs, reference, new Params[] {recipe.parameters()},
                layerCount(reference.checkpoint()));
        for (Source s : inputs) {
            for (TensorInfo t : s.checkpoint().tensors()) {
                if (reference.checkpoint().tensor(t.name()) == null) {
                    String tied = TiedNames.tiedTo(reference.checkpoint(), t.name());
                    throw new PlanException(s.checkpoint().fileOf(t.name()) + ": tensor '" + t.name() + "' of model '"
                            + s.model() + "' is not in '" + reference.model() + "'" + (tied == null ? ""
                            : ", which ties it to its " + tied + " (tied embeddings), as the output would; to merge untied output"
                            + " embeddings, make a model that has its own " + t.name() + " the base model (or the first model)"));
                }
            }
        }
        List<Job> jobs = new ArrayList<>();
        for (TensorInfo t : reference.checkpoint().tensors()) {
            jobs.add(new Job(t.name(), g, LayerNames.layerIndex(t.name()), t.name()));
        }
        return new SliceLayout(jobs, -1, reference);
    }

    private static SliceLayout fromSlices(Recipe recipe, MergeMethod method, boolean usesBase, ModelSet models)
            throws ConfigException, PlanException, IOException {
        Map<Checkpoint, Integer> layerCounts = new IdentityHashMap<>();
        List<Group> groups = new ArrayList<>();
        for (int i = 0; i < recipe.slices().size(); i++) {
            groups.add(group(recipe, i, method, usesBase, models, layerCounts));
        }
        List<Job> jobs = new ArrayList<>();
        Group first = groups.get(0);
        Group last = groups.get(groups.size() - 1);
        addOutsideLayers(jobs, first, true, groups.size() == 1);
        if (groups.size() > 1) {
            addOutsideLayers(jobs, last, false, false);
        }
        int offset = 0;
        for (Group g : groups) {
            checkLayerCounterparts(g);
            for (TensorInfo t : g.reference().checkpoint().tensors()) {
                int idx = LayerNames.layerIndex(t.name());
                int k = idx - g.reference().layerStart();
                if (idx >= 0 && k >= 0 && k < g.layers()) {
                    jobs.add(new Job(LayerNames.withLayerIndex(t.name(), offset + k), g, k, t.name()));
                }
            }
            offset += g.layers();
        }
        jobs.sort(Comparator.comparing(Job::outName));
        return new SliceLayout(List.copyOf(jobs), offset, first.reference());
    }

    private static Group group(Recipe recipe, int i, MergeMethod method, boolean usesBase, ModelSet models,
                               Map<Checkpoint, Integer> layerCounts) throws ConfigException, PlanException, IOException {
        Signature sig = method.signature();
        Slice slice = recipe.slices().get(i);
        String path = "slices[" + i + "]";
        MergePlanner.checkNames(slice.parameters(), MergePlanner.globalNames(sig), method.name());
        String baseName = recipe.baseModel();
        Source base = null;
        List<Source> all = new ArrayList<>();
        for (int j = 0; j < slice.sources().size(); j++) {
            SliceSource src = slice.sources().get(j);
            MergePlanner.checkNames(src.parameters(), sig.modelParams(), method.name());
            Checkpoint c = models.get(src.model());
            int count = layerCounts.computeIfAbsent(c, SliceLayout::layerCount);
            if (src.layerEnd() > count) {
                throw new ConfigException(path + ".sources[" + j + "].layer_range", "[" + src.layerStart() + ", "
                        + src.layerEnd() + ") ends past the last layer of '" + src.model() + "', which has " + count + " layers");
            }
            Source s = new Source(src.model(), c, models.adapter(src.model()), src.layerStart(), src.parameters());
            if (usesBase && base == null && src.model().equals(baseName)) {
                base = s;
            } else {
                all.add(s);
            }
        }
        if (usesBase && base == null) {
            throw new ConfigException(path + ".sources", "base_model '" + baseName + "' is not among this slice's sources; "
                    + method.name() + " merges relative to it, so every slice lists it with the layer_range to use");
        }
        if (baseName != null && !usesBase && all.stream().noneMatch(s -> s.model().equals(baseName))) {
            throw notAnInput(method, path + ".sources", baseName);
        }
        checkCount(sig, method.name(), path + ".sources", all.size());
        Source reference = base;
        for (Source s : all) {
            if (reference == null && (baseName == null || s.model().equals(baseName))) {
                reference = s;
            }
        }
        return new Group(path, base, List.copyOf(all), reference, new Params[] {slice.parameters(), recipe.parameters()},
                slice.layerCount());
    }

    /** Tensors outside the layers that this group provides: embeddings from the first slice, the rest from the last. */
    private static void addOutsideLayers(List<Job> jobs, Group g, boolean embeddings, boolean everything) throws PlanException {
        for (TensorInfo t : g.reference().checkpoint().tensors()) {
            if (LayerNames.layerIndex(t.name()) < 0 && (everything || isEmbedding(t.name()) == embeddings)) {
                jobs.add(new Job(t.name(), g, -1, t.name()));
            }
        }
        for (Source s : inputsOf(g)) {
            for (TensorInfo t : s.checkpoint().tensors()) {
                if (LayerNames.layerIndex(t.name()) < 0 && (everything || isEmbedding(t.name()) == embeddings)
                        && g.reference().checkpoint().tensor(t.name()) == null) {
                    throw new PlanException(s.checkpoint().fileOf(t.name()) + ": tensor '" + t.name() + "' of model '"
                            + s.model() + "' is not in '" + g.reference().model() + "' (" + g.path() + ")");
                }
            }
        }
    }

    /** Every layer tensor a source brings must have its counterpart in the reference (missing ones are found per tensor later). */
    private static void checkLayerCounterparts(Group g) throws PlanException {
        Source ref = g.reference();
        for (Source s : inputsOf(g)) {
            for (TensorInfo t : s.checkpoint().tensors()) {
                int k = LayerNames.layerIndex(t.name()) - s.layerStart();
                if (LayerNames.layerIndex(t.name()) >= 0 && k >= 0 && k < g.layers()) {
                    String refName = LayerNames.withLayerIndex(t.name(), ref.layerStart() + k);
                    if (ref.checkpoint().tensor(refName) == null) {
                        throw new PlanException(s.checkpoint().fileOf(t.name()) + ": tensor '" + t.name() + "' of model '"
                                + s.model() + "' has no counterpart '" + refName + "' in '" + ref.model() + "' (" + g.path() + ")");
                    }
                }
            }
        }
    }

    private static List<Source> inputsOf(Group g) {
        List<Source> all = new ArrayList<>(g.models());
        if (g.base() != null) {
            all.add(g.base());
        }
        return all;
    }

    /**
     * Whether a tensor outside the layers belongs before them (token and position embeddings:
     * {@code embed_tokens}, {@code wte}, {@code wpe}, {@code word_embeddings}, GPT-NeoX {@code embed_in})
     * rather than after them (final norm, {@code lm_head}, GPT-NeoX {@code embed_out}).
     */
    static boolean isEmbedding(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.contains("embed_out")) {
            return false;
        }
        for (String part : n.split("\\.")) {
            if (Set.of("wte", "wpe").contains(part)) {
                return true;
            }
        }
        return n.contains("embed");
    }

    /** Layers of a model: one more than the highest layer index in its tensor names (0 when none). */
    static int layerCount(Checkpoint c) {
        int max = -1;
        for (TensorInfo t : c.tensors()) {
            max = Math.max(max, LayerNames.layerIndex(t.name()));
        }
        return max + 1;
    }

    private static void checkCount(Signature sig, String method, String path, int given) throws ConfigException {
        if (given < sig.minModels() || given > sig.maxModels()) {
            String range = sig.maxModels() == Signature.ANY ? "at least " + sig.minModels()
                    : sig.minModels() == sig.maxModels() ? "exactly " + sig.minModels() : sig.minModels() + ".." + sig.maxModels();
            throw new ConfigException(path, method + " takes " + range + " model(s)" + (sig.needsBase() ? " besides the base" : "")
                    + ", " + given + " given");
        }
    }

    private static ConfigException notAnInput(MergeMethod method, String path, String baseName) {
        return new ConfigException(path, "base_model '" + baseName + "' is not among the inputs, and " + method.name()
                + " has no base: list it here to merge it in (mergekit would add it silently), or drop base_model");
    }
}
