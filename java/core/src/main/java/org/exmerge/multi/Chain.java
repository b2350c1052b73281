package org.exmerge.multi;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.exmerge.recipe.ConfigException;
import org.exmerge.recipe.ModelName;
import org.exmerge.recipe.Recipe;
import org.exmerge.recipe.RecipeDocuments.Document;
import org.exmerge.recipe.SliceSource;
import org.exmerge.recipe.TokenEmbedding;

/**
 * The documents of an {@code exmerge multi} file in the order they can run: each after the
 * documents whose results it reads. A named document's result is {@code INTERMEDIATE_DIR/<name>},
 * the unnamed one's (at most one) {@code OUT}. A document reads another's result wherever it names a
 * model by that name (mergekit-multimerge's rule: the model's path, before any {@code @revision},
 * equals the name; a LoRA adapter is never a result).
 */
public final class Chain {
    /**
     * One merge of the chain.
     *
     * @param reads  the names of the results it reads, in the order the recipe names them
     * @param output where its result goes
     */
    public record Step(Document doc, List<String> reads, Path output) {
        public boolean named() {
            return doc.name() != null;
        }

        public String label() {
            return doc.label();
        }
    }

    private final List<Step> order;
    private final Map<String, Path> names;

    private Chain(List<Step> order, Map<String, Path> names) {
        this.order = order;
        this.names = names;
    }

    /**
     * @param out  where the unnamed document's result goes; null when none was given
     * @param file the config file's name, for errors
     * @throws ConfigException for two unnamed documents, an unnamed one without {@code out} (or
     *                         {@code out} without one), or documents that read each other's results in a cycle
     */
    public static Chain of(List<Document> docs, Path intermediateDir, Path out, String file) throws ConfigException {
        Map<String, Path> names = new LinkedHashMap<>();
        Document unnamed = null;
        for (Document d : docs) {
            if (d.name() != null) {
                names.put(d.name(), intermediateDir.resolve(d.name()).toAbsolutePath().normalize());
            } else if (unnamed != null) {
                throw error(file, d.label() + ": " + unnamed.label() + " has no name either; only one document may be"
                        + " unnamed (its result is OUT), name the others");
            } else {
                unnamed = d;
            }
        }
        if (unnamed != null && out == null) {
            throw error(file, unnamed.label() + ": has no name, so its result goes to OUT: give OUT (or a name:)");
        }
        if (unnamed == null && out != null) {
            throw error(file, "every document has a name, so nothing would be written to OUT (" + out
                    + "); leave OUT out, or drop the name: of the document whose result it is");
        }
        Map<String, Step> steps = new LinkedHashMap<>();
        List<Step> all = new ArrayList<>();
        for (Document d : docs) {
            Step s = new Step(d, reads(d.recipe(), names.keySet()), d.name() == null ? out : names.get(d.name()));
            all.add(s);
            if (d.name() != null) {
                steps.put(d.name(), s);
            }
        }
        List<Step> order = new ArrayList<>();
        Set<Step> done = new LinkedHashSet<>();
        for (Step s : all) {
            visit(s, steps, new ArrayList<>(), done, order, file);
        }
        return new Chain(List.copyOf(order), Map.copyOf(names));
    }

    private static void visit(Step s, Map<String, Step> steps, List<Step> path, Set<Step> done, List<Step> order, String file)
            throws ConfigException {
        if (done.contains(s)) {
            return;
        }
        int at = path.indexOf(s);
        if (at >= 0) {
            List<String> cycle = new ArrayList<>();
            for (Step c : path.subList(at, path.size())) {
                cycle.add(c.label());
            }
            cycle.add(s.label());
            throw error(file, cycle.size() == 2 ? s.label() + ": reads its own result"
                    : "documents read each other's results in a cycle: " + String.join(" reads ", cycle));
        }
        path.add(s);
        for (String n : s.reads()) {
            visit(steps.get(n), steps, path, done, order, file);
        }
        path.removeLast();
        done.add(s);
        order.add(s);
    }

    /** The results, by name, a recipe reads (mergekit-multimerge patches these references). */
    static List<String> reads(Recipe r, Set<String> names) {
        Set<String> models = new LinkedHashSet<>(r.modelNames());
        for (var slice : r.slices()) {
            for (SliceSource src : slice.sources()) {
                models.add(src.model());
            }
        }
        if (r.tokenizerSource() != null && !r.tokenizerSource().equals("base") && !r.tokenizerSource().equals("union")) {
            models.add(r.tokenizerSource());
        }
        for (TokenEmbedding t : r.tokenizerOptions().tokens().values()) {
            if (t.model() != null) {
                models.add(t.model());
            }
        }
        Set<String> reads = new LinkedHashSet<>();
        for (String m : models) {
            String path = ModelName.parse(m).model();
            int at = path.indexOf('@');
            String name = at < 0 ? path : path.substring(0, at);
            if (names.contains(name)) {
                reads.add(name);
            }
        }
        return List.copyOf(reads);
    }

    private static ConfigException error(String file, String message) {
        return new ConfigException("", message).withSource(file);
    }

    /** The steps, each after those whose results it reads. */
    public List<Step> order() {
        return order;
    }

    /** Every named document's result directory, by name. */
    public Map<String, Path> names() {
        return names;
    }
}
