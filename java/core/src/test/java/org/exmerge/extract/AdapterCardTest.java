package org.exmerge.extract;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.exmerge.format.DType;
import org.exmerge.format.OutputGuard;
import org.junit.jupiter.api.Test;

/** The extracted adapter's README: hub front matter, what it came from, the vocabulary warning, the command. */
class AdapterCardTest {
    @Test
    void namesHubModelsAndLocalOnes() {
        AdapterCard card = new AdapterCard("my-lora", "adapters/my-lora", "meta-llama/Llama-3.1-8B@main", "/models/ft", Set.of("meta-llama/Llama-3.1-8B@main"),
                128256, 128256);
        String text = card.text(ExtractOptions.defaults());
        assertThat(text).startsWith("---\nbase_model:\n- ").contains("- \"meta-llama/Llama-3.1-8B\"\n").doesNotContain("@main\"\n")
                .contains("library_name: peft").contains("# my-lora")
                .contains("extracted from `/models/ft` and uses [meta-llama/Llama-3.1-8B](https://huggingface.co/meta-llama/Llama-3.1-8B)")
                .contains(OutputGuard.CARD_MARK).doesNotContain("WARNING");
        assertThat(text.split("---\n")[1]).as("front matter without base_model entries of local paths").doesNotContain("/models/ft");
    }

    @Test
    void warnsWhenTheVocabularyChanged() {
        String text = new AdapterCard("a", "a", "b", "m", Set.of(), 32000, 32002).text(ExtractOptions.defaults());
        assertThat(text).contains("extended from the base model's 32000 to 32002").contains("resize_token_embeddings(32002)");
        assertThat(text).doesNotContain("base_model:");
    }

    @Test
    void theCommandRepeatsEveryOptionThatChangesTheBytes() {
        ExtractOptions o = ExtractOptions.defaults().withMaxRank(32).withSvEpsilon(0.01)
                .withModules(true, List.of(Pattern.compile("q_proj|v_proj")), List.of(Pattern.compile("layers\\.0\\.")), List.of("lm_head"))
                .withFactors(false, DType.BF16);
        String cmd = new AdapterCard("out dir", "out dir", "base", "it's mine", Set.of(), 0, 0).command(o);
        assertThat(cmd).isEqualTo("exmerge extract-lora --base base --model 'it'\\''s mine' 'out dir' --max-rank 32 --sv-epsilon 0.01"
                + " --no-distribute-scale --embed-lora --include-regex 'q_proj|v_proj' --exclude-regex 'layers\\.0\\.'"
                + " --save-module lm_head --out-dtype bfloat16");
        assertThat(new AdapterCard("o", "x/o", "b", "m", Set.of(), 0, 0).command(ExtractOptions.defaults()))
                .isEqualTo("exmerge extract-lora --base b --model m x/o --max-rank 128");
    }
}
