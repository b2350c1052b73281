package org.exmerge.cli;

import java.nio.file.Path;
import org.exmerge.engine.RunOptions;
import org.exmerge.format.DType;
import picocli.CommandLine.Option;

/** Flags of the commands that write a merged model. */
final class OutputFlags {
    @Option(names = "--out-shard-size", paramLabel = "SIZE", converter = Sizes.class,
            description = "Largest shard of tensor data (default 5GB, as HF and mergekit).")
    long shardBytes = RunOptions.DEFAULT_SHARD_BYTES;

    @Option(names = "--out-dtype", paramLabel = "TYPE", converter = DTypes.class,
            description = "Output type of float tensors (overrides the config; default: the base model's).")
    DType outType;

    @Option(names = "--dry-run", description = "Check everything and print the plan; write nothing.")
    boolean dryRun;

    @Option(names = "--models-dir", paramLabel = "DIR",
            description = "Resolve relative model paths here (default: the working directory).")
    Path modelsDir = Path.of("");
}
