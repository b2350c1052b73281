package org.exmerge.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.exmerge.format.DType;
import org.exmerge.recipe.ConfigException;
import org.exmerge.testing.EngineRuns;
import org.exmerge.testing.TestModels;
import org.exmerge.testing.TestModels.T;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** chat_template is applied to the output's tokenizer files as mergekit does, or refused: never ignored. */
class ChatTemplateTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void models() throws Exception {
        String[] templates = {"{{ 'A' }}", "{{ 'B' }}", "{{ 'B' }}"};
        for (int m = 0; m < 3; m++) {
            Path d = dir.resolve("m" + m);
            TestModels.write(d, new T("w", DType.F32, new long[] {4}, TestModels.random(m, 4, 1f)));
            Files.writeString(d.resolve("tokenizer_config.json"),
                    "{\"eos_token\": \"</s>\", \"chat_template\": \"" + templates[m] + "\"}");
        }
    }

    private static String template(String setting, String out) throws Exception {
        String yaml = "merge_method: linear\nmodels: [{model: m0}, {model: m1}, {model: m2}]\n"
                + (setting == null ? "" : "chat_template: " + setting + "\n");
        Path p = EngineRuns.merge(dir, yaml, out, EngineRuns.opts(dir, 1, 4 << 20));
        var config = new ObjectMapper().readTree(p.resolve("tokenizer_config.json").toFile());
        assertThat(config.get("eos_token").asText()).isEqualTo("</s>"); // the rest of the file is kept
        return config.get("chat_template").asText();
    }

    @Test
    void eachFormOfTheSettingWritesItsTemplate() throws Exception {
        assertThat(template(null, "none")).isEqualTo("{{ 'A' }}"); // the tokenizer source's, as copied
        assertThat(template("auto", "auto")).isEqualTo("{{ 'B' }}"); // two of three models carry B
        assertThat(template("chatml", "chatml")).isEqualTo(ChatTemplate.CHATML).contains("<|im_start|>").contains("add_generation_prompt");
        assertThat(template("llama3", "llama3")).isEqualTo(ChatTemplate.LLAMA3).contains("<|start_header_id|>");
        assertThat(template("mistral", "mistral")).isEqualTo(ChatTemplate.MISTRAL).contains(" [INST] ");
        assertThat(template("alpaca", "alpaca")).isEqualTo(ChatTemplate.ALPACA).contains("### ");
        assertThat(template("exaone", "exaone")).isEqualTo(ChatTemplate.EXAONE).contains("[|endofturn|]");
        assertThat(template("\"{% for m in messages %}{{ m['content'] }}{% endfor %}\"", "jinja"))
                .isEqualTo("{% for m in messages %}{{ m['content'] }}{% endfor %}");
    }

    @Test
    void anUnknownNameIsRefusedBeforeAnyOutput() {
        assertThatThrownBy(() -> template("vicuna", "unknown")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("chat_template").hasMessageContaining("vicuna");
        assertThat(dir.resolve("unknown")).doesNotExist();
    }
}
