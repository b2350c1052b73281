package org.exmerge.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
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
            // notExists, not !exists: a path that cannot be looked up (permission denied on a
            // parent) is neither, and Checkpoint.open reports its real reason.
            if (Files.notExists(p)) {
                throw new PlanException("model '" + model + "': no such file or directory: " + p
                        + " (exmerge reads local safetensors only; download hub models first)");
            }
            c = Checkpoint.open(p);
            open.put(model, c);
        }
        return c;
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
