package org.exmerge.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.exmerge.Exmerge;
import org.exmerge.MergeOptions;
import org.exmerge.engine.MemoryBudget;
import org.exmerge.engine.MergeExecutor;
import org.exmerge.engine.OutputRun;
import org.exmerge.engine.PlannedTensor;
import org.exmerge.error.BudgetException;
import org.exmerge.method.TensorPlan;
import org.exmerge.text.Plain;

/** Runs a merge (or prints its plan) with Ctrl-C handling and progress display: merge and exme share it. */
final class Runs {
    private Runs() {}

    static int mergeOrPlan(Exmerge.Source src, Path out, RunFlags run, OutputFlags output, Long seed) throws Exception {
        MergeOptions opts = options(run, output, seed);
        if (output.dryRun()) {
            return dryRun(src, out, opts, run.json());
        }
        try (CtrlC ctrlC = new CtrlC()) {
            merge(src, out, opts.withCancel(ctrlC.token()), run.json());
            CtrlC.published(out);
            return ExitCodes.OK;
        }
    }

    /** The merge options the flags give. */
    static MergeOptions options(RunFlags run, OutputFlags output, Long seed) {
        return MergeOptions.defaults().withModelsDir(output.modelsDir()).withHubCache(output.hubCache()).withOutType(output.outType())
                .withSeed(seed).withBackend(run.backend()).withRun(run.run(output.shardBytes())).withModelCard(output.modelCard());
    }

    /** One merge with its progress shown; {@code opts} carries the cancel token of the caller's {@link CtrlC}. */
    static void merge(Exmerge.Source src, Path out, MergeOptions opts, boolean json) throws Exception {
        CliProgress progress = new CliProgress("merge", json);
        try {
            Exmerge.merge(src, out, opts, progress);
        } finally {
            progress.abandon();
        }
    }

    /**
     * Plans and checks without writing: the plan as text on stdout, or with {@code json} as one
     * {@code plan} event (json-events.md), after a {@code notice} per decision the fit made.
     */
    static int dryRun(Exmerge.Source src, Path out, MergeOptions opts, boolean json) throws Exception {
        long[] outputBytes = {0};
        BudgetException[] refused = new BudgetException[1];
        ObjectNode event = CliProgress.event("plan");
        Exmerge.plan(src, out, opts, plan -> {
            MemoryBudget.Fit fit;
            try {
                fit = MergeExecutor.fit(plan, opts.run());
            } catch (BudgetException e) {
                refused[0] = e; // the run would stop here too: exit 2 as it would
                return;
            }
            List<TensorPlan> plans = plan.tensors().stream().map(PlannedTensor::plan).toList();
            outputBytes[0] = OutputRun.fileBytes(plan.tensors().stream().map(PlannedTensor::spec).toList(), opts.run(),
                    MergeExecutor.withRunMetadata(plan.metadata(), plans, plan.seed()));
            if (json) {
                plan.ignored().forEach(i -> CliProgress.emit(CliProgress.event("notice").put("message", i.notice())));
                fit.notices().forEach(n -> CliProgress.emit(CliProgress.event("notice").put("message", n)));
                event.put("task", "merge").put("method", plan.method()).put("seed", plan.seed()).put("tensors", plan.tensors().size())
                        .put("output_bytes", plan.outputBytes()).put("input_bytes", plan.inputBytes()).put("threads", fit.threads())
                        .put("chunk_bytes", fit.chunkBytes()).put("memory_bytes", fit.needBytes()).put("budget_bytes", fit.budgetBytes());
                return;
            }
            System.out.print(Plain.format("method %s, seed %d, %d tensors, %s to write, %s to read%n", plan.method(), plan.seed(),
                    plan.tensors().size(), Sizes.human(plan.outputBytes()), Sizes.human(plan.inputBytes())));
            plan.ignored().forEach(i -> System.err.println("merge: " + i.notice()));
            fit.notices().forEach(n -> System.err.println("merge: " + n));
            System.out.print(Plain.format("memory: %d threads, %s chunks, %s of a %s budget%s%n", fit.threads(),
                    Sizes.human(fit.chunkBytes()), Sizes.human(fit.needBytes()), Sizes.human(fit.budgetBytes()),
                    fit.bindAhead() ? "" : "; tensors bound in turn"));
            if (plan.vocab() != null) {
                System.out.print(Plain.format("%s%n", plan.vocab().describe()));
            }
            plan.adapters().forEach(line -> System.out.print(Plain.format("%s%n", line)));
            plan.tiedReads().forEach(line -> System.out.print(Plain.format("%s%n", line)));
            MergeExecutor.withRunMetadata(Map.of(), plans, plan.seed())
                    .forEach((k, v) -> System.out.print(Plain.format("records %s = %s%n", k, v)));
            for (PlannedTensor t : plan.tensors()) {
                System.out.print(Plain.format("  %-56s %-5s %-16s %s%n", t.name(), t.type(), Arrays.toString(t.shape()),
                        t.plan().describe()));
            }
        });
        if (refused[0] != null) {
            throw refused[0];
        }
        // The checks a real run makes before writing: a writable directory with room for OUT's files.
        long free = OutputRun.preflight(out, outputBytes[0]);
        Path where = out.toAbsolutePath().normalize();
        if (json) {
            event.put("output", where.toString()).put("file_bytes", outputBytes[0]);
            if (free >= 0) {
                event.put("free_bytes", free);
            }
            CliProgress.emit(event);
            return ExitCodes.OK;
        }
        System.out.print(Plain.format("output %s: %s to write, %s%n", where, Sizes.human(outputBytes[0]),
                free < 0 ? "free space not reported by its file system" : Sizes.human(free) + " free: enough room"));
        return ExitCodes.OK;
    }
}
