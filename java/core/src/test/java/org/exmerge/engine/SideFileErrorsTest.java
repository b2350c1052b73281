package org.exmerge.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import org.exmerge.Exmerge;
import org.exmerge.error.ExmergeException;
import org.exmerge.error.InputException;
import org.exmerge.format.DType;
import org.exmerge.testing.EngineRuns;
import org.exmerge.testing.TestModels;
import org.exmerge.testing.TestModels.T;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An input's config and tokenizer files that the merge would carry or edit but cannot are refused
 * while planning (so a dry run refuses them too), kind INPUT, in one line naming the input's file:
 * never found only when the output is being finished, and never skipped as if the model had none.
 */
class SideFileErrorsTest {
    @TempDir
    Path dir;

    @BeforeEach
    void models() throws Exception {
        for (int m = 0; m < 2; m++) {
            Path d = dir.resolve("m" + m);
            TestModels.write(d, new T("w", DType.F32, new long[] {4}, TestModels.random(m, 4, 1f)));
            Files.writeString(d.resolve("config.json"), "{\"num_hidden_layers\": 1}");
            Files.writeString(d.resolve("tokenizer_config.json"), "{\"chat_template\": \"{{ 'A' }}\"}");
            Files.writeString(d.resolve("tokenizer.json"), "{}");
        }
    }

    /** The message of the input error that planning {@code extra} after a linear merge of m0, m1 raises. */
    private String planRefused(String extra) {
        String yaml = "merge_method: linear\nmodels: [{model: m0}, {model: m1}]\n" + extra;
        InputException e = catchThrowableOfType(InputException.class, () -> Exmerge.plan(Exmerge.Source.parse(yaml, "r"),
                dir.resolve("out"), EngineRuns.opts(dir, 1, 4 << 20), plan -> { }));
        assertThat(e).as("refused while planning").isNotNull();
        assertThat(e.kind()).isEqualTo(ExmergeException.Kind.INPUT);
        assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("Source").doesNotContain("REDACTED");
        return e.getMessage();
    }

    @Test
    void aTruncatedConfigJsonIsFoundWhilePlanning() throws Exception {
        Files.writeString(dir.resolve("m0/config.json"), "{\"a\":");
        assertThat(planRefused("")).isEqualTo(dir.resolve("m0/config.json")
                + ": not valid JSON at line 1, column 6: Unexpected end-of-input within/between Object entries");
    }

    @Test
    void aMergeStopsThereBeforeAnyOutput() throws Exception {
        Files.writeString(dir.resolve("m0/config.json"), "{\"a\":");
        InputException e = catchThrowableOfType(InputException.class,
                () -> EngineRuns.merge(dir, "merge_method: linear\nmodels: [{model: m0}, {model: m1}]\n", "out",
                        EngineRuns.opts(dir, 1, 4 << 20)));
        assertThat(e.getMessage()).startsWith(dir.resolve("m0/config.json") + ": not valid JSON");
        assertThat(dir.resolve("out")).doesNotExist();
    }

    @Test
    void aTokenizerConfigThatIsNotAnObjectNamesTheInputNotTheOutputsCopy() throws Exception {
        Files.writeString(dir.resolve("m0/tokenizer_config.json"), "[1]");
        assertThat(planRefused("chat_template: chatml\n"))
                .isEqualTo(dir.resolve("m0/tokenizer_config.json") + ": not a JSON object");
    }

    @Test
    void aTokenizerConfigThatIsNotJsonNamesItsFileForAuto() throws Exception {
        Files.writeString(dir.resolve("m1/tokenizer_config.json"), "nope");
        assertThat(planRefused("chat_template: auto\n")).startsWith(dir.resolve("m1/tokenizer_config.json")
                + ": not valid JSON at line 1, column 1: Unrecognized token 'nope'");
    }

    @Test
    void sideFilesThatCannotBeReadAreNotDroppedSilently() throws Exception {
        Path config = dir.resolve("m0/config.json");
        Files.delete(config);
        Files.createDirectory(config);
        assertThat(planRefused("")).isEqualTo(config + ": is a directory");
        Files.delete(config);
        Files.writeString(config, "{}");

        Path tokenizer = dir.resolve("m0/tokenizer.json");
        Files.delete(tokenizer);
        Files.createSymbolicLink(tokenizer, dir.resolve("nowhere"));
        assertThat(planRefused("")).isEqualTo(tokenizer + ": dangling symbolic link to '" + dir.resolve("nowhere")
                + "', which does not exist");
    }

    @Test
    void aDirectoryTokenizerOfTheTokenizerSourceIsNotMissing() throws Exception {
        Path tokenizer = dir.resolve("m0/tokenizer.json");
        Files.delete(tokenizer);
        Files.createDirectory(tokenizer);
        assertThat(planRefused("base_model: m0\ntokenizer_source: base\n")).isEqualTo(tokenizer + ": is a directory");
    }
}
