package org.exmerge.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.exmerge.format.Checkpoint;

/**
 * The distinct input models of a recipe, each opened (mapped and validated) once. Relative model
 * paths resolve against one directory (the working directory by default, as mergekit does).
 */
public final class ModelSet implements AutoCloseable {
    private final Path root;
    private final Map<String, Checkpoint> open = new LinkedHashMap<>();

    public ModelSet(Path root) {
        this.root = root;
    }

    /** The model named in the recipe, opened on first use. */
    public Checkpoint get(String model) throws IOException, PlanException {
        Checkpoint c = open.get(model);
        if (c == null) {
            Path p = resolve(model);
            if (!Files.exists(p)) {
                throw new PlanException("model '" + model + "': no such file or directory: " + p
                        + " (exmerge reads local safetensors only; download hub models first)");
            }
            c = Checkpoint.open(p);
            open.put(model, c);
        }
        return c;
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
        for (Checkpoint c : open.values()) {
            c.close();
        }
        open.clear();
    }
}
