package org.exmerge.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.exmerge.format.Checkpoint;
import org.exmerge.lora.LoraAdapter;
import org.exmerge.recipe.ConfigException;
import org.exmerge.recipe.Recipe;
import org.exmerge.tokenizer.VocabPlan;
import org.exmerge.tokenizer.Vocabulary;

/**
 * Decides, for a recipe with a tokenizer source, the output vocabulary and each model's row order in
 * it ({@link VocabPlan}), from the models' tokenizer files and embedding shapes.
 */
final class VocabPlanner {
    private VocabPlanner() {}

    /**
     * @param reference the model whose tokenizer a union starts from (the base, else the first model)
     * @return null when the recipe names no tokenizer source, no model has token embeddings or
     *         tokenizer files, or every model's rows already are the output's (nothing to move or add)
     */
    static VocabRemap plan(Recipe recipe, ModelSet models, String reference) throws ConfigException, PlanException, IOException {
        String src = recipe.tokenizerSource();
        if (src == null) {
            return null;
        }
        List<String> names = new ArrayList<>(recipe.modelNames());
        names.remove(reference);
        names.addFirst(reference);
        Map<String, Checkpoint> checkpoints = new LinkedHashMap<>();
        Map<String, LoraAdapter> adapters = new LinkedHashMap<>();
        Map<Path, Vocabulary> read = new HashMap<>();
        List<VocabPlan.Input> inputs = new ArrayList<>();
        for (String name : names) {
            Checkpoint c = models.get(name);
            int rows = VocabTensors.rows(c);
            if (rows < 0) {
                return null;
            }
            checkpoints.put(name, c);
            if (models.adapter(name) != null) {
                adapters.put(name, models.adapter(name));
            }
            inputs.add(new VocabPlan.Input(name, vocabulary(c, read), rows));
        }
        boolean union = src.equals("union");
        String sourceModel = union || src.equals("base") ? reference : src;
        Path tokenizerOnly = sourceModel.equals(reference) ? null : models.tokenizerOnly(sourceModel);
        Checkpoint sc = tokenizerOnly == null ? models.get(sourceModel) : null;
        Vocabulary source = tokenizerOnly == null ? vocabulary(sc, read) : Vocabulary.read(tokenizerOnly);
        if (source == null) {
            if (inputs.stream().allMatch(in -> in.vocab() == null)) {
                return null; // no tokenizer anywhere: the files are copied as before, rows untouched
            }
            throw new ConfigException(recipe.tokenizerOptions().isEmpty() ? "tokenizer_source" : "tokenizer.source",
                    "model '" + sourceModel + "' has no tokenizer.json, vocab.json or tokenizer.model in " + sc.directory());
        }
        // A tokenizer without a model has no rows of its own: the reference's padding rows are kept.
        int sourceRows = Math.max(0, VocabTensors.rows(sc == null ? checkpoints.get(reference) : sc));
        VocabPlan plan = VocabPlan.build(source, union, sourceRows, recipe.baseModel(), inputs,
                recipe.tokenizerOptions());
        return plan.identity() && plan.newTokens().isEmpty() ? null : new VocabRemap(plan, checkpoints, adapters);
    }

    private static Vocabulary vocabulary(Checkpoint c, Map<Path, Vocabulary> read) throws IOException {
        Path dir = c.directory().toRealPath();
        if (!read.containsKey(dir)) {
            read.put(dir, Files.isDirectory(dir) ? Vocabulary.read(dir) : null);
        }
        return read.get(dir);
    }
}
