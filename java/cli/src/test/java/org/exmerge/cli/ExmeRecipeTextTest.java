package org.exmerge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExmeRecipeTextTest {
    private static final YAMLMapper YAML = new YAMLMapper();

    /** The recipe the flags build is the text YAMLMapper wrote from the same recipe before. */
    @Test
    void theExmeRecipeIsWhatYamlMapperWrote() throws Exception {
        String[][] cases = {
            {"--base", "B", "--sft", "S1", "--alpha", "0.5"},
            {"--base", "/m/base", "--sft", "a: b # c", "--sft", "模型", "--alpha", "0.5,1e-4", "--beta", "0.1"},
            {"--base", "B", "--sft", "S1", "--sft", "S2", "--sft", "S3", "--alpha", "0.5,0.1,2", "--beta", "0.2,0.3,0.5"},
            {"--base", "B", "--sft", "S1", "--alpha", "NaN"},
            {"--base", "B", "--sft", "S1", "--sft", "S2", "--alpha", "0.5,0.1", "--beta", "0.1", "--tokenizer-source", "union"},
            {"--base", "B", "--sft", "S1", "--alpha", "0.5", "--tokenizer-source", "/m/sft: one"},
            {"--base", "B", "--sft", "S1", "--sft", "S2", "--alpha", "0.5,0.1", "--beta", "0.1", "--out-dtype", "fp16"},
        };
        for (String[] args : cases) {
            ExmeCommand c = new ExmeCommand();
            new picocli.CommandLine(c.spec()).parseArgs(args);
            assertThat(c.recipe()).as(String.join(" ", args)).isEqualTo(YAML.writeValueAsString(recipeMap(args)));
        }
    }

    /** The recipe as maps, the way ExmeCommand built it for YAMLMapper. */
    private static Map<String, Object> recipeMap(String[] args) {
        List<String> sfts = new ArrayList<>();
        List<Double> alphas = new ArrayList<>();
        List<Double> betas = null;
        String base = null;
        String tokenizer = null;
        String outType = null;
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--base" -> base = args[i + 1];
                case "--sft" -> sfts.add(args[i + 1]);
                case "--alpha" -> alphas = List.of(args[i + 1].split(",")).stream().map(Double::valueOf).toList();
                case "--beta" -> betas = List.of(args[i + 1].split(",")).stream().map(Double::valueOf).toList();
                case "--tokenizer-source" -> tokenizer = args[i + 1];
                case "--out-dtype" -> outType = org.exmerge.format.DType.fromConfig(args[i + 1]).configName();
                default -> throw new IllegalArgumentException(args[i]);
            }
        }
        boolean expo = sfts.size() == 1;
        boolean splitBeta = betas != null && betas.size() == 1;
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
        if (tokenizer != null) {
            r.put("tokenizer_source", tokenizer);
        }
        if (outType != null) {
            r.put("out_dtype", outType);
        }
        return r;
    }
}
