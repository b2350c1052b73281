package org.exmerge.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.exmerge.format.Checkpoint;
import org.exmerge.tokenizer.Vocabulary;

/**
 * The distinct input models of a recipe, each opened (mapped and validated) once. Relative model
 * paths resolve against one directory (the working directory by default, as mergekit does). Names
 * that resolve to the same file or directory (the same path repeated, {@code ./a} and {@code a}, a
 * link and its target) share one {@link Checkpoint}, so a soup of a thousand entries over two files
 * maps two files; the plan still has one input per entry.
 */
public final class ModelSet implements AutoCloseable {
    private final Path root;
    private final Map<String, Checkpoint> open = new LinkedHashMap<>();
    private final Map<Path, Checkpoint> byRealPath = new LinkedHashMap<>();

    public ModelSet(Path root) {
        this.root = root;
    }

    /** The model named in the recipe, opened on first use. */
    public Checkpoint get(String model) throws IOException, PlanException {
        Checkpoint c = open.get(model);
        if (c == null) {
            Path p = resolve(model);
            // notExists, not !exists: a path that cannot be looked up (permission denied on a
            // parent) is neither, and Checkpoint.open reports its real reason.
            if (Files.notExists(p)) {
                throw new PlanException("model '" + model + "': no such file or directory: " + p
                        + " (exmerge reads local safetensors or PyTorch .bin checkpoints only; download hub models first)");
            }
            Path real = p.toRealPath();
            c = byRealPath.get(real);
            if (c == null) {
                c = Checkpoint.open(p);
                byRealPath.put(real, c);
            }
            open.put(model, c);
        }
        return c;
    }

    /**
     * The directory {@code name} resolves to when it holds tokenizer files and no model (a tokenizer
     * source need not be a model, as in mergekit), else null.
     */
    public Path tokenizerOnly(String name) {
        Path p = resolve(name);
        return Files.isDirectory(p) && !Checkpoint.holdsModel(p) && Vocabulary.present(p) ? p : null;
    }

    /** The paths of the models opened so far (a directory or a file each). */
    public List<Path> paths() {
        return open.values().stream().map(Checkpoint::path).toList();
    }

    public Path resolve(String model) {
        return root.resolve(model).toAbsolutePath().normalize();
    }

    @Override
    public void close() {
        for (Checkpoint c : byRealPath.values()) {
            c.close();
        }
        byRealPath.clear();
        open.clear();
    }
}
