package org.exmerge.recipe;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
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

    /**
     * A search's candidate recipes quote their paths with this, and their hashes identify them:
     * wherever a JSON string is also a YAML scalar that reads back, the quoting is the JSON string's.
     */
    @Test
    void whereJsonQuotingIsValidYamlItIsTheQuotingUsed() throws Exception {
        ObjectMapper json = new ObjectMapper();
        int compared = 0;
        for (String s : NASTY) {
            if (!yamlEscapesMore(s)) {
                assertThat(YamlText.quoted(s)).as(s).isEqualTo(json.writeValueAsString(s));
                compared++;
            }
        }
        assertThat(compared).isGreaterThan(20);
    }

    /** Whether {@code s} holds a character JSON writes as it is and YAML would not read back. */
    private static boolean yamlEscapesMore(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean lone = Character.isHighSurrogate(c) ? i + 1 == s.length() || !Character.isLowSurrogate(s.charAt(i + 1))
                    : Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)));
            if (lone || c == 0x7f || c >= 0x80 && c <= 0x9f || c == 0x2028 || c == 0x2029 || c == 0xfeff || c >= 0xfffe) {
                return true;
            }
        }
        return false;
    }
}
