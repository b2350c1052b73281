package org.exmerge.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Vocabulary reads what transformers' {@code get_vocab()} returns, from model directories written here by
 * hand: tokenizer.json of each model type, vocab.json with its added-token files, and a SentencePiece
 * tokenizer.model encoded by a small protobuf writer below; a malformed file is an error naming it.
 */
class VocabularyTest {
    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    private static AddedToken added(String content, int id, boolean special, boolean normalized,
                                    boolean lstrip, boolean rstrip, boolean singleWord) {
        return new AddedToken(content, id, special, normalized, lstrip, rstrip, singleWord);
    }

    @Test
    void aBpeTokenizerJsonWithAddedTokens() throws IOException {
        Path file = write("tokenizer.json", """
                {"version": "1.0", "truncation": null, "padding": null,
                 "added_tokens": [
                   {"id": 0, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                   {"id": 6, "content": "<|eot|>", "special": true},
                   {"id": 5, "content": "<extra>", "single_word": true, "lstrip": true, "rstrip": false, "normalized": true, "special": false},
                   {"id": 7, "content": "<rs>", "rstrip": true, "extra_field": {"x": [1, 2]}}
                 ],
                 "normalizer": {"type": "NFC"}, "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false},
                 "post_processor": null, "decoder": {"type": "ByteLevel"},
                 "model": {"type": "BPE", "dropout": null, "unk_token": null, "fuse_unk": false,
                   "vocab": {"<s>": 0, "b": 2, "a": 1, "ab": 3, "\\u0120the": 4},
                   "merges": ["a b", "\\u0120 t"]}}
                """);
        Vocabulary v = Vocabulary.read(dir);
        assertThat(v.file()).isEqualTo(file);
        assertThat(v.ids()).containsExactly(entry("<s>", 0), entry("a", 1), entry("b", 2), entry("ab", 3),
                entry("Ġthe", 4), entry("<extra>", 5), entry("<|eot|>", 6), entry("<rs>", 7));
        assertThat(v.size()).isEqualTo(8);
        assertThat(v.tokens()).containsExactly("<s>", "a", "b", "ab", "Ġthe", "<extra>", "<|eot|>", "<rs>");
        assertThat(v.id("ab")).isEqualTo(3);
        assertThat(v.id("<|eot|>")).isEqualTo(6);
        assertThat(v.id("abc")).isEqualTo(-1);
        // in id order, not file order; missing settings default (normalized = !special)
        assertThat(v.added()).containsExactly(
                entry("<s>", added("<s>", 0, true, false, false, false, false)),
                entry("<extra>", added("<extra>", 5, false, true, true, false, true)),
                entry("<|eot|>", added("<|eot|>", 6, true, false, false, false, false)),
                entry("<rs>", added("<rs>", 7, false, true, false, true, false)));
    }

    @Test
    void anAddedTokenOverAVocabIdMapsBothAndNamesTheId() throws IOException {
        write("tokenizer.json", """
                {"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "c": 3}, "merges": []},
                 "added_tokens": [{"id": 1, "content": "<pad>", "special": true}, {"id": 0, "content": "a"}]}
                """);
        Vocabulary v = Vocabulary.read(dir);
        // get_vocab() holds both strings; id 1 decodes to the added token; an id no token has is null
        assertThat(v.ids()).containsExactly(entry("a", 0), entry("<pad>", 1), entry("b", 1), entry("c", 3));
        assertThat(v.tokens()).containsExactly("a", "<pad>", null, "c");
        assertThat(v.size()).isEqualTo(4);
        assertThat(v.added().keySet()).containsExactly("a", "<pad>");
        assertThat(v.added().get("a").normalized()).isTrue();
    }

    @Test
    void aUnigramVocabIsAListWhoseIndexIsTheId() throws IOException {
        write("tokenizer.json", """
                {"added_tokens": [{"id": 0, "content": "<unk>", "special": true}],
                 "model": {"type": "Unigram", "unk_id": 0,
                   "vocab": [["<unk>", 0.0], ["\\u2581the", -3.25], ["s", -4.5, "ignored"], ["日本", -1e3]],
                   "byte_fallback": false}}
                """);
        Vocabulary v = Vocabulary.read(dir);
        assertThat(v.ids()).containsExactly(entry("<unk>", 0), entry("▁the", 1), entry("s", 2), entry("日本", 3));
        assertThat(v.added()).containsOnlyKeys("<unk>");
        assertThat(v.size()).isEqualTo(4);
    }

    @ParameterizedTest
    @ValueSource(strings = {"WordLevel", "WordPiece"})
    void wordLevelAndWordPieceVocabsAreObjects(String type) throws IOException {
        write("tokenizer.json", "{\"added_tokens\": [], \"model\": {\"type\": \"" + type + "\", \"unk_token\": \"[UNK]\","
                + " \"vocab\": {\"[UNK]\": 0, \"##ing\": 4, \"play\": 2}, \"continuing_subword_prefix\": \"##\"}}");
        Vocabulary v = Vocabulary.read(dir);
        assertThat(v.ids()).containsExactly(entry("[UNK]", 0), entry("play", 2), entry("##ing", 4));
        assertThat(v.tokens()).containsExactly("[UNK]", null, "play", null, "##ing");
        assertThat(v.added()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"[\"a b\", \"ab c\"]", "[[\"a\", \"b\"], [\"ab\", \"c\"]]"})
    void mergesAsStringsOrPairsAreSkipped(String merges) throws IOException {
        // model fields in any order: merges before the vocab, the type last
        write("tokenizer.json", "{\"model\": {\"merges\": " + merges + ", \"vocab\": {\"a\": 0, \"b\": 1, \"c\": 2,"
                + " \"ab\": 3, \"abc\": 4}, \"ignore_merges\": false, \"type\": \"BPE\"}, \"added_tokens\": null}");
        Vocabulary v = Vocabulary.read(dir);
        assertThat(v.ids()).containsExactly(entry("a", 0), entry("b", 1), entry("c", 2), entry("ab", 3), entry("abc", 4));
        assertThat(v.added()).isEmpty();
    }

    @Test
    void aHugeIdCostsNoArrayOfItsSize() throws IOException {
        write("tokenizer.json", "{\"model\": {\"type\": \"WordLevel\", \"vocab\": {\"a\": 0, \"z\": 2147483646}}}");
        Vocabulary v = Vocabulary.read(dir);
        assertThat(v.size()).isEqualTo(Integer.MAX_VALUE);
        assertThat(v.tokens()).hasSize(Integer.MAX_VALUE);
        assertThat(v.tokens().get(0)).isEqualTo("a");
        assertThat(v.tokens().get(12345)).isNull();
        assertThat(v.tokens().get(2147483646)).isEqualTo("z");
        assertThatThrownBy(() -> v.tokens().get(-1)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void aModelWithoutATypeIsToldByItsVocabShape() throws IOException {
        write("tokenizer.json", "{\"model\": {\"vocab\": [[\"x\", 0.0], [\"y\", -1.0]]}}");
        assertThat(Vocabulary.read(dir).ids()).containsExactly(entry("x", 0), entry("y", 1));
    }

    @Test
    void vocabJsonWithAddedTokensJsonAndTheConfigDecoder() throws IOException {
        Path file = write("vocab.json", "{\"hello\": 0, \"world\": 1, \"<|endoftext|>\": 2}");
        write("added_tokens.json", "{\"<pad>\": 3, \"<sep>\": 4}");
        write("tokenizer_config.json", """
                {"model_max_length": 1024, "bos_token": "<|endoftext|>",
                 "added_tokens_decoder": {
                   "2": {"content": "<|endoftext|>", "lstrip": false, "normalized": true, "rstrip": false, "single_word": false, "special": true},
                   "4": {"content": "<sep>", "special": true, "lstrip": true}},
                 "chat_template": "{% for m in messages %}{{ m }}{% endfor %}", "tokenizer_class": "GPT2Tokenizer"}
                """);
        write("merges.txt", "#version: 0.2\nh e\n");
        Vocabulary v = Vocabulary.read(dir);
        assertThat(v.file()).isEqualTo(file);
        assertThat(v.ids()).containsExactly(entry("hello", 0), entry("world", 1), entry("<|endoftext|>", 2),
                entry("<pad>", 3), entry("<sep>", 4));
        assertThat(v.size()).isEqualTo(5);
        assertThat(v.added()).containsExactly(
                entry("<|endoftext|>", added("<|endoftext|>", 2, true, true, false, false, false)),
                entry("<pad>", added("<pad>", 3, false, true, false, false, false)),
                entry("<sep>", added("<sep>", 4, true, false, true, false, false)));
    }

    @Test
    void aSentencePieceModelsPiecesInOrder() throws IOException {
        ByteArrayOutputStream model = new ByteArrayOutputStream();
        // trainer_spec (field 2) first, with a string over 127 bytes (a two-byte length) and nested varints
        ByteArrayOutputStream trainer = new ByteArrayOutputStream();
        bytesField(trainer, 1, "x".repeat(200).getBytes(StandardCharsets.UTF_8));
        varintField(trainer, 3, 2);
        varintField(trainer, 40, 1L << 40);
        bytesField(model, 2, trainer.toByteArray());
        bytesField(model, 1, piece("<unk>", 0f, 2));
        bytesField(model, 1, piece("<s>", 0f, 3));
        bytesField(model, 1, piece("</s>", 0f, 3));
        bytesField(model, 1, piece("\u2581the", -3.5f, 1));
        // a piece with an extra field of each other wire type, and a type past one varint byte
        ByteArrayOutputStream odd = new ByteArrayOutputStream();
        bytesField(odd, 1, "<0x0A>".getBytes(StandardCharsets.UTF_8));
        varintField(odd, 3, 300);
        tag(odd, 9, 1);
        odd.writeBytes(new byte[8]);
        tag(odd, 10, 5);
        odd.writeBytes(new byte[4]);
        bytesField(model, 1, odd.toByteArray());
        bytesField(model, 1, piece("日本", -7f, 1));
        // normalizer_spec (field 3) and a fixed64 field after the pieces
        bytesField(model, 3, new byte[] {10, 3, 'n', 'm', 't'});
        tag(model, 7, 1);
        model.writeBytes(new byte[8]);
        Path file = Files.write(dir.resolve("tokenizer.model"), model.toByteArray());
        write("added_tokens.json", "{\"<pad>\": 6}");
        write("tokenizer_config.json", "{\"added_tokens_decoder\": {\"0\": {\"content\": \"<unk>\", \"special\": true,"
                + " \"normalized\": false}, \"6\": {\"content\": \"<pad>\", \"special\": true}}, \"legacy\": true}");

        Vocabulary v = Vocabulary.read(dir);
        assertThat(v.file()).isEqualTo(file);
        assertThat(v.ids()).containsExactly(entry("<unk>", 0), entry("<s>", 1), entry("</s>", 2), entry("▁the", 3),
                entry("<0x0A>", 4), entry("日本", 5), entry("<pad>", 6));
        assertThat(v.tokens()).containsExactly("<unk>", "<s>", "</s>", "▁the", "<0x0A>", "日本", "<pad>");
        assertThat(v.added()).containsExactly(
                entry("<unk>", added("<unk>", 0, true, false, false, false, false)),
                entry("<pad>", added("<pad>", 6, true, false, false, false, false)));
    }

    @Test
    void tokenizerJsonWinsOverVocabJsonWhichWinsOverTokenizerModel() throws IOException {
        Files.write(dir.resolve("tokenizer.model"), model(piece("m", 0f, 1)));
        Path vocabJson = write("vocab.json", "{\"v\": 0}");
        write("added_tokens.json", "{\"<added>\": 1}");
        Vocabulary slow = Vocabulary.read(dir);
        assertThat(slow.file()).isEqualTo(vocabJson);
        assertThat(slow.ids()).containsExactly(entry("v", 0), entry("<added>", 1));

        Path tokenizer = write("tokenizer.json", "{\"model\": {\"type\": \"WordLevel\", \"vocab\": {\"t\": 0}}}");
        Vocabulary fast = Vocabulary.read(dir);
        assertThat(fast.file()).isEqualTo(tokenizer);
        // added_tokens.json is the slow tokenizers' file: tokenizer.json's own list is the whole of it
        assertThat(fast.ids()).containsExactly(entry("t", 0));
        assertThat(fast.added()).isEmpty();
    }

    @Test
    void aDirectoryWithoutAVocabularyFileIsNull() throws IOException {
        assertThat(Vocabulary.read(dir)).isNull();
        write("tokenizer_config.json", "{\"added_tokens_decoder\": {}}");
        write("added_tokens.json", "{\"a\": 0}");
        assertThat(Vocabulary.read(dir)).isNull();
        assertThat(Vocabulary.read(dir.resolve("absent"))).isNull();
    }

    @Test
    void anEmptyVocabularyHasSizeZero() throws IOException {
        write("vocab.json", "{}");
        Vocabulary v = Vocabulary.read(dir);
        assertThat(v.size()).isZero();
        assertThat(v.ids()).isEmpty();
        assertThat(v.tokens()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "not json {|not valid JSON at line 1, column ",
        "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}}|not valid JSON at line 1, column ",
        "{\"model\": {\"type\": \"BPE\", \"vocab\": {}}} {}|not JSON: more after the top-level object",
        "|not JSON: empty",
        "[1, 2]|not a JSON object: it is a list",
        "{\"model\": {\"type\": \"BPE\", \"vocab\": \"abc\"}}|BPE model's vocab is a string, not an object",
        "{\"model\": {\"vocab\": 3}}|model's vocab is a number, not an object or a list",
        "{\"model\": {\"type\": \"Unigram\", \"vocab\": {\"a\": 0}}}|Unigram model's vocab is an object, not a list",
        "{\"model\": {\"type\": \"BPE\", \"merges\": []}}|BPE model has no vocab",
        "{\"model\": {\"type\": \"Mystery\", \"vocab\": {}}}|model type \"Mystery\" is not BPE, WordPiece, WordLevel or Unigram",
        "{\"model\": null}|model is null, not an object",
        "{\"added_tokens\": []}|no model",
        "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": -1}}}|model vocab \"a\" has a negative id -1",
        "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\\n\": 1.5}}}|model vocab \"a\\u000a\" has a non-integer id 1.5",
        "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": \"3\"}}}|model vocab \"a\" has a non-integer id \"3\"",
        "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 3000000000}}}|model vocab \"a\" has an id past 2147483646: 3000000000",
        "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 2147483647}}}|model vocab \"a\" has an id past 2147483646: 2147483647",
        "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": -30000000000}}}|model vocab \"a\" has a negative id -30000000000",
        "{\"model\": {\"type\": \"Unigram\", \"vocab\": [\"a\"]}}|model vocab[0] is a string, not a [piece, score] list",
        "{\"model\": {\"type\": \"Unigram\", \"vocab\": [[\"a\", 0], [1, 0]]}}|model vocab[1] does not start with a piece string",
        "{\"added_tokens\": [{\"id\": -2, \"content\": \"x\"}]}|added_tokens[0] has a negative id -2",
        "{\"added_tokens\": [{\"id\": 2, \"content\": \"x\"}, {\"id\": 3}]}|added_tokens[1] has no content",
        "{\"added_tokens\": [{\"content\": \"x\"}]}|added_tokens[0] has no id",
        "{\"added_tokens\": [{\"id\": 2, \"content\": \"x\", \"special\": \"yes\"}]}|added_tokens[0]'s special is a string, not a boolean",
        "{\"added_tokens\": {}}|added_tokens is an object, not a list",
    })
    void aMalformedTokenizerJsonIsAnErrorNamingIt(String caseAndMessage) throws IOException {
        String[] parts = caseAndMessage.split("\\|", 2);
        Path file = write("tokenizer.json", parts[0]);
        assertThatThrownBy(() -> Vocabulary.read(dir)).as(parts[0]).isInstanceOf(IOException.class)
                .hasMessageStartingWith(file + ": " + parts[1])
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void aMalformedSlowTokenizerFileIsAnErrorNamingIt() throws IOException {
        Path vocab = write("vocab.json", "{\"a\": 0, \"b\": -1}");
        assertThatThrownBy(() -> Vocabulary.read(dir)).hasMessage(vocab + ": \"b\" has a negative id -1");
        write("vocab.json", "{\"a\": 0,");
        assertThatThrownBy(() -> Vocabulary.read(dir)).hasMessageStartingWith(vocab + ": not valid JSON at line 1, column 9: ");
        write("vocab.json", "{\"a\": 0}");

        Path addedJson = write("added_tokens.json", "{\"<x>\": 1.0}");
        assertThatThrownBy(() -> Vocabulary.read(dir)).hasMessage(addedJson + ": \"<x>\" has a non-integer id 1.0");
        write("added_tokens.json", "{\"<x>\": 1}");

        Path config = write("tokenizer_config.json", "{\"added_tokens_decoder\": {\"one\": {\"content\": \"<x>\"}}}");
        assertThatThrownBy(() -> Vocabulary.read(dir)).hasMessage(config + ": added_tokens_decoder \"one\" is not an integer id");
        write("tokenizer_config.json", "{\"added_tokens_decoder\": {\"-1\": {\"content\": \"<x>\"}}}");
        assertThatThrownBy(() -> Vocabulary.read(dir)).hasMessage(config + ": added_tokens_decoder \"-1\" is a negative id");
        write("tokenizer_config.json", "{\"added_tokens_decoder\": {\"1\": {\"special\": true}}}");
        assertThatThrownBy(() -> Vocabulary.read(dir)).hasMessage(config + ": added_tokens_decoder \"1\" has no content");
        write("tokenizer_config.json", "{\"added_tokens_decoder\": [1]}");
        assertThatThrownBy(() -> Vocabulary.read(dir)).hasMessage(config + ": added_tokens_decoder is a list, not an object");
        write("tokenizer_config.json", "{\"added_tokens_decoder\": null}");
        assertThat(Vocabulary.read(dir).ids()).containsExactly(entry("a", 0), entry("<x>", 1));
    }

    @Test
    void everyTruncationOfASentencePieceModelIsReadToABoundaryOrRefused() throws IOException {
        ByteArrayOutputStream trainer = new ByteArrayOutputStream();
        bytesField(trainer, 1, "corpus.txt".getBytes(StandardCharsets.UTF_8));
        byte[] whole = model(piece("<unk>", 0f, 2), piece("\u2581the", -1.5f, 1));
        ByteArrayOutputStream withSpec = new ByteArrayOutputStream();
        withSpec.writeBytes(whole);
        bytesField(withSpec, 2, trainer.toByteArray());
        byte[] bytes = withSpec.toByteArray();
        Path file = dir.resolve("tokenizer.model");
        int refused = 0;
        for (int n = 0; n < bytes.length; n++) {
            Files.write(file, Arrays.copyOf(bytes, n));
            try {
                Vocabulary v = Vocabulary.read(dir);
                // only a cut between two whole fields reads, and then as the pieces before it
                assertThat(v.ids().keySet()).as("%d bytes", n).isSubsetOf("<unk>", "▁the");
            } catch (IOException e) {
                assertThat(e.getMessage()).as("%d bytes", n).startsWith(file + ": not a SentencePiece model: ");
                refused++;
            }
        }
        assertThat(refused).isGreaterThan(bytes.length - 5);
        // the last byte cut: a length past the end
        Files.write(file, Arrays.copyOf(bytes, bytes.length - 1));
        assertThatThrownBy(() -> Vocabulary.read(dir))
                .hasMessageMatching(".*: not a SentencePiece model: length 12 at byte \\d+ runs past the end");
    }

    @Test
    void aMalformedSentencePieceModelIsAnErrorNamingIt() throws IOException {
        Path file = dir.resolve("tokenizer.model");
        String prefix = file + ": not a SentencePiece model: ";
        ByteArrayOutputStream group = new ByteArrayOutputStream();
        tag(group, 5, 3); // a start-group wire type
        Files.write(file, group.toByteArray());
        assertThatThrownBy(() -> Vocabulary.read(dir)).hasMessage(prefix + "wire type 3 at byte 0");

        ByteArrayOutputStream wrongWire = new ByteArrayOutputStream();
        varintField(wrongWire, 1, 5);
        Files.write(file, wrongWire.toByteArray());
        assertThatThrownBy(() -> Vocabulary.read(dir)).hasMessage(prefix + "piece 0 has wire type 0 at byte 0");

        Files.write(file, model(piece("a", 0f, 1), new byte[] {10, 2, (byte) 0xC3, 0x28}));
        assertThatThrownBy(() -> Vocabulary.read(dir)).hasMessage(prefix + "piece 1 is not UTF-8");

        Files.write(file, model(piece("a", 0f, 1), new byte[] {21, 0, 0, 0, 0}));
        assertThatThrownBy(() -> Vocabulary.read(dir)).hasMessage(prefix + "piece 1 is empty");

        Files.write(file, new byte[] {0, 0});
        assertThatThrownBy(() -> Vocabulary.read(dir)).hasMessage(prefix + "field number 0 at byte 0");

        Files.write(file, new byte[] {(byte) 0x80, (byte) 0x80});
        assertThatThrownBy(() -> Vocabulary.read(dir)).hasMessage(prefix + "truncated varint at byte 0");
    }

    // ---- a protobuf writer: just what a SentencePiece ModelProto needs ----

    private static byte[] model(byte[]... pieces) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : pieces) {
            bytesField(out, 1, p);
        }
        return out.toByteArray();
    }

    /** A SentencePiece message: piece (1, string), score (2, float), type (3, varint). */
    private static byte[] piece(String text, float score, int type) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        bytesField(out, 1, text.getBytes(StandardCharsets.UTF_8));
        tag(out, 2, 5);
        int bits = Float.floatToIntBits(score);
        for (int i = 0; i < 4; i++) {
            out.write(bits >>> 8 * i);
        }
        varintField(out, 3, type);
        return out.toByteArray();
    }

    private static void tag(ByteArrayOutputStream out, int field, int wire) {
        varint(out, (long) field << 3 | wire);
    }

    private static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7fL) != 0) {
            out.write((int) (v & 0x7f) | 0x80);
            v >>>= 7;
        }
        out.write((int) v);
    }

    private static void varintField(ByteArrayOutputStream out, int field, long v) {
        tag(out, field, 0);
        varint(out, v);
    }

    private static void bytesField(ByteArrayOutputStream out, int field, byte[] bytes) {
        tag(out, field, 2);
        varint(out, bytes.length);
        out.writeBytes(bytes);
    }
}
