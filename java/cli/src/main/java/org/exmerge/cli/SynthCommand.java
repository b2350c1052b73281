package org.exmerge.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.exmerge.engine.RunOptions;
import org.exmerge.format.DType;
import org.exmerge.synth.LlamaShape;
import org.exmerge.synth.Synth;
import org.exmerge.synth.SynthLora;
import org.exmerge.text.Plain;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

final class SynthCommand implements Callable<Integer> {
    private final PositionalParamSpec out = Specs.positional(0, "OUT", Path.class, "Directory to create the models in.").build();
    private final OptionSpec size = Specs.option("--size", "SIZE", long.class, 64_000_000L,
            "Approximate size of each model (default 64MB).").converters(new Sizes()).build();
    private final OptionSpec finetunes = Specs.option("--finetunes", "N", int.class, 2, "How many fine-tuned variants (default 2).").build();
    private final OptionSpec dtype = Specs.option("--dtype", "TYPE", DType.class, DType.BF16, "Weight type (default bfloat16).").converters(new DTypes()).build();
    private final OptionSpec seed = Specs.option("--seed", "N", long.class, 0L, "Seed of the generated values (default 0).").build();
    private final OptionSpec shardBytes = Specs.option("--out-shard-size", "SIZE", long.class, RunOptions.DEFAULT_SHARD_BYTES,
            "Largest shard (default 5GB).").converters(new Sizes()).build();
    private final OptionSpec target = Specs.flag("--target",
            "Also write OUT/target: a model the fine-tunes point toward but fall short of, for",
            "`search … --evaluator reference:OUT/target`. Extrapolating helps up to a point (best α: 0.3 for sft-1,",
            "0.2 for sft-2; sft-1 is the better fine-tune) and mixing the two extrapolations helps further.");
    private final OptionSpec lora = Specs.option("--lora", "R", Integer.class, null,
            "Also write OUT/lora-1: a PEFT LoRA adapter of rank R (lora_alpha 2R) for OUT/base, on every linear",
            "weight of every layer, that changes the base about as much as the fine-tunes do; merge it as",
            "`model: OUT/base+OUT/lora-1` (examples/lora.yaml).").build();
    private final RunFlags run = new RunFlags();

    CommandSpec spec() {
        CommandSpec spec = Specs.command(this, "synth",
                "Generate a Llama-shaped base model and fine-tuned variants (real safetensors, real shapes).",
                "Writes OUT/base, OUT/sft-1 … OUT/sft-N (and OUT/target with --target, OUT/lora-1 with --lora).");
        return run.addTo(Specs.add(spec, out, size, finetunes, dtype, seed, shardBytes, target, lora));
    }

    @Override
    public Integer call() throws Exception {
        int finetunes = this.finetunes.getValue();
        if (finetunes < 0) {
            throw new IllegalArgumentException("--finetunes must be ≥ 0");
        }
        DType dtype = this.dtype.getValue();
        Path out = this.out.getValue();
        long seed = this.seed.getValue();
        long shardBytes = this.shardBytes.getValue();
        LlamaShape shape = LlamaShape.forBytes(size.getValue(), dtype);
        Integer rank = lora.getValue();
        if (rank != null && (rank < 1 || rank > SynthLora.maxRank(shape))) {
            throw new IllegalArgumentException("--lora must be between 1 and " + SynthLora.maxRank(shape)
                    + " (the smallest dimension of the adapted weights at this --size), not " + rank);
        }
        System.err.print(Plain.format("synth: Llama shape %s, %,d parameters per model%n", shape, shape.params()));
        CliProgress progress = new CliProgress("synth", run.json());
        try (CtrlC ctrlC = new CtrlC()) {
            Synth.write(out, shape, dtype, finetunes, rank == null ? 0 : rank, target.<Boolean>getValue(), seed, run.run(shardBytes),
                    progress, ctrlC.token());
        } finally {
            progress.abandon();
        }
        return ExitCodes.OK;
    }
}
