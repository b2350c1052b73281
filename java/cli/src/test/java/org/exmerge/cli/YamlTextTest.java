package org.exmerge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class YamlTextTest {
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final List<String> NASTY = List.of("", "plain", "/models/sft-1", "C:\\models\\sft", "a: b # c",
            "\"quoted\"", " lead and trail ", "- dash", "? question", "{flow}, [seq]", "&anchor *alias !tag", "%percent @at `tick",
            "tab\there", "line\nbreak", "cr\rlf", "nul\0byte", "del\u007f", "next\u0085line", "sep\u2028par\u2029",
            "\ufeffbom", "non-char\ufffe\uffff", "模型/微调", "emoji 🤖", "lone \ud800 high", "lone \udc00 low", "yes", "null",
            "0.5", "~", "'single'");

    @Test
    void everyStringReadsBackAsItself() throws Exception {
        for (String s : NASTY) {
            JsonNode back = YAML.readTree("k: " + YamlText.quoted(s) + "\n").get("k");
            assertThat(back.isTextual()).as(s).isTrue();
            assertThat(back.textValue()).as(s).isEqualTo(s);
        }
    }

    @Test
    void printableStringsAreQuotedAsJacksonQuotesThem() throws Exception {
        for (String s : NASTY) {
            if (s.codePoints().allMatch(c -> c >= 0x20 && c < 0x7f || c > 0xff && c < 0x2028 || c > 0xffff)) {
                assertThat("---\nk: " + YamlText.quoted(s) + "\n").as(s).isEqualTo(YAML.writeValueAsString(Map.of("k", s)));
            }
        }
    }

    /** The recipe the flags build is the text YAMLMapper wrote from the same recipe before. */
    @Test
    void theExmeRecipeIsWhatYamlMapperWrote() throws Exception {
        String[][] cases = {
            {"--base", "B", "--sft", "S1", "--alpha", "0.5"},
            {"--base", "/m/base", "--sft", "a: b # c", "--sft", "模型", "--alpha", "0.5,1e-4", "--beta", "0.1"},
            {"--base", "B", "--sft", "S1", "--sft", "S2", "--sft", "S3", "--alpha", "0.5,0.1,2", "--beta", "0.2,0.3,0.5"},
            {"--base", "B", "--sft", "S1", "--alpha", "NaN"},
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
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--base" -> base = args[i + 1];
                case "--sft" -> sfts.add(args[i + 1]);
                case "--alpha" -> alphas = List.of(args[i + 1].split(",")).stream().map(Double::valueOf).toList();
                case "--beta" -> betas = List.of(args[i + 1].split(",")).stream().map(Double::valueOf).toList();
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
        return r;
    }
}
