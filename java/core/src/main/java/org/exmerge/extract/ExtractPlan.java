package org.exmerge.extract;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.exmerge.engine.PlanException;
import org.exmerge.engine.VocabTensors;
import org.exmerge.error.UsageException;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.DType;
import org.exmerge.format.TensorInfo;

/**
 * What {@code extract-lora} writes for a fine-tune against its base, decided from the tensor names
 * and shapes before any arithmetic: which modules are decomposed into a LoRA pair (every 2-D
 * {@code <module>.weight} outside the vocabulary tensors, as mergekit decomposes {@code nn.Linear}),
 * which are saved whole ({@code modules_to_save}: the embeddings and output head unless
 * {@code --embed-lora}, every other tensor that differs, {@code --save-module}), which are left out
 * because nothing changed or a regex excludes them, and which changed but no adapter can carry
 * (integer tensors; parameters of a module that holds other modules). Both models must hold the
 * same tensors with the same shapes and types (the vocabulary tensors may differ in rows, which
 * forces them to be saved whole).
 */
final class ExtractPlan {
    static final String PREFIX = "base_model.model.";

    /** A module decomposed into {@code lora_A} [rank × n] and {@code lora_B} [m × rank] of the m × n matrix Δ (Δᵀ for an embedding). */
    record Module(String module, TensorInfo weight, boolean embedding, int m, int n, int rank, TensorInfo bias) {
        String aName() {
            return PREFIX + module + (embedding ? ".lora_embedding_A" : ".lora_A.weight");
        }

        String bName() {
            return PREFIX + module + (embedding ? ".lora_embedding_B" : ".lora_B.weight");
        }

        String biasName() {
            return PREFIX + module + ".lora_B.bias";
        }
    }

    final Checkpoint base;
    final Checkpoint model;
    final List<Module> modules = new ArrayList<>();
    /** Fine-tune tensors saved whole, by name. */
    final List<TensorInfo> saved = new ArrayList<>();
    /** {@code modules_to_save} as written to the config: leaf names, or full ones where a leaf would say too much. */
    final TreeSet<String> modulesToSave = new TreeSet<>();
    /** Linear modules left out because their weight did not change. */
    final List<String> unchanged = new ArrayList<>();
    /** Modules left out by --include-regex/--exclude-regex. */
    final List<String> filtered = new ArrayList<>();
    /**
     * Changed tensors no adapter can carry, with why: an integer or bool tensor (peft holds floating
     * point weights only), or a parameter of a module that has modules inside it (saving that module
     * whole would copy every module under it; mergekit leaves such parameters out silently).
     */
    final Map<String, String> notCarried = new TreeMap<>();
    final boolean vocabDiffers;

    private ExtractPlan(Checkpoint base, Checkpoint model, boolean vocabDiffers) {
        this.base = base;
        this.model = model;
        this.vocabDiffers = vocabDiffers;
    }

    static ExtractPlan of(Checkpoint base, Checkpoint model, ExtractOptions opts) throws PlanException, UsageException {
        boolean vocabDiffers = VocabTensors.rows(base) != VocabTensors.rows(model);
        ExtractPlan p = new ExtractPlan(base, model, vocabDiffers);
        p.checkSameTensors();
        p.classify(opts);
        return p;
    }

    private void checkSameTensors() throws PlanException {
        for (TensorInfo t : model.tensors()) {
            TensorInfo b = base.tensor(t.name());
            if (b == null) {
                throw new PlanException(model.fileOf(t.name()) + ": tensor '" + t.name() + "' is not in the base model ("
                        + base.path() + "); a LoRA adapter holds the changes to the base's own tensors");
            }
            if (b.dtype() != t.dtype()) {
                throw new PlanException(model.fileOf(t.name()) + ": tensor '" + t.name() + "' is " + t.dtype() + ", but "
                        + b.dtype() + " in " + base.fileOf(t.name()));
            }
            boolean rowsDiffer = vocabDiffers && VocabTensors.isVocabTensor(t.name()) && t.rank() == b.rank() && t.rank() >= 1
                    && Arrays.equals(Arrays.copyOfRange(t.shape(), 1, t.rank()), Arrays.copyOfRange(b.shape(), 1, b.rank()));
            if (!Arrays.equals(b.shape(), t.shape()) && !rowsDiffer) {
                throw new PlanException(model.fileOf(t.name()) + ": tensor '" + t.name() + "' has shape " + Arrays.toString(t.shape())
                        + ", but " + Arrays.toString(b.shape()) + " in " + base.fileOf(t.name()));
            }
        }
        for (TensorInfo b : base.tensors()) {
            if (model.tensor(b.name()) == null) {
                throw new PlanException(base.fileOf(b.name()) + ": tensor '" + b.name() + "' is not in the fine-tuned model ("
                        + model.path() + ")");
            }
        }
    }

    private void classify(ExtractOptions opts) throws UsageException {
        // Module name -> its tensors, in name order.
        TreeMap<String, List<TensorInfo>> byModule = new TreeMap<>();
        for (TensorInfo t : model.tensors()) {
            byModule.computeIfAbsent(moduleOf(t.name()), k -> new ArrayList<>()).add(t);
        }
        TreeSet<String> named = new TreeSet<>();
        for (Map.Entry<String, List<TensorInfo>> e : byModule.entrySet()) {
            String module = e.getKey();
            List<TensorInfo> tensors = new ArrayList<>();
            for (TensorInfo t : e.getValue()) {
                if (t.dtype().isFloat()) {
                    tensors.add(t);
                } else if (included(opts, module) && changed(t)) {
                    notCarried.put(t.name(), t.dtype() + ", not floating point");
                } // an unchanged integer buffer needs nothing
            }
            if (tensors.isEmpty()) {
                continue;
            }
            if (!isLeafModule(module, byModule)) {
                if (named(opts.saveModules(), module)) {
                    throw new UsageException("--save-module " + (opts.saveModules().contains(module) ? module : leaf(module)) + ": '"
                            + module + "' holds other modules; peft would save all of them whole, so only a module with none inside"
                            + " can be saved");
                }
                // A parameter of the model itself or of a module with modules inside it ("model.scalar"):
                // modules_to_save would name the container ("model"), which peft matches as the whole inner model.
                if (included(opts, module)) {
                    tensors.stream().filter(this::changed)
                            .forEach(t -> notCarried.put(t.name(), "a parameter of '" + module + "', which holds other modules"));
                }
                continue;
            }
            TensorInfo weight = find(tensors, module + ".weight");
            TensorInfo bias = find(tensors, module + ".bias");
            boolean vocab = tensors.stream().anyMatch(t -> VocabTensors.isVocabTensor(t.name())) || isEmbeddingName(module);
            boolean linear = weight != null && weight.rank() == 2 && tensors.size() <= (bias == null ? 1 : 2)
                    && (bias == null || bias.rank() == 1);
            if (named(opts.saveModules(), module)) {
                named.add(module);
                named.add(leaf(module));
                saveWhole(tensors, module, opts.saveModules().contains(module) ? module : leaf(module), false);
            } else if (vocab && !(opts.embedLora() && !vocabDiffers && linear)) {
                if (!matchesAny(opts.exclude(), module)) {
                    saveWhole(tensors, module, leaf(module), !vocabDiffers);
                } else {
                    filtered.add(module);
                }
            } else if (!included(opts, module)) {
                filtered.add(module);
            } else if (linear) {
                boolean weightChanged = changed(weight);
                boolean biasChanged = bias != null && changed(bias);
                if (weightChanged) {
                    boolean embedding = VocabTensors.isTokenEmbedding(weight.name()) || isEmbeddingName(module);
                    int m = Math.toIntExact(weight.dim(embedding ? 1 : 0));
                    int n = Math.toIntExact(weight.dim(embedding ? 0 : 1));
                    modules.add(new Module(module, weight, embedding, m, n, Math.min(opts.maxRank(), Math.min(m, n)),
                            biasChanged ? bias : null));
                } else if (biasChanged) {
                    // lora_B.bias needs a pair beside it: a changed bias alone goes whole, under its full
                    // name, since the leaf name would make peft save every layer's module of that name.
                    saveWhole(tensors, module, module, true);
                } else {
                    unchanged.add(module);
                }
            } else {
                saveWhole(tensors, module, leaf(module), true);
            }
        }
        for (String name : opts.saveModules()) {
            if (!named.contains(name)) {
                throw new UsageException("--save-module " + name + ": no module of " + model.path() + " has that full or leaf name"
                        + " (a module is a tensor's name less its last part, as model.layers.0.mlp.up_proj or up_proj)");
            }
        }
    }

    /** Whether {@code module} is a module with no module inside it (and not the model's root). */
    private static boolean isLeafModule(String module, TreeMap<String, List<TensorInfo>> byModule) {
        if (byModule.get(module).stream().allMatch(t -> t.name().equals(module))) {
            return false; // a tensor with no dot in its name: a parameter of the model's root
        }
        String child = byModule.ceilingKey(module + "."); // names under module sort right after this
        return child == null || !child.startsWith(module + ".");
    }

    /** Saves the module's tensors whole (only when one of them changed, if {@code ifChanged}), naming it {@code as} in modules_to_save. */
    private void saveWhole(List<TensorInfo> tensors, String module, String as, boolean ifChanged) {
        if (ifChanged && tensors.stream().noneMatch(this::changed)) {
            return;
        }
        saved.addAll(tensors);
        modulesToSave.add(as);
    }

    /** Whether any of the module's tensors differs from the base's. */
    boolean changed(String module) {
        return model.tensors().stream().filter(t -> moduleOf(t.name()).equals(module)).anyMatch(this::changed);
    }

    private boolean changed(TensorInfo t) {
        TensorInfo b = base.tensor(t.name());
        if (!Arrays.equals(b.shape(), t.shape())) {
            return true;
        }
        MemorySegment x = model.data(t.name());
        MemorySegment y = base.data(t.name());
        boolean differs = x.mismatch(y) >= 0;
        LoraExtraction.unload(x);
        LoraExtraction.unload(y);
        return differs;
    }

    private static boolean included(ExtractOptions opts, String module) {
        return (opts.include().isEmpty() || matchesAny(opts.include(), module)) && !matchesAny(opts.exclude(), module);
    }

    private static boolean matchesAny(List<Pattern> patterns, String module) {
        return patterns.stream().anyMatch(p -> p.matcher(module).find());
    }

    /** mergekit's test: the module's full name or its leaf name is listed. */
    private static boolean named(List<String> names, String module) {
        return names.contains(module) || names.contains(leaf(module));
    }

    /** Position and other embeddings beside the vocabulary ones: peft and mergekit treat every nn.Embedding alike. */
    private static boolean isEmbeddingName(String module) {
        String leaf = leaf(module);
        return leaf.contains("embed") || leaf.equals("wpe") || leaf.equals("wte");
    }

    private static TensorInfo find(List<TensorInfo> tensors, String name) {
        return tensors.stream().filter(t -> t.name().equals(name)).findFirst().orElse(null);
    }

    static String moduleOf(String tensor) {
        int dot = tensor.lastIndexOf('.');
        return dot < 0 ? tensor : tensor.substring(0, dot);
    }

    static String leaf(String module) {
        return module.substring(module.lastIndexOf('.') + 1);
    }

    /** The type a saved or decomposed tensor is written in. */
    static DType outType(TensorInfo t, ExtractOptions opts) {
        return opts.outType() != null ? opts.outType() : t.dtype();
    }
}
