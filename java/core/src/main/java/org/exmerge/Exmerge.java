package org.exmerge;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.exmerge.engine.MergeExecutor;
import org.exmerge.engine.MergePlan;
import org.exmerge.engine.MergePlanner;
import org.exmerge.engine.MergeStats;
import org.exmerge.engine.ModelCard;
import org.exmerge.engine.ModelLocator;
import org.exmerge.engine.ModelSet;
import org.exmerge.engine.PlanException;
import org.exmerge.engine.ProgressListener;
import org.exmerge.error.ExmergeException;
import org.exmerge.engine.OutputRun;
import org.exmerge.format.OutputGuard;
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

    /**
     * A recipe with the text it was read from (recorded in the output's metadata) and its file (null
     * when it came from elsewhere); a merge refuses to write its output over that file.
     */
    public record Source(Recipe recipe, String text, Path file) {
        /**
         * Reads a recipe file. A missing, unreadable, oversized (over 1 MiB) or non-UTF-8 file is a
         * {@link ConfigException} naming the file and the reason.
         */
        public static Source read(Path yaml) throws ConfigException {
            String text = RecipeReader.readText(yaml);
            return new Source(RecipeReader.parse(text, yaml.toString()), text, yaml);
        }

        public static Source parse(String yaml, String name) throws ConfigException {
            return new Source(RecipeReader.parse(yaml, name), yaml, null);
        }
    }

    /**
     * Plans without writing: every config and input error surfaces here, and, when {@code out} is
     * not null, every refusal {@link #merge} would make of it.
     */
    public static void plan(Source src, Path out, MergeOptions opts, Consumer<MergePlan> use)
            throws IOException, ConfigException, PlanException {
        try (ModelSet models = new ModelSet(opts.locator())) {
            MergePlan plan = MergePlanner.plan(src.recipe(), src.text(), models, opts.outType(), opts.seed());
            if (out != null) {
                checkTarget(src, out, opts, models);
            }
            use.accept(plan);
        }
    }

    private static void checkTarget(Source src, Path out, MergeOptions opts, ModelSet models) throws IOException {
        List<Path> inputs = new ArrayList<>(models.paths());
        inputs.addAll(models.adapterPaths());
        if (src.file() != null) {
            inputs.add(src.file());
        }
        OutputRun.checkTarget(out, opts.run().overwrite(), inputs);
    }

    /**
     * Merges into {@code out} (written to a temp sibling, renamed into place when complete). Before
     * any work, {@code out} is refused when it is empty, the root, the working directory or a parent
     * of it, or equals or holds an input or the recipe file; an existing {@code out} is replaced only
     * with {@code overwrite}, and only when it is an empty directory or a model exmerge wrote
     * ({@link OutputGuard}).
     *
     * @throws ExmergeException for every failure, its {@link ExmergeException#kind() kind} saying whose
     */
    public static MergeStats merge(Source src, Path out, MergeOptions opts, ProgressListener listener)
            throws IOException, ConfigException, PlanException {
        ModelLocator locator = opts.locator();
        try (ModelSet models = new ModelSet(locator)) {
            MergePlan plan = MergePlanner.plan(src.recipe(), src.text(), models, opts.outType(), opts.seed())
                    .withMetadata(opts.metadata());
            checkTarget(src, out, opts, models);
            Kernels kernels = Backends.select(opts.backend());
            Path name = out.toAbsolutePath().normalize().getFileName();
            ModelCard card = opts.modelCard()
                    ? new ModelCard(name == null ? "merged model" : name.toString(), src.recipe(), src.text(), locator.hubNames()) : null;
            return MergeExecutor.run(plan, out, opts.run(), kernels, listener, opts.cancel(), card);
        }
    }
}
