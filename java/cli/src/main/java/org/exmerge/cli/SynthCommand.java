package org.exmerge.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.exmerge.engine.RunOptions;
import org.exmerge.format.DType;
import org.exmerge.synth.LlamaShape;
import org.exmerge.synth.Synth;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "synth", mixinStandardHelpOptions = true, description = {"Generate a Llama-shaped base model and fine-tuned variants (real safetensors, real shapes).",
        "Writes OUT/base, OUT/sft-1 … OUT/sft-N (and OUT/target with --target)."})
final class SynthCommand implements Callable<Integer> {
    @Parameters(paramLabel = "OUT", description = "Directory to create the models in.")
    Path out;

    @Option(names = "--size", paramLabel = "SIZE", converter = Sizes.class, description = "Approximate size of each model (default 64MB).")
    long size = 64_000_000L;

    @Option(names = "--finetunes", paramLabel = "N", description = "How many fine-tuned variants (default 2).")
    int finetunes = 2;

    @Option(names = "--dtype", paramLabel = "TYPE", converter = DTypes.class, description = "Weight type (default bfloat16).")
    DType dtype = DType.BF16;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the generated values (default 0).")
    long seed;

    @Option(names = "--out-shard-size", paramLabel = "SIZE", converter = Sizes.class, description = "Largest shard (default 5GB).")
    long shardBytes = RunOptions.DEFAULT_SHARD_BYTES;

    @Option(names = "--target", description = {"Also write OUT/target: a model the fine-tunes point toward but fall short of, for",
            "`search … --evaluator reference:OUT/target`. Extrapolating helps up to a point (best α: 0.3 for sft-1,",
            "0.2 for sft-2; sft-1 is the better fine-tune) and mixing the two extrapolations helps further."})
    boolean target;

    @Mixin
    RunFlags run;

    @Override
    public Integer call() throws Exception {
        if (finetunes < 0) {
            throw new IllegalArgumentException("--finetunes must be ≥ 0");
        }
        LlamaShape shape = LlamaShape.forBytes(size, dtype);
        System.err.printf("synth: Llama shape %s, %,d parameters per model%n", shape, shape.params());
        try (CtrlC ctrlC = new CtrlC()) {
            Synth.write(out, shape, dtype, finetunes, seed, run.run(shardBytes), new CliProgress("synth", run.json), ctrlC.token());
            if (target) {
                Synth.writeTarget(out, shape, dtype, finetunes, seed, run.run(shardBytes), new CliProgress("synth", run.json),
                        ctrlC.token());
            }
        }
        return ExitCodes.OK;
    }
}
