package org.exmerge.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.concurrent.Callable;
import org.exmerge.Exmerge;
import org.exmerge.error.ExmergeException;
import org.exmerge.error.UsageException;
import org.exmerge.recipe.ConfigException;
import org.exmerge.recipe.YamlText;
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
    private final OptionSpec tokenizerSource = Specs.option("--tokenizer-source", "SRC", String.class, null,
            "Merge across differing vocabularies: base, union, a model or a tokenizer directory (as tokenizer_source in a recipe).").build();
    private final OptionSpec printConfig = Specs.flag("--print-config",
            "Print the recipe this builds and exit (model paths as given: run it with the same --models-dir).");
    private final PositionalParamSpec out = Specs.positional(0, "OUT", Path.class, "Output model directory.").arity("0..1").required(false).build();
    private final RunFlags run = new RunFlags();
    private final OutputFlags output = new OutputFlags();

    CommandSpec spec() {
        CommandSpec spec = Specs.command(this, "exme",
                "Extrapolate fine-tunes away from the base and merge them (ExMe; one --sft gives EXPO).",
                "  exme --base B --sft S1 --sft S2 --alpha 0.5,0.1 --beta 0.1 OUT");
        return output.addTo(run.addTo(Specs.add(spec, base, sfts, alphas, betas, tokenizerSource, printConfig, out)));
    }

    @Override
    public Integer call() throws Exception {
        String yaml = recipe();
        if (printConfig.<Boolean>getValue()) {
            if (run.json()) {
                CliProgress.emit(CliProgress.event("config").put("recipe", yaml));
            } else {
                System.out.print(yaml);
            }
            return ExitCodes.OK;
        }
        Path dir = out.getValue();
        if (dir == null) {
            throw new IllegalArgumentException("missing OUT (the output model directory)");
        }
        try {
            return Runs.mergeOrPlan(Exmerge.Source.parse(yaml, "exme flags"), dir, run, output, null);
        } catch (ConfigException e) {
            throw inFlags(e);
        }
    }

    private static final Pattern KEYED_DETAIL = Pattern.compile("((?:models\\[\\d+]\\.)?parameters\\.[a-z_]+): (.*)", Pattern.DOTALL);
    private static final Pattern MODEL_KEY = Pattern.compile("models\\[(\\d+)](\\.parameters\\.(alpha|beta)|\\.model)?");

    /**
     * A recipe error of the quick form, told by the flag that gave the value rather than by the
     * recipe key it became (the user wrote no recipe). Keys no flag gives keep their names.
     */
    static ExmergeException inFlags(ConfigException e) {
        String key = e.path();
        String detail = e.detail();
        Matcher keyed = KEYED_DETAIL.matcher(detail);
        if (key.isEmpty() && keyed.matches()) { // a method's parameter check, told per tensor by the planner
            key = keyed.group(1);
            detail = keyed.group(2);
        }
        Matcher m = MODEL_KEY.matcher(key);
        String flag;
        if (m.matches()) {
            int n = Integer.parseInt(m.group(1)) + 1;
            flag = m.group(3) == null ? "--sft " + n : "--" + m.group(3) + " (value " + n + ")";
        } else {
            flag = switch (key) {
                case "parameters.beta" -> "--beta";
                case "base_model" -> "--base";
                case "tokenizer_source" -> "--tokenizer-source";
                case "out_dtype" -> "--out-dtype";
                default -> null;
            };
        }
        return flag == null ? e : new UsageException(flag + ": " + detail);
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
        if (splitBeta && sfts.size() > 2) {
            throw new IllegalArgumentException("--beta: one β splits exactly two extrapolations (β, 1−β); with "
                    + sfts.size() + " --sft give one β per --sft, summing to 1");
        }
        if (!expo && !splitBeta && betas.size() != sfts.size()) {
            throw new IllegalArgumentException("--beta takes one value, or one per --sft");
        }
        // What jackson's YAMLMapper wrote for this recipe, byte for byte (ExmeRecipeTextTest), without its start-up.
        StringBuilder y = new StringBuilder("---\n");
        y.append("merge_method: ").append(YamlText.quoted(expo ? "expo" : "exme")).append('\n');
        y.append("base_model: ").append(YamlText.quoted(base.getValue())).append('\n');
        y.append("models:\n");
        for (int i = 0; i < sfts.size(); i++) {
            y.append("- model: ").append(YamlText.quoted(sfts.get(i))).append('\n');
            y.append("  parameters:\n");
            y.append("    alpha: ").append(alphas.get(i)).append('\n');
            if (!expo && !splitBeta) {
                y.append("    beta: ").append(betas.get(i)).append('\n');
            }
        }
        if (splitBeta) {
            y.append("parameters:\n  beta: ").append(betas.get(0)).append('\n');
        }
        if (tokenizerSource.getValue() != null) {
            y.append("tokenizer_source: ").append(YamlText.quoted(tokenizerSource.getValue())).append('\n');
        }
        if (output.outType() != null) { // in the recipe, so that the printed recipe writes what the flags do
            y.append("out_dtype: ").append(YamlText.quoted(output.outType().configName())).append('\n');
        }
        return y.toString();
    }
}
