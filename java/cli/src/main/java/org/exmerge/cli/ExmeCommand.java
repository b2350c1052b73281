package org.exmerge.cli;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.exmerge.Exmerge;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * The quick form of an ExMe merge: builds the mergekit-style recipe from flags (one SFT gives
 * EXPO) and runs it like {@code merge}; the recipe is recorded in the output as usual.
 */
final class ExmeCommand implements Callable<Integer> {
    private final OptionSpec base = Specs.option("--base", "MODEL", String.class, null, "The base (pre-SFT) model.").required(true).build();
    private final OptionSpec sfts = Specs.list("--sft", "MODEL", String.class,
            "A fine-tuned model (repeat; order = EXPO-1, EXPO-2, …).").required(true).build();
    private final OptionSpec alphas = Specs.list("--alpha", "A", Double.class, "Extrapolation α per SFT, comma-separated.")
            .required(true).splitRegex(",").build();
    private final OptionSpec betas = Specs.list("--beta", "B", Double.class,
            "β: one value for two SFTs (β, 1−β), or one per SFT summing to 1.").splitRegex(",").build();
    private final OptionSpec printConfig = Specs.flag("--print-config", "Print the recipe this builds and exit.");
    private final PositionalParamSpec out = Specs.positional(0, "OUT", Path.class, "Output model directory.").arity("0..1").required(false).build();
    private final RunFlags run = new RunFlags();
    private final OutputFlags output = new OutputFlags();

    CommandSpec spec() {
        CommandSpec spec = Specs.command(this, "exme",
                "Extrapolate fine-tunes away from the base and merge them (ExMe; one --sft gives EXPO).",
                "  exme --base B --sft S1 --sft S2 --alpha 0.5,0.1 --beta 0.1 OUT");
        return output.addTo(run.addTo(Specs.add(spec, base, sfts, alphas, betas, printConfig, out)));
    }

    @Override
    public Integer call() throws Exception {
        String yaml = recipe();
        if (printConfig.<Boolean>getValue()) {
            System.out.print(yaml);
            return ExitCodes.OK;
        }
        Path dir = out.getValue();
        if (dir == null) {
            throw new IllegalArgumentException("missing OUT (the output model directory)");
        }
        return Runs.mergeOrPlan(Exmerge.Source.parse(yaml, "exme flags"), dir, run, output, null);
    }

    String recipe() throws Exception {
        List<String> sfts = this.sfts.getValue();
        List<Double> alphas = this.alphas.getValue();
        List<Double> betas = this.betas.getValue();
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
        r.put("base_model", base.getValue());
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
