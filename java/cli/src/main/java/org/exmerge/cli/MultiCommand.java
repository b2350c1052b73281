package org.exmerge.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import org.exmerge.MergeOptions;
import org.exmerge.multi.Chain;
import org.exmerge.multi.DocumentException;
import org.exmerge.multi.MultiRun;
import org.exmerge.text.Plain;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * {@code exmerge multi}: the documents of one YAML file merged in dependency order, each as
 * {@code merge} merges a recipe, named results in the intermediate directory (mergekit-multimerge),
 * through {@link MultiRun}, with each step announced and each merge's progress shown.
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
        MergeOptions opts = Runs.options(run, output, seed.getValue());
        boolean lazyRun = !(boolean) noLazy.getValue();
        if (output.dryRun()) {
            try (MultiRun chain = MultiRun.open(file, dir, finalOut, opts, lazyRun, false)) {
                return printPlans(chain, dir, json);
            }
        }
        try (CtrlC ctrlC = new CtrlC();
                MultiRun chain = MultiRun.open(file, dir, finalOut, opts.withCancel(ctrlC.token()), lazyRun, true)) {
            List<MultiRun.Step> steps = chain.steps();
            for (int i = 0; i < steps.size(); i++) {
                MultiRun.Step step = steps.get(i);
                announce(step, i, steps.size(), dir, json);
                if (step.merge()) {
                    CliProgress progress = new CliProgress("merge", json);
                    try {
                        chain.merge(step, progress);
                    } catch (CancellationException c) {
                        long kept = steps.subList(0, i).stream().filter(s -> s.merge() && s.named()).count();
                        throw new ExitCodes.CancelledStep(step.chain().label() + ": cancelled; its output was not written"
                                + (kept == 0 ? "" : kept == 1 ? "; the intermediate merged before it is kept for the next run"
                                        : "; the " + kept + " intermediates merged before it are kept for the next run"));
                    } finally {
                        progress.abandon();
                    }
                }
            }
            CtrlC.published(steps.getLast().output());
            return ExitCodes.OK;
        }
    }

    private static int printPlans(MultiRun chain, Path dir, boolean json) throws Exception {
        List<MultiRun.Step> steps = chain.steps();
        if (!json) {
            List<String> labels = steps.stream().map(s -> s.named() ? s.chain().doc().name() : "(unnamed)").toList();
            System.out.print(Plain.format("order: %s%n", String.join(", ", labels)));
        }
        for (int i = 0; i < steps.size(); i++) {
            MultiRun.Step step = steps.get(i);
            announce(step, i, steps.size(), dir, json);
            if (step.merge() && step.planned()) {
                try {
                    Runs.dryRun(chain.source(step), step.output(), chain.options(step), json);
                } catch (Exception e) {
                    DocumentException d = DocumentException.of(step.chain().label(), e);
                    throw d != null ? d : e;
                }
            } else if (step.merge() && !json) {
                System.out.print(Plain.format("  reads %s, which this run writes first: planned once it is written%n",
                        String.join(", ", step.chain().reads())));
            }
        }
        return ExitCodes.OK;
    }

    /** The step's line (or {@code document} event): what it merges, where to, or that it is skipped. */
    private static void announce(MultiRun.Step s, int index, int total, Path dir, boolean json) {
        Chain.Step step = s.chain();
        var recipe = step.doc().recipe();
        List<String> models = recipe.modelNames(); // the base model included: every model it reads
        Path shown = step.named() ? dir.resolve(step.doc().name()) : step.output();
        if (json) {
            var event = CliProgress.event("document").put("index", index + 1).put("documents", total);
            if (step.named()) {
                event.put("name", step.doc().name());
            }
            CliProgress.emit(event.put("number", step.doc().number()).put("method", recipe.mergeMethod()).put("models", models.size())
                    .put("output", step.output().toString()).put("action", s.merge() ? "merge" : "skip").put("reason", s.reason()));
            return;
        }
        String name = step.named() ? step.doc().name() : "(unnamed)";
        if (s.merge()) {
            System.out.print(Plain.format("[%d/%d] %s: %s of %d model%s → %s (%s)%n", index + 1, total, name, recipe.mergeMethod(),
                    models.size(), models.size() == 1 ? "" : "s", shown, s.reason()));
        } else {
            System.out.print(Plain.format("[%d/%d] %s: skipped: %s (%s)%n", index + 1, total, name, s.reason(), shown));
        }
    }
}
