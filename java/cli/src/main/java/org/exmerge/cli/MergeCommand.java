package org.exmerge.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.exmerge.Exmerge;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "merge", mixinStandardHelpOptions = true, description = "Merge models as a mergekit-style YAML config says.")
final class MergeCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CONFIG", description = "The YAML recipe (mergekit format).")
    Path config;

    @Parameters(index = "1", paramLabel = "OUT", description = "Output model directory.")
    Path out;

    @Mixin
    RunFlags run;

    @Mixin
    OutputFlags output;

    @Option(names = "--seed", paramLabel = "N", description = "Seed for random methods (overrides the config; default 0).")
    Long seed;

    @Override
    public Integer call() throws Exception {
        return Runs.mergeOrPlan(Exmerge.Source.read(config), out, run, output, seed);
    }
}
