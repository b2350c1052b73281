package org.exmerge.cli;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.exmerge.Exmerge;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The quick form of an ExMe merge: builds the mergekit-style recipe from flags (one SFT gives
 * EXPO) and runs it like {@code merge}; the recipe is recorded in the output as usual.
 */
@Command(name = "exme", mixinStandardHelpOptions = true, description = {"Extrapolate fine-tunes away from the base and merge them (ExMe; one --sft gives EXPO).",
        "  exme --base B --sft S1 --sft S2 --alpha 0.5,0.1 --beta 0.1 OUT"})
final class ExmeCommand implements Callable<Integer> {
    @Option(names = "--base", required = true, paramLabel = "MODEL", description = "The base (pre-SFT) model.")
    String base;

    @Option(names = "--sft", required = true, paramLabel = "MODEL", description = "A fine-tuned model (repeat; order = EXPO-1, EXPO-2, …).")
    List<String> sfts;

    @Option(names = "--alpha", required = true, split = ",", paramLabel = "A", description = "Extrapolation α per SFT, comma-separated.")
    List<Double> alphas;

    @Option(names = "--beta", split = ",", paramLabel = "B",
            description = "β: one value for two SFTs (β, 1−β), or one per SFT summing to 1.")
    List<Double> betas;

    @Option(names = "--print-config", description = "Print the recipe this builds and exit.")
    boolean printConfig;

    @Parameters(index = "0", paramLabel = "OUT", arity = "0..1", description = "Output model directory.")
    Path out;

    @Mixin
    RunFlags run;

    @Mixin
    OutputFlags output;

    @Override
    public Integer call() throws Exception {
        String yaml = recipe();
        if (printConfig) {
            System.out.print(yaml);
            return ExitCodes.OK;
        }
        if (out == null) {
            throw new IllegalArgumentException("missing OUT (the output model directory)");
        }
        return Runs.mergeOrPlan(Exmerge.Source.parse(yaml, "exme flags"), out, run, output, null);
    }

    String recipe() throws Exception {
        if (alphas.size() != sfts.size()) {
            throw new IllegalArgumentException("--alpha needs one value per --sft (" + sfts.size() + " given, "
                    + alphas.size() + " alphas)");
        }
        boolean expo = sfts.size() == 1;
        boolean splitBeta = betas != null && betas.size() == 1;
        if (!expo && betas == null) {
            throw new IllegalArgumentException("--beta is needed to merge " + sfts.size() + " extrapolations");
        }
        if (!expo && !splitBeta && betas.size() != sfts.size()) {
            throw new IllegalArgumentException("--beta takes one value, or one per --sft");
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("merge_method", expo ? "expo" : "exme");
        r.put("base_model", base);
        List<Object> models = new ArrayList<>();
        for (int i = 0; i < sfts.size(); i++) {
            Map<String, Object> params = new LinkedHashMap<>();
            params.put("alpha", alphas.get(i));
            if (!expo && !splitBeta) {
                params.put("beta", betas.get(i));
            }
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("model", sfts.get(i));
            entry.put("parameters", params);
            models.add(entry);
        }
        r.put("models", models);
        if (splitBeta) {
            r.put("parameters", Map.of("beta", betas.get(0)));
        }
        return new YAMLMapper().writeValueAsString(r);
    }
}
