package org.exmerge.lora;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.exmerge.error.InputException;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.TensorInfo;
import org.exmerge.text.Plain;

/**
 * A PEFT LoRA adapter directory ({@code adapter_config.json}, {@code adapter_model.safetensors} or
 * else {@code adapter_model.bin})
 * read against the model it is applied to: which of the model's tensors it changes and how
 * ({@link TensorEdit}). Every adapter tensor is accounted for when it opens, so a merge never finds a
 * problem halfway: its name, its module in the model, its shape and rank. Names are peft's, with the
 * adapter name removed as peft saves them, under {@code base_model.model.}:
 * <ul>
 *   <li>{@code <module>.lora_A.weight} [r × in] and {@code <module>.lora_B.weight} [out × r] change
 *       {@code <module>.weight}; the delta is transposed when the weight is stored [in × out] (GPT-2's
 *       Conv1D; a square weight is transposed when {@code fan_in_fan_out} says so);</li>
 *   <li>{@code <module>.lora_embedding_A} [r × vocab] and {@code lora_embedding_B} [hidden × r]
 *       change an embedding, always transposed;</li>
 *   <li>{@code <module>.lora_B.bias} ({@code lora_bias: true}) adds to {@code <module>.bias};</li>
 *   <li>any other tensor replaces the model's tensor of its name, with
 *       {@code .modules_to_save.default.}, {@code .modules_to_save.} or {@code .base_layer.} read as
 *       {@code .}: {@code modules_to_save}, the biases {@code bias: all | lora_only} trains, a saved
 *       embedding; as peft's {@code load_state_dict} puts them in place.</li>
 * </ul>
 * Every pair saved is applied, whether or not {@code target_modules} names its module (peft saves
 * pairs only for the modules it targeted). A DoRA magnitude, another {@code lora_} tensor, a module the
 * model lacks, a shape or rank that does not fit, is an error naming the adapter file and tensor.
 */
public final class LoraAdapter implements AutoCloseable {
    static final String WEIGHTS = "adapter_model.safetensors";
    static final String TORCH_WEIGHTS = "adapter_model.bin";
    private static final String PREFIX = "base_model.model.";
    private static final String[] REPLACED_PARTS = {".modules_to_save.default.", ".modules_to_save.", ".base_layer."};

    private final Path directory;
    private final LoraConfig config;
    private final Checkpoint file;
    private final Map<String, TensorEdit> edits = new TreeMap<>();
    private final TreeSet<Integer> ranks = new TreeSet<>();
    private final TreeSet<Double> alphas = new TreeSet<>();

    private LoraAdapter(Path directory, LoraConfig config, Checkpoint file) {
        this.directory = directory;
        this.config = config;
        this.file = file;
    }

    /** Whether {@code dir} is an adapter directory rather than a model's: adapter_config.json and no model weights. */
    public static boolean isAdapter(Path dir) {
        return Files.isDirectory(dir) && Files.isRegularFile(dir.resolve(LoraConfig.FILE_NAME)) && !Checkpoint.holdsModel(dir);
    }

    /** The adapter's weights file in {@code dir}: adapter_model.safetensors, else peft's adapter_model.bin. */
    public static Path weights(Path dir) throws InputException {
        Path weights = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(weights) && Files.isRegularFile(dir.resolve(TORCH_WEIGHTS))) {
            weights = dir.resolve(TORCH_WEIGHTS); // peft's file without safe_serialization
        }
        if (!Files.isRegularFile(weights)) {
            throw new InputException(weights + ": no such file (a PEFT LoRA adapter directory holds it, or "
                    + TORCH_WEIGHTS + ", beside " + LoraConfig.FILE_NAME + ")");
        }
        return weights;
    }

    /**
     * Opens the adapter in {@code dir} and checks it against {@code model} ({@code name}, as the recipe
     * names it, for messages).
     */
    public static LoraAdapter open(Path dir, Checkpoint model, String name) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new InputException("model '" + name + "': LoRA adapter " + dir + ": "
                    + (Files.exists(dir) ? "not a directory" : "no such directory") + " (exmerge reads local adapters only)");
        }
        LoraConfig config = LoraConfig.read(dir);
        LoraAdapter a = new LoraAdapter(dir, config, Checkpoint.open(weights(dir)));
        try {
            a.read(model, name);
            return a;
        } catch (IOException | RuntimeException e) {
            a.close();
            throw e;
        }
    }

    private void read(Checkpoint model, String name) throws InputException {
        Map<String, String[]> factors = new TreeMap<>(); // module -> {A, B}
        Map<String, Boolean> embedding = new TreeMap<>();
        Map<String, String> biases = new TreeMap<>();
        Map<String, String> replacements = new TreeMap<>();
        for (TensorInfo t : file.tensors()) {
            String key = t.name();
            if (!t.dtype().isFloat()) {
                throw error(key, "is " + t.dtype() + "; adapter tensors are floating point");
            }
            if (!key.startsWith(PREFIX)) {
                throw error(key, "is not a PEFT adapter tensor (those are named " + PREFIX + "<module>.lora_A.weight and so on)");
            }
            String rest = key.substring(PREFIX.length());
            if (rest.contains("lora_magnitude_vector")) {
                throw error(key, "is a DoRA magnitude; DoRA adapters are not supported");
            }
            if (rest.endsWith(".lora_A.weight") || rest.endsWith(".lora_B.weight")) {
                factor(factors, embedding, rest.substring(0, rest.length() - ".lora_A.weight".length()), key,
                        rest.endsWith(".lora_B.weight") ? 1 : 0, false);
            } else if (rest.endsWith(".lora_embedding_A") || rest.endsWith(".lora_embedding_B")) {
                factor(factors, embedding, rest.substring(0, rest.length() - ".lora_embedding_A".length()), key,
                        rest.endsWith("B") ? 1 : 0, true);
            } else if (rest.endsWith(".lora_B.bias")) {
                biases.put(rest.substring(0, rest.length() - ".lora_B.bias".length()), key);
            } else if (Arrays.stream(rest.split("\\.")).anyMatch(p -> p.startsWith("lora_"))) {
                throw error(key, "is not a LoRA tensor exmerge applies (lora_A.weight, lora_B.weight, lora_B.bias,"
                        + " lora_embedding_A, lora_embedding_B)");
            } else {
                String target = rest;
                for (String part : REPLACED_PARTS) {
                    int at = target.indexOf(part);
                    if (at >= 0) {
                        target = target.substring(0, at) + "." + target.substring(at + part.length());
                        break;
                    }
                }
                String other = replacements.putIfAbsent(target, key);
                if (other != null) {
                    throw error(key, "replaces '" + target + "' of the model, and so does '" + other + "'");
                }
                replaced(model, name, key, target);
            }
        }
        Map<String, TensorEdit.Delta> deltas = new TreeMap<>();
        for (Map.Entry<String, String[]> e : factors.entrySet()) {
            deltas.put(e.getKey() + ".weight", lowRank(model, name, e.getKey(), e.getValue(), embedding.get(e.getKey())));
        }
        for (Map.Entry<String, String> e : biases.entrySet()) {
            deltas.put(e.getKey() + ".bias", bias(model, name, e.getKey(), e.getValue(), factors.get(e.getKey())));
        }
        for (String tensor : new TreeSet<>(union(deltas.keySet(), replacements.keySet()))) {
            edits.put(tensor, new TensorEdit(this, tensor, replacements.get(tensor), deltas.get(tensor)));
        }
    }

    private static Collection<String> union(Collection<String> a, Collection<String> b) {
        TreeSet<String> all = new TreeSet<>(a);
        all.addAll(b);
        return all;
    }

    private void factor(Map<String, String[]> factors, Map<String, Boolean> embedding, String module, String key, int which,
                        boolean isEmbedding) throws InputException {
        String[] pair = factors.computeIfAbsent(module, m -> new String[2]);
        Boolean before = embedding.putIfAbsent(module, isEmbedding);
        if (before != null && before != isEmbedding) {
            throw error(key, "mixes lora_embedding_ and lora_ factors for module '" + module + "'");
        }
        pair[which] = key;
    }

    private TensorEdit.LowRank lowRank(Checkpoint model, String name, String module, String[] pair, boolean isEmbedding)
            throws InputException {
        String suffix = isEmbedding ? "lora_embedding_" : "lora_";
        if (pair[0] == null || pair[1] == null) {
            String have = pair[0] != null ? pair[0] : pair[1];
            throw error(have, "has no " + suffix + (pair[0] == null ? "A" : "B") + " beside it for module '" + module + "'");
        }
        TensorInfo a = file.tensor(pair[0]);
        TensorInfo b = file.tensor(pair[1]);
        TensorInfo w = weightOf(model, name, pair[0], module + ".weight");
        if (a.rank() != 2 || b.rank() != 2) {
            TensorInfo bad = a.rank() != 2 ? a : b;
            throw error(bad.name(), "has shape " + Arrays.toString(bad.shape()) + "; LoRA factors are matrices"
                    + " (LoRA on convolutions is not supported)");
        }
        if (w.rank() != 2) {
            throw error(pair[0], "changes '" + w.name() + "', which has shape " + Arrays.toString(w.shape())
                    + " in model '" + name + "'; exmerge applies LoRA to matrices only");
        }
        int rank = Math.toIntExact(a.dim(0));
        if (b.dim(1) != rank) {
            throw error(b.name(), "has shape " + Arrays.toString(b.shape()) + ", but " + a.name() + " has rank " + rank);
        }
        int configured = config.rank(module);
        if (rank != configured) {
            throw error(a.name(), "has rank " + rank + ", but " + LoraConfig.FILE_NAME + " means r=" + configured
                    + " for module '" + module + "' (by its rank_pattern, else its r, else peft's default 8)");
        }
        // Linear: W is [out, in] = [B rows, A columns]; Conv1D and embeddings hold it the other way round.
        boolean straight = !isEmbedding && w.dim(0) == b.dim(0) && w.dim(1) == a.dim(1);
        boolean turned = w.dim(0) == a.dim(1) && w.dim(1) == b.dim(0);
        if (!straight && !turned) {
            throw error(b.name(), "has shape " + Arrays.toString(b.shape()) + " and " + a.name() + " "
                    + Arrays.toString(a.shape()) + ", which do not fit '" + w.name() + "' " + Arrays.toString(w.shape())
                    + " of model '" + name + "'");
        }
        boolean transposed = straight && turned ? config.fanInFanOut() : turned;
        ranks.add(rank);
        alphas.add(config.alpha(module));
        return new TensorEdit.LowRank(a.name(), b.name(), rank, config.scaling(module), transposed);
    }

    private TensorEdit.Bias bias(Checkpoint model, String name, String module, String key, String[] pair) throws InputException {
        if (pair == null || pair[1] == null) {
            throw error(key, "has no lora_B.weight beside it for module '" + module + "'");
        }
        TensorInfo v = file.tensor(key);
        TensorInfo bias = weightOf(model, name, key, module + ".bias");
        if (v.rank() != 1 || bias.rank() != 1 || v.dim(0) != bias.dim(0)) {
            throw error(key, "has shape " + Arrays.toString(v.shape()) + ", but '" + bias.name() + "' of model '" + name
                    + "' has " + Arrays.toString(bias.shape()));
        }
        return new TensorEdit.Bias(key, config.scaling(module));
    }

    private TensorInfo weightOf(Checkpoint model, String name, String key, String tensor) throws InputException {
        TensorInfo w = model.tensor(tensor);
        if (w == null) {
            throw error(key, "changes '" + tensor + "', which model '" + name + "' does not have");
        }
        if (!w.dtype().isFloat()) {
            throw error(key, "changes '" + tensor + "', which is " + w.dtype() + " in model '" + name + "'; only float tensors can be adapted");
        }
        return w;
    }

    private void replaced(Checkpoint model, String name, String key, String target) throws InputException {
        TensorInfo w = weightOf(model, name, key, target);
        TensorInfo v = file.tensor(key);
        if (!Arrays.equals(v.shape(), w.shape())) {
            throw error(key, "replaces '" + target + "', but has shape " + Arrays.toString(v.shape()) + " where model '"
                    + name + "' has " + Arrays.toString(w.shape()));
        }
    }

    private InputException error(String tensor, String reason) {
        return new InputException(file.path() + ": tensor '" + tensor + "': " + reason);
    }

    /** What the adapter does to the model's tensor {@code tensor}, or null when it leaves it alone. */
    public TensorEdit edit(String tensor) {
        return edits.get(tensor);
    }

    /** Every edit, by tensor name. */
    public Collection<TensorEdit> edits() {
        return Collections.unmodifiableCollection(edits.values());
    }

    public Path directory() {
        return directory;
    }

    /** The adapter's weights file, mapped. */
    public Checkpoint checkpoint() {
        return file;
    }

    /** E.g. "LoRA adapter /a/lora, 224 tensors, r=16, alpha=32" for {@code tensors} of its edits. */
    public String describe(int tensors) {
        return Plain.format("LoRA adapter %s, %d tensor%s, r=%s, alpha=%s%s", directory, tensors, tensors == 1 ? "" : "s",
                range(ranks.isEmpty() ? config.r() : ranks.first(), ranks.isEmpty() ? config.r() : ranks.last()),
                alphas.isEmpty() ? number(config.alpha()) : alphas.first().equals(alphas.last()) ? number(alphas.first())
                        : number(alphas.first()) + ".." + number(alphas.last()),
                config.rslora() ? ", rsLoRA" : "");
    }

    private static String range(int lo, int hi) {
        return lo == hi ? Integer.toString(lo) : lo + ".." + hi;
    }

    private static String number(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }

    @Override
    public void close() {
        file.close();
    }
}
