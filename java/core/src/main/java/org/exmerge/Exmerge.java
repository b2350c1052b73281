package org.exmerge;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.exmerge.engine.MergeExecutor;
import org.exmerge.engine.MergePlan;
import org.exmerge.engine.MergePlanner;
import org.exmerge.engine.MergeStats;
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
        public static Source read(Path yaml) throws IOException, ConfigException {
            String text = Files.readString(yaml);
            return new Source(RecipeReader.parse(text, yaml.toString()), text, yaml);
        }

        public static Source parse(String yaml, String name) throws ConfigException {
            return new Source(RecipeReader.parse(yaml, name), yaml, null);
        }
    }

    /** Plans without writing: every config and input error surfaces here. */
    public static void plan(Source src, MergeOptions opts, Consumer<MergePlan> use)
            throws IOException, ConfigException, PlanException {
        try (ModelSet models = new ModelSet(opts.modelsDir())) {
            use.accept(MergePlanner.plan(src.recipe(), src.text(), models, opts.outType(), opts.seed()));
        }
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
        Kernels kernels = Backends.select(opts.backend());
        try (ModelSet models = new ModelSet(opts.modelsDir())) {
            MergePlan plan = MergePlanner.plan(src.recipe(), src.text(), models, opts.outType(), opts.seed());
            List<Path> inputs = new ArrayList<>(models.paths());
            if (src.file() != null) {
                inputs.add(src.file());
            }
            OutputRun.checkTarget(out, opts.run().overwrite(), inputs);
            return MergeExecutor.run(plan, out, opts.run(), kernels, listener, opts.cancel());
        }
    }
}
