package org.exmerge.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.exmerge.Exmerge;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

final class MergeCommand implements Callable<Integer> {
    private final PositionalParamSpec config = Specs.positional(0, "CONFIG", Path.class, "The YAML recipe (mergekit format).").build();
    private final PositionalParamSpec out = Specs.positional(1, "OUT", Path.class, "Output model directory.").build();
    private final OptionSpec seed = Specs.option("--seed", "N", Long.class, null,
            "Seed for random methods (overrides the config; default 0).").build();
    private final RunFlags run = new RunFlags();
    private final OutputFlags output = new OutputFlags();

    CommandSpec spec() {
        CommandSpec spec = Specs.command(this, "merge", "Merge models as a mergekit-style YAML config says.");
        return output.addTo(run.addTo(Specs.add(spec, config, out, seed)));
    }

    @Override
    public Integer call() throws Exception {
        Path recipe = config.getValue();
        return Runs.mergeOrPlan(Exmerge.Source.read(recipe), out.getValue(), run, output, seed.getValue());
    }
}
