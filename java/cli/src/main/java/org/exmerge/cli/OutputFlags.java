package org.exmerge.cli;

import java.nio.file.Path;
import org.exmerge.engine.ModelLocator;
import org.exmerge.engine.RunOptions;
import org.exmerge.format.DType;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** Flags of the commands that write a merged model. */
final class OutputFlags {
    private final OptionSpec shardBytes = Specs.option("--out-shard-size", "SIZE", long.class, RunOptions.DEFAULT_SHARD_BYTES,
            "Largest shard of tensor data (default 5GB, as HF and mergekit).").converters(new Sizes()).build();
    private final OptionSpec outType = Specs.option("--out-dtype", "TYPE", DType.class, null,
            "Output type of float tensors (overrides the config; default: the base model's).").converters(new DTypes()).build();
    private final OptionSpec noCard = Specs.flag("--no-model-card",
            "Write no README.md model card and no mergekit_config.yml beside the model (written by default, as mergekit does).");
    private final OptionSpec dryRun = Specs.flag("--dry-run", "Check everything and print the plan; write nothing.");
    private final OptionSpec modelsDir = Specs.option("--models-dir", "DIR", Path.class, Path.of(""),
            "Resolve relative model paths here (default: the working directory).").build();
    private final OptionSpec hubCache = Specs.option("--hub-cache", "DIR", Path.class, null,
            "Hugging Face cache that model names which are no local path (org/name[@revision]) resolve in; nothing is"
                    + " downloaded (default: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub).").build();

    /** Adds these flags to {@code spec}. */
    CommandSpec addTo(CommandSpec spec) {
        return Specs.add(spec, shardBytes, outType, noCard, dryRun, modelsDir, hubCache);
    }

    long shardBytes() {
        return shardBytes.getValue();
    }

    /** The output type --out-dtype asks for, or null (the config's, else the base model's). */
    DType outType() {
        return outType.getValue();
    }

    /** Whether the output carries its model card and recipe file. */
    boolean modelCard() {
        return !noCard.<Boolean>getValue();
    }

    boolean dryRun() {
        return dryRun.getValue();
    }

    Path modelsDir() {
        return modelsDir.getValue();
    }

    /** The hub cache --hub-cache names, else huggingface_hub's. */
    Path hubCache() {
        Path p = hubCache.getValue();
        return p != null ? p : ModelLocator.defaultHubCache();
    }
}
