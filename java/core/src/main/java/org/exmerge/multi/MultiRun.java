package org.exmerge.multi;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.exmerge.Exmerge;
import org.exmerge.MergeOptions;
import org.exmerge.engine.MergePlanner;
import org.exmerge.engine.MergeStats;
import org.exmerge.engine.ModelSet;
import org.exmerge.engine.OutputRun;
import org.exmerge.engine.ProgressListener;
import org.exmerge.error.UsageException;
import org.exmerge.recipe.ConfigException;
import org.exmerge.recipe.ModelName;
import org.exmerge.recipe.RecipeDocuments;
import org.exmerge.recipe.RecipeReader;

/**
 * A chain of merges from one file of several recipes (mergekit-multimerge), the library's entry
 * point for what {@code exmerge multi} does. Everything that can be checked is checked when it is
 * opened, before the first merge: every document, every input that is no intermediate, the
 * directories written; and each step is decided: it merges or, when its intermediate is already the
 * result of the very same recipe and inputs, is skipped. Then {@link #merge} runs the steps that
 * merge, in {@link #steps()} order; {@link #run} does all of it.
 *
 * <p>Opened to merge, it holds the intermediate directory's lock until closed, so no other run
 * changes what the decisions were made from.
 */
public final class MultiRun implements AutoCloseable {
    /**
     * What the run does with one step.
     *
     * @param merge   whether it merges (else its intermediate is reused)
     * @param reason  why, in a few words ("up to date", "not written yet", "OUT" …)
     * @param planned whether it was planned when opened; one that reads an intermediate this run
     *                writes first is planned once that is written
     */
    public record Step(Chain.Step chain, boolean merge, String reason, boolean planned) {
        public boolean named() {
            return chain.named();
        }

        public Path output() {
            return chain.output();
        }
    }

    private final Path file;
    private final MergeOptions opts;
    private final List<Step> steps;
    private final Map<Step, String> keys;
    private final Intermediates lock;
    private final Set<Step> done = new HashSet<>();

    private MultiRun(Path file, MergeOptions opts, List<Step> steps, Map<Step, String> keys, Intermediates lock) {
        this.file = file;
        this.opts = opts;
        this.steps = steps;
        this.keys = keys;
        this.lock = lock;
    }

    /**
     * Reads, checks and decides the chain in {@code config}.
     *
     * @param dir   where named documents' results go ({@code DIR/<name>}); created if missing
     * @param out   where the unnamed document's result goes; null when every document has a name
     * @param lazy  whether an intermediate made from the same recipe and inputs is reused
     * @param merge whether to take the intermediate directory's lock (to merge); false to plan only
     */
    public static MultiRun open(Path config, Path dir, Path out, MergeOptions opts, boolean lazy, boolean merge)
            throws IOException, ConfigException {
        String text = RecipeReader.readText(config);
        Chain chain = Chain.of(RecipeDocuments.parse(text, config.toString()), dir, out, config.toString());
        MergeOptions named = opts.withNames(chain.names());
        List<Path> inputs = new ArrayList<>(checkInputs(chain, named));
        inputs.add(config);
        Intermediates.requireSafePlace(dir, inputs);
        if (out != null) {
            Path o = out.toAbsolutePath().normalize();
            Path i = dir.toAbsolutePath().normalize();
            if (i.startsWith(o)) {
                throw new UsageException(out + ": " + (i.equals(o) ? "is" : "holds") + " the intermediate directory (" + dir
                        + "); OUT is where the unnamed document's result goes: choose another");
            }
            List<Path> kept = new ArrayList<>(inputs);
            kept.add(dir);
            kept.addAll(chain.names().values());
            OutputRun.checkTarget(out, named.run().overwrite(), kept);
        }
        Intermediates lock = merge ? Intermediates.open(dir) : null;
        try {
            Map<Step, String> keys = new HashMap<>();
            List<Step> steps = decide(chain, config, named, lazy, keys);
            return new MultiRun(config, named, steps, keys, lock);
        } catch (IOException | RuntimeException e) {
            if (lock != null) {
                lock.close();
            }
            throw e;
        }
    }

    /** Opens the chain to merge, merges every step that needs it, and lets the lock go. */
    public static void run(Path config, Path dir, Path out, MergeOptions opts, boolean lazy, Listener listener)
            throws IOException, ConfigException {
        try (MultiRun run = open(config, dir, out, opts, lazy, true)) {
            for (Step s : run.steps()) {
                ProgressListener progress = listener.step(s);
                if (s.merge()) {
                    run.merge(s, progress);
                }
            }
        }
    }

    /** Hears of each step as the run reaches it. */
    @FunctionalInterface
    public interface Listener {
        /** The run reaches {@code step}; returns the listener of its merge (unused when it is skipped). */
        ProgressListener step(Step step);
    }

    /** The steps in the order they run: each after those whose results it reads. */
    public List<Step> steps() {
        return steps;
    }

    /** Every named document's result directory, by name. */
    public Map<String, Path> names() {
        return opts.names();
    }

    /** The recipe of {@code step}, with its own text and the config file it came from. */
    public Exmerge.Source source(Step step) {
        return new Exmerge.Source(step.chain().doc().recipe(), step.chain().doc().text(), file);
    }

    /**
     * The options {@code step} merges with: those given, with intermediate names resolved; a named
     * step may replace only the intermediate this tool wrote there (every other thing was refused
     * when opened).
     */
    public MergeOptions options(Step step) throws IOException {
        if (!step.named()) {
            return opts;
        }
        boolean replace = Intermediates.recordedKey(step.output()) != null;
        return opts.withRun(opts.run().withOverwrite(replace));
    }

    /**
     * Merges {@code step}, which must be one that merges, after every step before it that merges.
     * A named step's result records its key, so a later run can tell it is up to date.
     *
     * @throws DocumentException for a failure of the document, with the kind a merge of it would give
     */
    public MergeStats merge(Step step, ProgressListener listener) throws IOException, ConfigException {
        int at = steps.indexOf(step);
        if (lock == null || !step.merge() || at < 0 || steps.subList(0, at).stream().anyMatch(s -> s.merge() && !done.contains(s))) {
            throw new IllegalStateException("not a step to merge now: " + step.chain().label());
        }
        try {
            MergeOptions these = options(step);
            if (step.named()) {
                String key = step.planned() ? keys.get(step) : key(step.chain(), file, opts);
                these = these.withMetadata(Map.of(Intermediates.KEY, key));
            }
            MergeStats stats = Exmerge.merge(source(step), step.output(), these, listener);
            done.add(step);
            return stats;
        } catch (IOException | RuntimeException e) {
            throw wrapped(step.chain(), e);
        }
    }

    /** Lets the intermediate directory's lock go (when it was taken). */
    @Override
    public void close() throws IOException {
        if (lock != null) {
            lock.close();
        }
    }

    /**
     * The checks of every document that need no intermediate: its method and parameter names, and
     * every model it names that is no intermediate exists and opens. Returns those models' paths.
     */
    private static List<Path> checkInputs(Chain chain, MergeOptions opts) throws IOException, ConfigException {
        Set<Path> paths = new LinkedHashSet<>();
        try (ModelSet models = new ModelSet(opts.locator())) {
            for (Chain.Step step : chain.order()) {
                try {
                    MergePlanner.check(step.doc().recipe());
                    for (String m : step.doc().recipe().modelNames()) {
                        if (opts.locator().named(ModelName.parse(m).model()) == null) {
                            models.get(m);
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    throw wrapped(step, e);
                }
            }
            paths.addAll(models.paths());
            paths.addAll(models.adapterPaths());
        }
        return List.copyOf(paths);
    }

    /**
     * Whether each step merges or is skipped, and why. A step that reads no intermediate this run
     * redoes is planned now (every error a merge of it would give surfaces here) and its key
     * compared with what its intermediate records; one that does is redone.
     */
    private static List<Step> decide(Chain chain, Path file, MergeOptions opts, boolean lazy, Map<Step, String> keys)
            throws IOException, ConfigException {
        Map<String, Boolean> redone = new HashMap<>();
        List<Step> steps = new ArrayList<>();
        for (Chain.Step step : chain.order()) {
            try {
                boolean upstream = step.reads().stream().anyMatch(redone::get);
                String recorded = step.named() ? Intermediates.recordedKey(step.output()) : null;
                String key = upstream ? null : key(step, file, opts);
                Step d;
                if (!step.named()) {
                    d = new Step(step, true, "OUT", !upstream);
                } else if (recorded == null) {
                    d = new Step(step, true, "not written yet", !upstream);
                } else if (upstream) {
                    d = new Step(step, true, "an intermediate it reads is redone", false);
                } else if (!lazy) {
                    d = new Step(step, true, "--no-lazy", true);
                } else if (recorded.equals(key)) {
                    d = new Step(step, false, "up to date", true);
                } else {
                    d = new Step(step, true, "its recipe or inputs changed", true);
                }
                steps.add(d);
                if (key != null) {
                    keys.put(d, key);
                }
                if (step.named()) {
                    redone.put(step.doc().name(), d.merge());
                }
            } catch (IOException | RuntimeException e) {
                throw wrapped(step, e);
            }
        }
        return List.copyOf(steps);
    }

    /** Plans {@code step} (every error a merge of it would give surfaces) and returns its key. */
    private static String key(Chain.Step step, Path file, MergeOptions opts) throws IOException, ConfigException {
        List<List<Path>> read = new ArrayList<>(1);
        long[] seed = new long[1];
        Exmerge.Source src = new Exmerge.Source(step.doc().recipe(), step.doc().text(), file);
        Exmerge.plan(src, null, opts, plan -> {
            read.add(plan.inputs());
            seed[0] = plan.seed();
        });
        return ChainKey.of(step.doc(), read.getFirst(), seed[0], opts);
    }

    /** {@code e} as the failure of {@code step}'s document, when it is one (DocumentException#of). */
    private static IOException wrapped(Chain.Step step, Exception e) {
        DocumentException d = DocumentException.of(step.label(), e);
        if (d != null) {
            return d;
        }
        if (e instanceof RuntimeException r) {
            throw r;
        }
        return (IOException) e;
    }
}
