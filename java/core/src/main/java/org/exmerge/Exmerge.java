package org.exmerge;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.exmerge.engine.MergeExecutor;
import org.exmerge.engine.MergePlan;
import org.exmerge.engine.MergePlanner;
import org.exmerge.engine.MergeStats;
import org.exmerge.engine.ModelSet;
import org.exmerge.engine.PlanException;
import org.exmerge.engine.ProgressListener;
import org.exmerge.kernel.Backends;
import org.exmerge.kernel.Kernels;
import org.exmerge.recipe.ConfigException;
import org.exmerge.recipe.Recipe;
import org.exmerge.recipe.RecipeReader;

/**
 * The Java API: read a mergekit-style recipe, plan it, merge it. The CLI is built on this and
 * nothing here prints; progress arrives through a {@link ProgressListener}.
 */
public final class Exmerge {
    private Exmerge() {}

    /** A recipe with the text it was read from (recorded in the output's metadata). */
    public record Source(Recipe recipe, String text) {
        /**
         * Reads a recipe file. A missing, unreadable, oversized (over 1 MiB) or non-UTF-8 file is a
         * {@link ConfigException} naming the file and the reason.
         */
        public static Source read(Path yaml) throws ConfigException {
            return parse(RecipeReader.readText(yaml), yaml.toString());
        }

        public static Source parse(String yaml, String name) throws ConfigException {
            return new Source(RecipeReader.parse(yaml, name), yaml);
        }
    }

    /** Plans without writing: every config and input error surfaces here. */
    public static void plan(Source src, MergeOptions opts, Consumer<MergePlan> use)
            throws IOException, ConfigException, PlanException {
        try (ModelSet models = new ModelSet(opts.modelsDir())) {
            use.accept(MergePlanner.plan(src.recipe(), src.text(), models, opts.outType(), opts.seed()));
        }
    }

    /** Merges into {@code out} (written to a temp sibling, renamed into place when complete). */
    public static MergeStats merge(Source src, Path out, MergeOptions opts, ProgressListener listener)
            throws IOException, ConfigException, PlanException {
        Kernels kernels = Backends.select(opts.backend());
        try (ModelSet models = new ModelSet(opts.modelsDir())) {
            MergePlan plan = MergePlanner.plan(src.recipe(), src.text(), models, opts.outType(), opts.seed());
            return MergeExecutor.run(plan, out, opts.run(), kernels, listener, opts.cancel());
        }
    }
}
