package org.exmerge.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * TokenizerFiles writes what transformers' add_tokens + save_pretrained would add, and nothing else:
 * ObjectMapper is the oracle (the tree of the original file, the new entries appended, written with
 * the same pretty printer), for a fast BPE tokenizer, a Unigram one and slow ones.
 */
class TokenizerFilesTest {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** A BPE tokenizer.json as the tokenizers library writes it (key order included), ids 0..6. */
    private static final String TOKENIZER_JSON = """
            {
              "version": "1.0",
              "truncation": null,
              "padding": null,
              "added_tokens": [
                {"id": 0, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                {"id": 6, "content": "<|im_start|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
              ],
              "normalizer": {"type": "Sequence", "normalizers": [
                {"type": "Prepend", "prepend": "▁"},
                {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
              "pre_tokenizer": null,
              "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}}], "pair": [], "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
              "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
                {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
              "model": {
                "type": "BPE", "dropout": null, "unk_token": "<unk>", "continuing_subword_prefix": null,
                "end_of_word_suffix": null, "fuse_unk": true, "byte_fallback": true, "ignore_merges": false,
                "vocab": {"<unk>": 0, "<s>": 1, "▁": 2, "ü": 3, "▁ü": 4, "a": 5, "<|im_start|>": 6},
                "merges": [["▁", "ü"], ["a", "a"]]
              }
            }""";

    /** A tokenizer_config.json as transformers writes it (sorted keys), with the two added tokens. */
    private static final String TOKENIZER_CONFIG = """
            {
              "add_bos_token": true,
              "add_eos_token": false,
              "added_tokens_decoder": {
                "0": {"content": "<unk>", "lstrip": false, "normalized": false, "rstrip": false, "single_word": false, "special": true},
                "6": {"content": "<|im_start|>", "lstrip": false, "normalized": false, "rstrip": false, "single_word": false, "special": true}
              },
              "bos_token": "<s>",
              "chat_template": "{% for m in messages %}<|im_start|>{{ m['content'] }}\\n{% endfor %}",
              "clean_up_tokenization_spaces": false,
              "extra_special_tokens": {},
              "model_max_length": 1000000000000000019884624838656,
              "tokenizer_class": "LlamaTokenizer",
              "unk_token": "<unk>"
            }""";

    private static final List<AddedToken> NEW = List.of(
            new AddedToken("<|im_end|>", 7, true, false, false, false, false),
            new AddedToken("▁über", 8, false, true, true, false, false),
            new AddedToken("ß", 9, false, false, false, true, true));

    @TempDir
    Path dir;

    @Test
    void appendsToTokenizerJsonAndTheConfigAndKeepsEverythingElse() throws IOException {
        Path tokenizer = write("tokenizer.json", TOKENIZER_JSON);
        Path config = write("tokenizer_config.json", TOKENIZER_CONFIG);
        JsonNode tokenizerBefore = JSON.readTree(tokenizer.toFile());
        JsonNode configBefore = JSON.readTree(config.toFile());

        TokenizerFiles.addTokens(dir, NEW);

        JsonNode tokenizerAfter = JSON.readTree(tokenizer.toFile());
        assertThat(tokenizerAfter.get("added_tokens")).isEqualTo(JSON.readTree("""
                [{"id": 0, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                 {"id": 6, "content": "<|im_start|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                 {"id": 7, "content": "<|im_end|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                 {"id": 8, "content": "▁über", "single_word": false, "lstrip": true, "rstrip": false, "normalized": true, "special": false},
                 {"id": 9, "content": "ß", "single_word": true, "lstrip": false, "rstrip": true, "normalized": false, "special": false}]
                """));
        for (JsonNode entry : tokenizerAfter.get("added_tokens")) {
            assertThat(fieldNames(entry)).containsExactly("id", "content", "single_word", "lstrip", "rstrip", "normalized", "special");
        }
        assertThat(fieldNames(tokenizerAfter)).containsExactlyElementsOf(fieldNames(tokenizerBefore));
        assertThat(without(tokenizerAfter, "added_tokens")).isEqualTo(without(tokenizerBefore, "added_tokens"));
        assertThat(tokenizerAfter.at("/model/vocab/▁ü").asInt()).isEqualTo(4);

        JsonNode configAfter = JSON.readTree(config.toFile());
        JsonNode decoder = configAfter.get("added_tokens_decoder");
        assertThat(decoder).isEqualTo(JSON.readTree("""
                {"0": {"content": "<unk>", "lstrip": false, "normalized": false, "rstrip": false, "single_word": false, "special": true},
                 "6": {"content": "<|im_start|>", "lstrip": false, "normalized": false, "rstrip": false, "single_word": false, "special": true},
                 "7": {"content": "<|im_end|>", "lstrip": false, "normalized": false, "rstrip": false, "single_word": false, "special": true},
                 "8": {"content": "▁über", "lstrip": true, "normalized": true, "rstrip": false, "single_word": false, "special": false},
                 "9": {"content": "ß", "lstrip": false, "normalized": false, "rstrip": true, "single_word": true, "special": false}}
                """));
        assertThat(fieldNames(decoder)).containsExactly("0", "6", "7", "8", "9");
        for (JsonNode entry : decoder) {
            assertThat(fieldNames(entry)).containsExactly("content", "lstrip", "normalized", "rstrip", "single_word", "special");
        }
        assertThat(fieldNames(configAfter)).containsExactlyElementsOf(fieldNames(configBefore));
        assertThat(without(configAfter, "added_tokens_decoder")).isEqualTo(without(configBefore, "added_tokens_decoder"));

        // byte for byte what the tree model writes for the original with the entries appended
        assertThat(Files.readString(tokenizer)).isEqualTo(oracle(TOKENIZER_JSON, "added_tokens", TokenizerFilesTest::tokenizerEntry))
                .contains("\"▁ü\"", "\"<|im_start|>\"", "\"▁über\"");
        assertThat(Files.readString(config)).isEqualTo(oracle(TOKENIZER_CONFIG, "added_tokens_decoder", TokenizerFilesTest::decoderEntry))
                .contains("1000000000000000019884624838656");
        assertThat(listing()).containsExactly("tokenizer.json", "tokenizer_config.json");
    }

    @Test
    void numbersKeepTheirTextAndUnigramIdsArePieceIndices() throws IOException {
        Path tokenizer = write("tokenizer.json", """
                {"added_tokens": [], "model": {"type": "Unigram", "unk_id": 0,
                 "vocab": [["<unk>", 0.0], ["▁", -2.5e-3], ["a", -3.14159265358979323846], ["b", -1E+2]]}}""");
        Path config = write("tokenizer_config.json", """
                {"eps": 1e-05, "neg": -0.0, "padded": 2.50, "nan": NaN, "big": 123456789012345678901234567890}""");

        assertThatThrownBy(() -> TokenizerFiles.addTokens(dir, List.of(token("x", 3))))
                .isInstanceOf(IOException.class).hasMessage(tokenizer + ": new token \"x\" has id 3, not above 3");
        TokenizerFiles.addTokens(dir, List.of(token("x", 4)));

        assertThat(Files.readString(tokenizer)).contains("0.0", "-2.5e-3", "-3.14159265358979323846", "-1E+2")
                .contains("\"content\" : \"x\"");
        assertThat(Files.readString(config)).isEqualTo("""
                {
                  "eps" : 1e-05,
                  "neg" : -0.0,
                  "padded" : 2.50,
                  "nan" : NaN,
                  "big" : 123456789012345678901234567890,
                  "added_tokens_decoder" : {
                    "4" : {
                      "content" : "x",
                      "lstrip" : false,
                      "normalized" : true,
                      "rstrip" : false,
                      "single_word" : false,
                      "special" : false
                    }
                  }
                }""");
    }

    @Test
    void aConfigWithoutTheDecoderGetsOne() throws IOException {
        write("tokenizer.json", TOKENIZER_JSON);
        Path config = write("tokenizer_config.json", "{\"tokenizer_class\": \"LlamaTokenizer\", \"bos_token\": \"<s>\"}");

        TokenizerFiles.addTokens(dir, NEW);

        JsonNode after = JSON.readTree(config.toFile());
        assertThat(fieldNames(after)).containsExactly("tokenizer_class", "bos_token", "added_tokens_decoder");
        assertThat(fieldNames(after.get("added_tokens_decoder"))).containsExactly("7", "8", "9");
        assertThat(after.at("/added_tokens_decoder/8")).isEqualTo(JSON.readTree(
                "{\"content\": \"▁über\", \"lstrip\": true, \"normalized\": true, \"rstrip\": false, \"single_word\": false, \"special\": false}"));
    }

    @Test
    void aLargeTokenizerJsonComesThroughWhole() throws IOException {
        StringBuilder merges = new StringBuilder();
        for (int i = 0; i < 100_000; i++) {
            merges.append(i == 0 ? "" : ", ").append("[\"t").append(i).append("\", \"ü").append(i).append("\"]");
        }
        Path tokenizer = write("tokenizer.json", "{\"added_tokens\": [], \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0},"
                + " \"merges\": [" + merges + "]}}");
        JsonNode before = JSON.readTree(tokenizer.toFile());

        TokenizerFiles.addTokens(dir, List.of(token("<new>", 1)));

        JsonNode after = JSON.readTree(tokenizer.toFile());
        assertThat(after.get("model")).isEqualTo(before.get("model"));
        assertThat(after.at("/added_tokens/0/content").asText()).isEqualTo("<new>");
    }

    @Test
    void aSlowTokenizerGetsAddedTokensJson() throws IOException {
        Path vocab = write("vocab.json", "{\"a\": 0, \"b\": 1, \"<|endoftext|>\": 2}");
        write("merges.txt", "#version: 0.2\na b\n");
        Path config = write("tokenizer_config.json", "{\"tokenizer_class\": \"GPT2Tokenizer\"}");
        Map<String, String> before = snapshot();

        assertThatThrownBy(() -> TokenizerFiles.addTokens(dir, List.of(token("x", 2))))
                .isInstanceOf(IOException.class).hasMessage(vocab + ": new token \"x\" has id 2, not above 2");
        assertThat(snapshot()).isEqualTo(before);

        TokenizerFiles.addTokens(dir, List.of(token("x", 3), token("ẞ", 4)));
        Path added = dir.resolve("added_tokens.json");
        assertThat(Files.readString(added)).isEqualTo("{\n  \"x\" : 3,\n  \"ẞ\" : 4\n}");
        assertThat(fieldNames(JSON.readTree(config.toFile()).get("added_tokens_decoder"))).containsExactly("3", "4");
        assertThat(snapshot()).containsEntry("vocab.json", before.get("vocab.json"))
                .containsEntry("merges.txt", before.get("merges.txt"));

        TokenizerFiles.addTokens(dir, List.of(token("y", 5)));
        assertThat(fieldNames(JSON.readTree(added.toFile()))).containsExactly("x", "ẞ", "y");
        assertThat(JSON.readTree(added.toFile()).get("y").asInt()).isEqualTo(5);
        assertThatThrownBy(() -> TokenizerFiles.addTokens(dir, List.of(token("z", 5))))
                .isInstanceOf(IOException.class).hasMessageStartingWith(added + ": ");
    }

    @Test
    void aSentencePieceModelAloneGetsAddedTokensJsonAndNoConfig() throws IOException {
        Files.write(dir.resolve("tokenizer.model"), new byte[] {0x0a, (byte) 0x84, 0x01, 0x00});

        TokenizerFiles.addTokens(dir, List.of(token("<x>", 32000)));

        assertThat(JSON.readTree(dir.resolve("added_tokens.json").toFile())).isEqualTo(JSON.readTree("{\"<x>\": 32000}"));
        assertThat(listing()).containsExactly("added_tokens.json", "tokenizer.model");
    }

    static Stream<Arguments> failures() {
        String nonArray = TOKENIZER_JSON.replace("\"added_tokens\": [", "\"added_tokens\": {\"a\": [").replace("}\n  ],", "}\n  ]},");
        String highVocab = TOKENIZER_JSON.replace("\"<|im_start|>\": 6}", "\"<|im_start|>\": 6, \"zz\": 9}");
        String highDecoder = TOKENIZER_CONFIG.replace("\"6\": {", "\"12\": {");
        return Stream.of(
                Arguments.of(TOKENIZER_JSON, TOKENIZER_CONFIG, List.of(token("x", 6)), "tokenizer.json", "new token \"x\" has id 6, not above 6"),
                Arguments.of(TOKENIZER_JSON, TOKENIZER_CONFIG, List.of(token("x", 8), token("y", 8)), "tokenizer.json", "new token \"y\" has id 8, not above 8"),
                Arguments.of(highVocab, TOKENIZER_CONFIG, List.of(token("x", 7)), "tokenizer.json", "new token \"x\" has id 7, not above 9"),
                // tokenizer.json is fine and written first: the config's failure must undo it
                Arguments.of(TOKENIZER_JSON, highDecoder, List.of(token("x", 7)), "tokenizer_config.json", "new token \"x\" has id 7, not above 12"),
                Arguments.of("[1, 2]", TOKENIZER_CONFIG, NEW, "tokenizer.json", "not a JSON object: starts with START_ARRAY"),
                Arguments.of("", TOKENIZER_CONFIG, NEW, "tokenizer.json", "not a JSON object: empty"),
                Arguments.of("{\"added_tokens\": [", TOKENIZER_CONFIG, NEW, "tokenizer.json", "not valid JSON at line 1, column 19: "),
                Arguments.of(nonArray, TOKENIZER_CONFIG, NEW, "tokenizer.json", "added_tokens is not an array"),
                Arguments.of(TOKENIZER_JSON, "\"config\"", NEW, "tokenizer_config.json", "not a JSON object: starts with VALUE_STRING"),
                Arguments.of(TOKENIZER_JSON, "{\"added_tokens_decoder\": []}", NEW, "tokenizer_config.json", "added_tokens_decoder is not an object"),
                Arguments.of(TOKENIZER_JSON, "{\"added_tokens_decoder\": {\"x\": {}}}", NEW, "tokenizer_config.json",
                        "added_tokens_decoder key \"x\" is not an id"),
                Arguments.of(null, TOKENIZER_CONFIG, NEW, "", "no tokenizer.json, vocab.json or tokenizer.model"));
    }

    @ParameterizedTest
    @MethodSource("failures")
    void aFailureNamesTheFileAndChangesNothing(String tokenizerJson, String config, List<AddedToken> tokens,
                                               String file, String why) throws IOException {
        if (tokenizerJson != null) {
            write("tokenizer.json", tokenizerJson);
        }
        write("tokenizer_config.json", config);
        Map<String, String> before = snapshot();

        assertThatThrownBy(() -> TokenizerFiles.addTokens(dir, tokens)).isInstanceOf(IOException.class)
                .hasMessageStartingWith((file.isEmpty() ? dir : dir.resolve(file)) + ": " + why)
                .hasMessageNotContaining("\n");
        assertThat(snapshot()).isEqualTo(before);
    }

    @Test
    void noTokensChangeNothing() throws IOException {
        Path tokenizer = write("tokenizer.json", TOKENIZER_JSON);
        Path config = write("tokenizer_config.json", TOKENIZER_CONFIG);
        FileTime past = FileTime.fromMillis(1_000_000_000_000L);
        Files.setLastModifiedTime(tokenizer, past);
        Files.setLastModifiedTime(config, past);
        Map<String, String> before = snapshot();

        TokenizerFiles.addTokens(dir, List.of());

        assertThat(snapshot()).isEqualTo(before);
        assertThat(Files.getLastModifiedTime(tokenizer)).isEqualTo(past);
        assertThat(Files.getLastModifiedTime(config)).isEqualTo(past);
    }

    private interface EntryOracle {
        void put(JsonNode container, AddedToken token);
    }

    /** The original's tree with the entries appended to the container under key, written indented. */
    private static String oracle(String original, String key, EntryOracle entry) throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(original);
        for (AddedToken t : NEW) {
            entry.put(root.get(key), t);
        }
        return JSON.writeValueAsString(root);
    }

    private static void tokenizerEntry(JsonNode array, AddedToken t) {
        ((ArrayNode) array).addObject().put("id", t.id()).put("content", t.content()).put("single_word", t.singleWord())
                .put("lstrip", t.lstrip()).put("rstrip", t.rstrip()).put("normalized", t.normalized()).put("special", t.special());
    }

    private static void decoderEntry(JsonNode object, AddedToken t) {
        ((ObjectNode) object).putObject(Integer.toString(t.id())).put("content", t.content()).put("lstrip", t.lstrip())
                .put("normalized", t.normalized()).put("rstrip", t.rstrip()).put("single_word", t.singleWord()).put("special", t.special());
    }

    private static AddedToken token(String content, int id) {
        return new AddedToken(content, id, false, true, false, false, false);
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static JsonNode without(JsonNode node, String key) {
        ObjectNode copy = node.deepCopy();
        copy.remove(key);
        return copy;
    }

    private Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    /** Every file in dir by name, its bytes as ISO-8859-1 text (lossless); a leftover temporary file shows too. */
    private Map<String, String> snapshot() throws IOException {
        Map<String, String> files = new TreeMap<>();
        for (String name : listing()) {
            files.put(name, new String(Files.readAllBytes(dir.resolve(name)), StandardCharsets.ISO_8859_1));
        }
        return files;
    }

    private List<String> listing() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
