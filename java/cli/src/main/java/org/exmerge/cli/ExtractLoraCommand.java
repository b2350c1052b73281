package org.exmerge.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.exmerge.engine.ModelLocator;
import org.exmerge.engine.RunOptions;
import org.exmerge.error.UsageException;
import org.exmerge.extract.ExtractOptions;
import org.exmerge.extract.ExtractReport;
import org.exmerge.extract.LoraExtraction;
import org.exmerge.format.DType;
import org.exmerge.text.Plain;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/** {@code exmerge extract-lora --base B --model FT OUT}: mergekit-extract-lora's job, a PEFT LoRA adapter out of a fine-tune. */
final class ExtractLoraCommand implements Callable<Integer> {
    private final PositionalParamSpec out = Specs.positional(0, "OUT", Path.class, "Adapter directory to write.")
            .arity("0..1").required(false).build();
    private final OptionSpec outPath = Specs.option("--out-path", "OUT", Path.class, null, "OUT as mergekit-extract-lora names it.").build();
    private final OptionSpec base = Specs.option("--base", "MODEL", String.class, null,
            "The base model the fine-tune started from (a path, or a hub name org/name[@revision] in the Hugging Face cache).")
            .names("--base", "--base-model").required(true).build();
    private final OptionSpec model = Specs.option("--model", "MODEL", String.class, null, "The fine-tuned model (a path or hub name).")
            .required(true).build();
    private final OptionSpec hubCache = Specs.option("--hub-cache", "DIR", Path.class, null,
            "Hugging Face cache that hub names resolve in; nothing is downloaded (default as merge's).").build();
    private final OptionSpec maxRank = Specs.option("--max-rank", "R", int.class, ExtractOptions.DEFAULT_MAX_RANK,
            "Largest rank of a module's pair (default 128, as mergekit); a smaller matrix gets its smaller dimension.").build();
    private final OptionSpec svEpsilon = Specs.option("--sv-epsilon", "E", double.class, 0.0,
            "Drop singular values at or below E (default 0: keep the rank). Every module is then decomposed before the"
                    + " first is written, and the factors are held in memory until written.").build();
    private final OptionSpec noDistribute = Specs.flag("--no-distribute-scale",
            "A = S·Vᵀ, B = U (default, as mergekit: A = √S·Vᵀ, B = U·√S).");
    private final OptionSpec distribute = Specs.flag("--distribute-scale", "A = √S·Vᵀ, B = U·√S (the default; mergekit's flag).");
    private final OptionSpec noEmbedLora = Specs.flag("--no-embed-lora", "Save the embeddings whole (the default; mergekit's flag).");
    private final OptionSpec embedLora = Specs.flag("--embed-lora",
            "Decompose the input embedding (lora_embedding_A/B) and lm_head too, instead of saving them whole.");
    private final OptionSpec include = Specs.list("--include-regex", "REGEX", String.class,
            "Decompose only modules whose name this Java regex finds (repeat: any).").names("--include-regex", "-i").build();
    private final OptionSpec exclude = Specs.list("--exclude-regex", "REGEX", String.class,
            "Leave out modules whose name this Java regex finds (repeat: any).").names("--exclude-regex", "-e").build();
    private final OptionSpec saveModule = Specs.list("--save-module", "NAME", String.class,
            "Save this module (full or leaf name) whole, as modules_to_save (repeat).").build();
    private final OptionSpec outType = Specs.option("--out-dtype", "TYPE", DType.class, null,
            "Type of the saved tensors (default: each fine-tune tensor's own).").converters(new DTypes()).build();
    private final OptionSpec noCard = Specs.flag("--no-model-card",
            "Write no README.md model card beside the adapter (written by default, as mergekit does).");
    private final OptionSpec dryRun = Specs.flag("--dry-run",
            "Check everything and print what would be written (the modules, their ranks, memory, output size); decompose and write nothing.");
    private final RunFlags run = new RunFlags(false);

    CommandSpec spec() {
        CommandSpec spec = Specs.command(this, "extract-lora",
                "Extract a PEFT LoRA adapter from a fine-tune: each linear weight's change from the base, by truncated SVD.",
                "Writes OUT/adapter_config.json and OUT/adapter_model.safetensors (mergekit-extract-lora's output).");
        return run.addTo(Specs.add(spec, out, outPath, base, model, maxRank, svEpsilon, noDistribute, distribute, embedLora,
                noEmbedLora, include, exclude, saveModule, outType, hubCache, noCard, dryRun));
    }

    @Override
    public Integer call() throws Exception {
        RunOptions runOpts = run.run(RunOptions.DEFAULT_SHARD_BYTES);
        if (runOpts.allowNonfinite()) {
            // A shared run flag: extraction writes no merged value, and an SVD of a non-finite Δ has no meaning.
            throw new UsageException("--allow-nonfinite does not apply to extract-lora: a change from the base that is infinite"
                    + " or NaN cannot be decomposed");
        }
        ExtractOptions opts = ExtractOptions.defaults().withMaxRank(maxRank.<Integer>getValue()).withSvEpsilon(svEpsilon.<Double>getValue())
                .withModules(embedLora.<Boolean>getValue(), patterns(include, "--include-regex"), patterns(exclude, "--exclude-regex"),
                        strings(saveModule))
                .withFactors(!noDistribute.<Boolean>getValue(), outType.getValue()).withBackend(run.backend()).withRun(runOpts)
                .withModelCard(!noCard.<Boolean>getValue());
        if (distribute.<Boolean>getValue() && noDistribute.<Boolean>getValue()) {
            throw new IllegalArgumentException("--distribute-scale and --no-distribute-scale contradict each other");
        }
        if (embedLora.<Boolean>getValue() && noEmbedLora.<Boolean>getValue()) {
            throw new IllegalArgumentException("--embed-lora and --no-embed-lora contradict each other");
        }
        Path target = out.getValue();
        if (outPath.getValue() != null) {
            if (target != null && !target.equals(outPath.getValue())) {
                throw new IllegalArgumentException("OUT is given twice, as " + target + " and --out-path " + outPath.getValue());
            }
            target = outPath.getValue();
        }
        if (target == null) {
            throw new IllegalArgumentException("missing OUT (the adapter directory to write)");
        }
        ExtractReport report = new ExtractReport();
        Path cache = hubCache.getValue() != null ? hubCache.getValue() : ModelLocator.defaultHubCache();
        ModelLocator locator = new ModelLocator(Path.of(""), cache);
        if (dryRun.<Boolean>getValue()) {
            ExtractDryRun.print(base.<String>getValue(), model.<String>getValue(), locator, target, opts, report, run.json());
            return ExitCodes.OK;
        }
        CliProgress progress = new CliProgress("extract-lora", run.json()).withDoneFields(e -> doneFields(e, report));
        try (CtrlC ctrlC = new CtrlC()) {
            LoraExtraction.run(base.<String>getValue(), model.<String>getValue(), locator, target,
                    opts.withCancel(ctrlC.token()), progress, report);
            CtrlC.published(target);
        } finally {
            progress.abandon();
        }
        if (!run.json()) {
            summary(report);
        }
        return ExitCodes.OK;
    }

    /** rank_min, rank_max and captured are absent when nothing was decomposed (captured counts the modules --sv-epsilon dropped, at 0). */
    private static void doneFields(ObjectNode e, ExtractReport r) {
        e.put("modules", r.modules().size());
        if (!r.modules().isEmpty()) {
            e.put("rank_min", r.minRank()).put("rank_max", r.maxRank());
        }
        if (!Double.isNaN(r.captured())) {
            e.put("captured", r.captured());
        }
        String worst = r.worst();
        if (worst != null) {
            e.put("worst_module", worst).put("worst_captured", r.modules().get(worst).captured());
        }
        e.put("unchanged", r.unchanged().size());
        r.dropped().forEach(e.putArray("dropped")::add);
        r.modulesToSave().forEach(e.putArray("modules_to_save")::add);
        ObjectNode notCarried = e.putObject("not_carried");
        r.notCarried().forEach(notCarried::put);
    }

    /** The numbers that choose a rank: how much of ‖Δ‖² the kept rank holds, overall and where least. */
    private static void summary(ExtractReport r) {
        String worst = r.worst();
        String ranks = r.minRank() == r.maxRank() ? Integer.toString(r.maxRank()) : r.minRank() + ".." + r.maxRank();
        if (!r.modules().isEmpty()) {
            System.out.print(Plain.format("extract-lora: %d modules decomposed at rank %s; the rank holds %.2f%% of ‖Δ‖² overall%s%n",
                    r.modules().size(), ranks, 100 * r.captured(),
                    worst == null ? "" : Plain.format(", %.2f%% of %s's (the least)", 100 * r.modules().get(worst).captured(), worst)));
        } else {
            // peft 0.4 refuses such a config ("Target modules [] not found in the base model"); newer ones may too.
            System.out.print(Plain.format("extract-lora: no module decomposed, no LoRA pair written (target_modules is empty; older peft"
                    + " versions refuse that)%s%n", r.dropped().isEmpty() ? "" : "; 0.00% of the changed modules' ‖Δ‖² is held"));
        }
        if (!r.unchanged().isEmpty()) {
            System.out.print(Plain.format("extract-lora: %d modules unchanged from the base, no pair written: %s%n", r.unchanged().size(),
                    Plain.firstFew(r.unchanged())));
        }
        if (!r.dropped().isEmpty()) {
            System.out.print(Plain.format("extract-lora: %d modules with no singular value above --sv-epsilon, no pair written: %s%n",
                    r.dropped().size(), Plain.firstFew(r.dropped())));
        }
        if (!r.notCarried().isEmpty()) {
            List<String> named = r.notCarried().entrySet().stream().map(e -> e.getKey() + " (" + e.getValue() + ")").toList();
            System.out.print(Plain.format("extract-lora: %d changed tensors an adapter cannot carry, left out: %s%n", named.size(),
                    Plain.firstFew(named)));
        }
        if (!r.modulesToSave().isEmpty()) {
            System.out.print(Plain.format("extract-lora: saved whole (modules_to_save, %d tensors): %s%s%n", r.savedTensors(),
                    String.join(", ", r.modulesToSave()), r.vocabDiffers() ? " (the vocabularies differ, so the embeddings go whole)" : ""));
        }
    }


    private static List<String> strings(OptionSpec o) {
        List<String> v = o.getValue();
        return v == null ? List.of() : v;
    }

    private static List<Pattern> patterns(OptionSpec o, String name) {
        return strings(o).stream().map(s -> {
            try {
                return Pattern.compile(s);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException(name + " '" + s + "' is not a Java regular expression: " + e.getDescription());
            }
        }).toList();
    }
}
