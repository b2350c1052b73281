package org.exmerge.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.exmerge.Exmerge;
import org.exmerge.MergeOptions;
import org.exmerge.engine.MergePlanner;
import org.exmerge.engine.ModelSet;
import org.exmerge.engine.OutputRun;
import org.exmerge.multi.Chain;
import org.exmerge.multi.DocumentException;
import org.exmerge.multi.Intermediates;
import org.exmerge.recipe.ModelName;
import org.exmerge.recipe.RecipeDocuments;
import org.exmerge.recipe.RecipeReader;
import org.exmerge.text.Plain;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * {@code exmerge multi}: the documents of one YAML file merged in dependency order, each as
 * {@code merge} merges a recipe, named results in the intermediate directory (mergekit-multimerge).
 * Everything that can be checked is checked before the first merge: every document, every input
 * that is no intermediate, the directories written; then each merge runs or, when its intermediate
 * is already the result of the very same recipe and inputs, is skipped.
 */
final class MultiCommand implements Callable<Integer> {
    private final PositionalParamSpec config = Specs.positional(0, "CONFIG", Path.class,
            "YAML file of several recipes ('---' between them); a recipe's name: makes its result an intermediate.").build();
    private final PositionalParamSpec out = Specs.positional(1, "OUT", Path.class,
            "Where the unnamed document's result goes (required when there is one).").arity("0..1").required(false).build();
    private final OptionSpec intermediateDir = Specs.option("--intermediate-dir", "DIR", Path.class, null,
            "Where each named document's result goes (DIR/<name>); created if missing.").names("--intermediate-dir", "-I")
            .required(true).build();
    private final OptionSpec noLazy = Specs.flag("--no-lazy",
            "Redo every merge, even one whose intermediate is already the result of the same recipe and inputs.");
    private final OptionSpec lazy = Specs.flag("--lazy", "Reuse intermediates made from the same recipe and inputs (the default; mergekit's flag).");
    private final OptionSpec outPath = Specs.option("--out-path", "OUT", Path.class, null, "OUT as mergekit-multi names it.").build();
    private final OptionSpec seed = Specs.option("--seed", "N", Long.class, null,
            "Seed for random methods (overrides every document's; default 0).").build();
    private final RunFlags run = new RunFlags();
    private final OutputFlags output = new OutputFlags();

    /** What this run does with a step, decided before any merge. */
    private record Decision(boolean merge, String reason, String key, boolean planned) {}

    CommandSpec spec() {
        CommandSpec spec = Specs.command(this, "multi", "Run a chain of merges from one YAML file of several recipes (mergekit-multi).");
        return output.addTo(run.addTo(Specs.add(spec, config, out, intermediateDir, noLazy, lazy, outPath, seed)));
    }

    @Override
    public Integer call() throws Exception {
        Path file = config.getValue();
        Path finalOut = out.getValue();
        if (outPath.getValue() != null) {
            if (finalOut != null && !finalOut.equals(outPath.getValue())) {
                throw new IllegalArgumentException("OUT is given twice, as " + finalOut + " and --out-path " + outPath.getValue());
            }
            finalOut = outPath.getValue();
        }
        if (lazy.<Boolean>getValue() && noLazy.<Boolean>getValue()) {
            throw new IllegalArgumentException("--lazy and --no-lazy contradict each other");
        }
        Path dir = intermediateDir.getValue();
        boolean json = run.json();
        String text = RecipeReader.readText(file);
        Chain chain = Chain.of(RecipeDocuments.parse(text, file.toString()), dir, finalOut, file.toString());
        MergeOptions opts = Runs.options(run, output, seed.getValue()).withNames(chain.names());
        List<Path> inputs = new ArrayList<>(checkInputs(chain, opts));
        inputs.add(file);
        Intermediates.requireSafePlace(dir, inputs);
        if (finalOut != null) {
            List<Path> kept = new ArrayList<>(inputs);
            kept.add(dir);
            kept.addAll(chain.names().values());
            OutputRun.checkTarget(finalOut, opts.run().overwrite(), kept);
        }
        boolean dryRun = output.dryRun();
        try (Intermediates held = dryRun ? null : Intermediates.open(dir)) {
            Map<Chain.Step, Decision> decisions = decide(chain, file, opts);
            if (dryRun) {
                return printPlans(chain, decisions, file, dir, opts, json);
            }
            try (CtrlC ctrlC = new CtrlC()) {
                MergeOptions cancellable = opts.withCancel(ctrlC.token());
                List<Chain.Step> order = chain.order();
                for (int i = 0; i < order.size(); i++) {
                    Chain.Step step = order.get(i);
                    Decision d = decisions.get(step);
                    announce(step, i, order.size(), d, dir, json);
                    if (d.merge()) {
                        merge(step, d, file, cancellable, json);
                    }
                }
                CtrlC.published(order.getLast().output());
                return ExitCodes.OK;
            }
        }
    }

    /**
     * The checks of every document that need no intermediate: its method and parameter names, and
     * every model it names that is no intermediate exists and opens. Returns those models' paths.
     */
    private static List<Path> checkInputs(Chain chain, MergeOptions opts) throws Exception {
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
                } catch (Exception e) {
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
    private Map<Chain.Step, Decision> decide(Chain chain, Path file, MergeOptions opts) throws Exception {
        boolean lazy = !(boolean) noLazy.getValue();
        Map<String, Boolean> redone = new HashMap<>();
        Map<Chain.Step, Decision> decisions = new HashMap<>();
        for (Chain.Step step : chain.order()) {
            try {
                boolean upstream = step.reads().stream().anyMatch(redone::get);
                String recorded = step.named() ? Intermediates.recordedKey(step.output()) : null;
                String key = null;
                if (!upstream) {
                    List<Path>[] read = new List[1];
                    long[] seedUsed = new long[1];
                    Exmerge.plan(source(step, file), null, opts, plan -> {
                        read[0] = plan.inputs();
                        seedUsed[0] = plan.seed();
                    });
                    key = step.named() ? Intermediates.key(step.doc(), read[0], seedUsed[0], opts) : null;
                }
                Decision d;
                if (!step.named()) {
                    d = new Decision(true, "OUT", null, !upstream);
                } else if (recorded == null) {
                    d = new Decision(true, "not written yet", key, !upstream);
                } else if (upstream) {
                    d = new Decision(true, "an intermediate it reads is redone", null, false);
                } else if (!lazy) {
                    d = new Decision(true, "--no-lazy", key, true);
                } else if (recorded.equals(key)) {
                    d = new Decision(false, "up to date", key, true);
                } else {
                    d = new Decision(true, "its recipe or inputs changed", key, true);
                }
                decisions.put(step, d);
                if (step.named()) {
                    redone.put(step.doc().name(), d.merge());
                }
            } catch (Exception e) {
                throw wrapped(step, e);
            }
        }
        return decisions;
    }

    private void merge(Chain.Step step, Decision d, Path file, MergeOptions opts, boolean json) throws Exception {
        try {
            MergeOptions these = opts;
            if (step.named()) {
                String key = d.key();
                if (key == null || !d.planned()) {
                    // planned now that the intermediates it reads are written
                    List<Path>[] read = new List[1];
                    long[] seedUsed = new long[1];
                    Exmerge.plan(source(step, file), null, opts, plan -> {
                        read[0] = plan.inputs();
                        seedUsed[0] = plan.seed();
                    });
                    key = Intermediates.key(step.doc(), read[0], seedUsed[0], opts);
                }
                // Only multi's own intermediate is there to replace (recordedKey refused anything else).
                boolean replace = Intermediates.recordedKey(step.output()) != null;
                these = opts.withRun(opts.run().withOverwrite(replace)).withMetadata(Map.of(Intermediates.KEY, key));
            }
            Runs.merge(source(step, file), step.output(), these, json);
        } catch (Exception e) {
            throw wrapped(step, e);
        }
    }

    private int printPlans(Chain chain, Map<Chain.Step, Decision> decisions, Path file, Path dir, MergeOptions opts, boolean json)
            throws Exception {
        List<Chain.Step> order = chain.order();
        if (!json) {
            List<String> labels = order.stream().map(s -> s.named() ? s.doc().name() : "(unnamed)").toList();
            System.out.print(Plain.format("order: %s%n", String.join(", ", labels)));
        }
        for (int i = 0; i < order.size(); i++) {
            Chain.Step step = order.get(i);
            Decision d = decisions.get(step);
            announce(step, i, order.size(), d, dir, json);
            if (d.merge() && d.planned()) {
                try {
                    boolean replace = step.named() && Intermediates.recordedKey(step.output()) != null;
                    MergeOptions these = step.named() ? opts.withRun(opts.run().withOverwrite(replace)) : opts;
                    Runs.dryRun(source(step, file), step.output(), these, json);
                } catch (Exception e) {
                    throw wrapped(step, e);
                }
            } else if (d.merge() && !json) {
                System.out.print(Plain.format("  reads %s, which this run writes first: planned once it is written%n",
                        String.join(", ", step.reads())));
            }
        }
        return ExitCodes.OK;
    }

    /** The step's line (or {@code document} event): what it merges, where to, or that it is skipped. */
    private void announce(Chain.Step step, int index, int total, Decision d, Path dir, boolean json) {
        var recipe = step.doc().recipe();
        List<String> models = recipe.modelNames(); // the base model included: every model it reads
        Path shown = step.named() ? dir.resolve(step.doc().name()) : step.output();
        if (json) {
            var event = CliProgress.event("document").put("index", index + 1).put("documents", total);
            if (step.named()) {
                event.put("name", step.doc().name());
            }
            CliProgress.emit(event.put("number", step.doc().number()).put("method", recipe.mergeMethod()).put("models", models.size())
                    .put("output", step.output().toString()).put("action", d.merge() ? "merge" : "skip").put("reason", d.reason()));
            return;
        }
        String name = step.named() ? step.doc().name() : "(unnamed)";
        if (d.merge()) {
            System.out.print(Plain.format("[%d/%d] %s: %s of %d model%s → %s (%s)%n", index + 1, total, name, recipe.mergeMethod(),
                    models.size(), models.size() == 1 ? "" : "s", shown, d.reason()));
        } else {
            System.out.print(Plain.format("[%d/%d] %s: skipped: %s (%s)%n", index + 1, total, name, d.reason(), shown));
        }
    }

    private static Exmerge.Source source(Chain.Step step, Path file) {
        return new Exmerge.Source(step.doc().recipe(), step.doc().text(), file);
    }

    private static Exception wrapped(Chain.Step step, Exception e) {
        DocumentException d = DocumentException.of(step.label(), e);
        return d != null ? d : e;
    }
}
