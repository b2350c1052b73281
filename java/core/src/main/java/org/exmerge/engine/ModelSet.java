package org.exmerge.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.exmerge.format.Checkpoint;
import org.exmerge.lora.LoraAdapter;
import org.exmerge.recipe.ModelName;
import org.exmerge.tokenizer.Vocabulary;

/**
 * The distinct input models of a recipe, each opened (mapped and validated) once. Relative model
 * paths resolve against one directory (the working directory by default, as mergekit does), and a
 * name that is no local path against the Hugging Face cache ({@link ModelLocator}). Names
 * that resolve to the same file or directory (the same path repeated, {@code ./a} and {@code a}, a
 * link and its target) share one {@link Checkpoint}, so a soup of a thousand entries over two files
 * maps two files; the plan still has one input per entry. A model named {@code model+adapter} is the
 * model's checkpoint with a LoRA adapter ({@link LoraAdapter}) that the merge applies to it.
 */
public final class ModelSet implements AutoCloseable {
    private final ModelLocator locator;
    private final Map<String, Checkpoint> open = new LinkedHashMap<>();
    private final Map<Path, Checkpoint> byRealPath = new LinkedHashMap<>();
    private final Map<String, LoraAdapter> adapters = new LinkedHashMap<>();
    private final Map<List<Path>, LoraAdapter> adaptersByRealPath = new LinkedHashMap<>();

    public ModelSet(ModelLocator locator) {
        this.locator = locator;
    }

    /**
     * The model named in the recipe, opened on first use. For {@code model+adapter} ({@link ModelName}) it
     * is the model's checkpoint, and the adapter, read and checked against it, is {@link #adapter}.
     */
    public Checkpoint get(String model) throws IOException, PlanException {
        Checkpoint c = open.get(model);
        if (c == null) {
            ModelName name = ModelName.parse(model);
            c = checkpoint(model, name.model());
            if (name.lora() != null) {
                adapters.put(model, adapter(model, c, name.lora()));
            }
            open.put(model, c);
        }
        return c;
    }

    /** The LoRA adapter applied to {@code model} ({@code base+adapter}), or null for a model alone. */
    public LoraAdapter adapter(String model) throws IOException, PlanException {
        get(model);
        return adapters.get(model);
    }

    private Checkpoint checkpoint(String model, String path) throws IOException, PlanException {
        Path p;
        try {
            p = locator.resolve("model", path);
        } catch (PlanException e) {
            if (!path.equals(model) && locator.existsLocally(model)) {
                throw new PlanException("model '" + model + "': a '+' in a model name means model+adapter (here model '" + path
                        + "', which does not exist), so a directory whose name holds '+' cannot be named; rename it or link it"
                        + " under a name without '+'");
            }
            throw e;
        }
        Path real = p.toRealPath();
        Checkpoint c = byRealPath.get(real);
        if (c == null) {
            c = Checkpoint.open(p);
            byRealPath.put(real, c);
        }
        return c;
    }

    /** One adapter per (model file, adapter directory): the same pair named twice is read once. */
    private LoraAdapter adapter(String model, Checkpoint c, String lora) throws IOException, PlanException {
        Path dir = locator.locate("model '" + model + "': LoRA adapter", lora);
        List<Path> key = List.of(c.path().toRealPath(), Files.exists(dir) ? dir.toRealPath() : dir);
        LoraAdapter a = adaptersByRealPath.get(key);
        if (a == null) {
            a = LoraAdapter.open(dir, c, model);
            adaptersByRealPath.put(key, a);
        }
        return a;
    }

    /**
     * The directory {@code name} resolves to when it holds tokenizer files and no model (a tokenizer
     * source need not be a model, as in mergekit), else null.
     */
    public Path tokenizerOnly(String name) {
        Path p;
        try {
            p = locator.resolve("tokenizer source", name);
        } catch (PlanException e) {
            return null;
        }
        return Files.isDirectory(p) && !Checkpoint.holdsModel(p) && Vocabulary.present(p) ? p : null;
    }

    /** The paths of the models opened so far (a directory or a file each). */
    public List<Path> paths() {
        return open.values().stream().map(Checkpoint::path).toList();
    }

    /** The directories of the LoRA adapters opened so far. */
    public List<Path> adapterPaths() {
        return adaptersByRealPath.values().stream().map(LoraAdapter::directory).toList();
    }

    @Override
    public void close() {
        adaptersByRealPath.values().forEach(LoraAdapter::close);
        adaptersByRealPath.clear();
        adapters.clear();
        for (Checkpoint c : byRealPath.values()) {
            c.close();
        }
        byRealPath.clear();
        open.clear();
    }
}
