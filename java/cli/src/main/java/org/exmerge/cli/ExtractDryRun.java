package org.exmerge.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Arrays;
import org.exmerge.engine.ModelLocator;
import org.exmerge.engine.OutputRun;
import org.exmerge.engine.ProgressListener;
import org.exmerge.extract.ExtractOptions;
import org.exmerge.extract.ExtractReport;
import org.exmerge.extract.LoraExtraction;
import org.exmerge.format.TensorSpec;
import org.exmerge.text.Plain;

/** {@code extract-lora --dry-run}: what the extraction would write, as text or one {@code plan} event; nothing decomposed or written. */
final class ExtractDryRun {
    private ExtractDryRun() {}

    static void print(String base, String model, ModelLocator locator, Path out, ExtractOptions opts, ExtractReport report,
                      boolean json) throws Exception {
        ObjectNode event = CliProgress.event("plan");
        LoraExtraction.Outline o = LoraExtraction.outline(base, model, locator, out, opts, new ProgressListener() {
            @Override
            public void notice(String message) {
                if (json) {
                    CliProgress.emit(CliProgress.event("notice").put("message", message));
                } else {
                    System.err.println("extract-lora: " + message);
                }
            }
        }, report);
        long free = OutputRun.preflight(out, o.outputBytes());
        Path where = out.toAbsolutePath().normalize();
        int modules = (int) o.tensors().stream().filter(t -> t.name().endsWith(".lora_A.weight") || t.name().endsWith(".lora_embedding_A"))
                .count();
        boolean upTo = opts.svEpsilon() > 0;
        long data = o.tensors().stream().mapToLong(TensorSpec::byteSize).sum();
        if (json) {
            event.put("task", "extract-lora").put("tensors", o.tensors().size()).put("output_bytes", data)
                    .put("input_bytes", o.inputBytes()).put("threads", o.threads()).put("chunk_bytes", opts.run().chunkBytes())
                    .put("budget_bytes", o.budgetBytes()).put("modules", modules).put("window", o.window());
            if (o.largest() != null) {
                event.put("largest_module", o.largest()).put("largest_bytes", o.largestBytes());
            }
            report.modulesToSave().forEach(event.putArray("modules_to_save")::add);
            event.put("unchanged", report.unchanged().size());
            if (!report.notCarried().isEmpty()) {
                ObjectNode nc = event.putObject("not_carried");
                report.notCarried().forEach(nc::put);
            }
            if (upTo) {
                event.put("upper_bounds", true);
            }
            event.put("output", where.toString()).put("file_bytes", o.outputBytes());
            if (free >= 0) {
                event.put("free_bytes", free);
            }
            CliProgress.emit(event);
            return;
        }
        System.out.print(Plain.format("extract-lora: %d modules to decompose, rank %s%d each%s; %d tensors, %s to write, %s to read%n",
                modules, upTo ? "at most " : "", opts.maxRank(), upTo ? " (--sv-epsilon decides each module's when it is decomposed)" : "",
                o.tensors().size(), Sizes.human(data), Sizes.human(o.inputBytes())));
        if (upTo) {
            System.out.print(Plain.format("with --sv-epsilon the sizes are upper bounds, and a run refuses when every module's values"
                    + " are dropped%n"));
        }
        if (!report.modulesToSave().isEmpty()) {
            System.out.print(Plain.format("saved whole (modules_to_save): %s%n", String.join(", ", report.modulesToSave())));
        }
        if (!report.unchanged().isEmpty()) {
            System.out.print(Plain.format("unchanged from the base, no pair: %s%n", Plain.firstFew(report.unchanged())));
        }
        report.notCarried().forEach((name, why) -> System.out.print(Plain.format("not carried: %s (%s)%n", name, why)));
        System.out.print(Plain.format("memory: %d threads, %d module%s decomposed at once%s of a %s budget%n", o.threads(), o.window(),
                o.window() == 1 ? "" : "s", o.largest() == null ? "" : Plain.format("; the largest, %s, needs %s", o.largest(),
                        Sizes.human(o.largestBytes())), Sizes.human(o.budgetBytes())));
        for (TensorSpec t : o.tensors()) {
            System.out.print(Plain.format("  %-72s %-5s %s%n", t.name(), t.dtype(), Arrays.toString(t.shape())));
        }
        System.out.print(Plain.format("output %s: %s to write, %s%n", where, Sizes.human(o.outputBytes()),
                free < 0 ? "free space not reported by its file system" : Sizes.human(free) + " free: enough room"));
    }

}
