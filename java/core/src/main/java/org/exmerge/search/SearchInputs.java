package org.exmerge.search;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.exmerge.Exmerge;
import org.exmerge.engine.IgnoredParam;
import org.exmerge.engine.PlanException;
import org.exmerge.recipe.ConfigException;
import org.exmerge.recipe.ModelName;

/**
 * A search's inputs, checked before any candidate is merged or scored. The candidates of a stage
 * differ only in their numbers (α, β, λ, seed), so planning one recipe of each kind opens every model
 * they name (base, checkpoints, adapters, tokenizer source) and checks names, headers, shapes, types
 * and the method's parameters: a typo or a model that does not fit stops the search at once with
 * the engine's one-line error (exit 2 or 3) rather than failing candidates or crashing mid-search.
 * The same refusal later can only mean an input changed during the search ({@link #changed}).
 */
final class SearchInputs {
    private SearchInputs() {}

    /** Plans the recipe without writing anything: every config and input error surfaces here. */
    static void plan(String recipe, String name, SearchOptions opts) throws IOException {
        List<IgnoredParam> ignored = new ArrayList<>();
        Exmerge.plan(Exmerge.Source.parse(recipe, name), null, opts.merge(), p -> ignored.addAll(p.ignored()));
        if (!ignored.isEmpty()) {
            // A search's recipes are made from its flags: a parameter the method would ignore is a mistyped --param.
            IgnoredParam i = ignored.getFirst();
            throw new ConfigException(i.path(), "--param " + i.key() + ": " + i.method() + " takes no parameter '" + i.key() + "'");
        }
    }

    /**
     * Refuses a checkpoint that is the base itself (not an adapter on it): its task vector is zero,
     * and EXPO of it names no model besides the base.
     */
    static void notTheBase(Path base, Path checkpoint) throws IOException {
        if (ModelName.parse(checkpoint.toString()).lora() != null) {
            return;
        }
        boolean same = base.equals(checkpoint) || Files.exists(base) && Files.exists(checkpoint) && Files.isSameFile(base, checkpoint);
        if (same) {
            throw new IllegalArgumentException("--checkpoints " + checkpoint + " is the base model (--base " + base
                    + "); list the fine-tuned checkpoints only");
        }
    }

    /**
     * The engine's refusal of models that planned at start-up: an input changed or went away since
     * ({@code what}: the candidate or the winner). Exit 3, naming the file.
     */
    static SearchException changed(String what, PlanException e) {
        return new SearchException(e.kind(), what + ": an input changed during the search: " + e.getMessage(), e);
    }
}
