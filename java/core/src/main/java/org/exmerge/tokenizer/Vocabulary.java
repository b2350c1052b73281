package org.exmerge.tokenizer;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.RandomAccess;
import org.exmerge.error.InputFiles;
import org.exmerge.error.JsonErrors;

/**
 * A model directory's tokenizer vocabulary as transformers' {@code tokenizer.get_vocab()} returns it:
 * every token with its id, the added tokens included, read from tokenizer.json, vocab.json or
 * tokenizer.model without Python. The JSON files are streamed with jackson-core, skipping all that is
 * not vocabulary (most of a Llama 3 tokenizer.json is merges), and the SentencePiece protobuf is walked
 * by hand; no ObjectMapper, whose class initialisation alone costs ~36 ms.
 *
 * <p>Entries override one another in the order transformers applies them: the model vocabulary in file
 * order, then the added tokens (for vocab.json and tokenizer.model, added_tokens.json's before
 * tokenizer_config.json's {@code added_tokens_decoder}). A token read twice keeps its later id; an id
 * read for two tokens maps both, and {@link #tokens()} names it by the later one.
 */
public final class Vocabulary {
    // Vocabulary keys are JSON field names here: interning 128k of them fills the JVM's string table for no reuse.
    private static final JsonFactory JSON = JsonFactory.builder().disable(JsonFactory.Feature.INTERN_FIELD_NAMES).build();

    /** The largest id read, so that {@link #size()} is an int. */
    private static final int MAX_ID = Integer.MAX_VALUE - 1;

    private final Map<String, Integer> ids;
    private final Map<String, AddedToken> added;
    private final List<String> tokens;
    private final Path file;

    private Vocabulary(Map<String, Integer> ids, Map<String, AddedToken> added, List<String> tokens, Path file) {
        this.ids = ids;
        this.added = added;
        this.tokens = tokens;
        this.file = file;
    }

    /** token → id, every token (model vocabulary and added tokens); iteration order: increasing id, then token (deterministic). */
    public Map<String, Integer> ids() {
        return ids;
    }

    /** The added tokens by content, in increasing id order. */
    public Map<String, AddedToken> added() {
        return added;
    }

    /** The file the model vocabulary came from (tokenizer.json, vocab.json or tokenizer.model). */
    public Path file() {
        return file;
    }

    /** One more than the largest id (0 when empty). */
    public int size() {
        return tokens.size();
    }

    /** The id of token, or -1. */
    public int id(String token) {
        return ids.getOrDefault(token, -1);
    }

    /**
     * The tokens ordered by id, {@link #size()} of them, null at an id no token has. Where two tokens
     * share an id, the later entry in the override order (see the class comment) names it, as in
     * transformers' added-token override.
     */
    public List<String> tokens() {
        return tokens;
    }

    /** The files a vocabulary is read from, in the order {@link #read} tries them. */
    private static final List<String> FILES = List.of("tokenizer.json", "vocab.json", "tokenizer.model");

    /** Whether dir holds a file {@link #read} reads a vocabulary from. */
    public static boolean present(Path dir) {
        return FILES.stream().anyMatch(f -> Files.isRegularFile(dir.resolve(f)));
    }

    /**
     * Reads dir's vocabulary: tokenizer.json if present; else vocab.json (GPT-2 style slow tokenizer);
     * else tokenizer.model (SentencePiece). Added tokens come from tokenizer.json's "added_tokens", and for the
     * other two formats from added_tokens.json ({"tok": id}) and tokenizer_config.json's "added_tokens_decoder"
     * ({"id": {"content":..., "special":..., "normalized":..., "lstrip":..., "rstrip":..., "single_word":...}}).
     *
     * @param dir a model directory
     * @return null when dir holds none of the three files
     * @throws IOException "&lt;file&gt;: &lt;why&gt;" for a malformed file (not JSON, vocab of the wrong shape, a
     *     negative or non-integer id, truncated protobuf) or one that cannot be read (a directory, a dangling link)
     */
    public static Vocabulary read(Path dir) throws IOException {
        Path tokenizer = dir.resolve("tokenizer.json").toAbsolutePath();
        if (InputFiles.present(tokenizer)) {
            return readTokenizerJson(tokenizer);
        }
        Path vocabJson = dir.resolve("vocab.json").toAbsolutePath();
        Path model = dir.resolve("tokenizer.model").toAbsolutePath();
        Entries vocab = new Entries();
        Path file;
        if (InputFiles.present(vocabJson)) {
            file = vocabJson;
            parse(vocabJson, p -> readIdObject(p, vocabJson, "", vocab));
        } else if (InputFiles.present(model)) {
            file = model;
            for (String piece : SentencePieceModel.pieces(model)) {
                vocab.add(piece, vocab.size());
            }
        } else {
            return null;
        }
        List<AddedToken> added = new ArrayList<>();
        Path addedJson = dir.resolve("added_tokens.json").toAbsolutePath();
        if (InputFiles.present(addedJson)) {
            Entries e = new Entries();
            parse(addedJson, p -> readIdObject(p, addedJson, "", e));
            // transformers' defaults for a token this file alone names
            for (int i = 0; i < e.size(); i++) {
                added.add(new AddedToken(e.tokens.get(i), e.ids[i], false, true, false, false, false));
            }
        }
        Path config = dir.resolve("tokenizer_config.json").toAbsolutePath();
        if (InputFiles.present(config)) {
            parse(config, p -> readConfig(p, config, added));
        }
        return build(file, vocab, added);
    }

    // ---- tokenizer.json ----

    private static Vocabulary readTokenizerJson(Path file) throws IOException {
        Entries vocab = new Entries();
        List<AddedToken> added = new ArrayList<>();
        parse(file, p -> {
            boolean model = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (name.equals("model")) {
                    if (value != JsonToken.START_OBJECT) {
                        throw error(file, "model is " + describe(value) + ", not an object");
                    }
                    readModel(p, file, vocab);
                    model = true;
                } else if (name.equals("added_tokens") && value != JsonToken.VALUE_NULL) {
                    if (value != JsonToken.START_ARRAY) {
                        throw error(file, "added_tokens is " + describe(value) + ", not a list");
                    }
                    for (int i = 0; p.nextToken() != JsonToken.END_ARRAY; i++) {
                        added.add(readAddedToken(p, file, "added_tokens[" + i + "]", -1));
                    }
                } else {
                    p.skipChildren();
                }
            }
            if (!model) {
                throw error(file, "no model");
            }
        });
        return build(file, vocab, added);
    }

    /** Reads the model object p is at into vocab, whatever order its type and vocab come in. */
    private static void readModel(JsonParser p, Path file, Entries vocab) throws IOException {
        String type = null;
        JsonToken shape = null; // of the vocab: START_OBJECT, START_ARRAY, or another token when malformed
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            if (name.equals("type") && value == JsonToken.VALUE_STRING) {
                type = p.getText();
            } else if (name.equals("vocab")) {
                shape = value;
                if (value == JsonToken.START_OBJECT) {
                    readIdObject(p, file, "model vocab ", vocab);
                } else if (value == JsonToken.START_ARRAY) {
                    readUnigram(p, file, vocab);
                } else {
                    p.skipChildren();
                }
            } else {
                p.skipChildren();
            }
        }
        // older files name no type (tokenizers tells the models apart by their fields): the vocab's shape decides
        JsonToken wanted = type == null ? shape : switch (type) {
            case "BPE", "WordPiece", "WordLevel" -> JsonToken.START_OBJECT;
            case "Unigram" -> JsonToken.START_ARRAY;
            default -> throw error(file, "model type " + quote(type) + " is not BPE, WordPiece, WordLevel or Unigram");
        };
        String model = type == null ? "model" : type + " model";
        if (shape == null) {
            throw error(file, model + " has no vocab");
        }
        if (shape != wanted || shape != JsonToken.START_OBJECT && shape != JsonToken.START_ARRAY) {
            throw error(file, model + "'s vocab is " + describe(shape) + ", not "
                    + (type == null ? "an object or a list" : describe(wanted)));
        }
    }

    /** Unigram's [[piece, score], ...], p at its start: a piece's id is its index. */
    private static void readUnigram(JsonParser p, Path file, Entries vocab) throws IOException {
        for (int i = 0; p.nextToken() != JsonToken.END_ARRAY; i++) {
            JsonToken entry = p.currentToken();
            if (entry != JsonToken.START_ARRAY) {
                throw error(file, "model vocab[" + i + "] is " + describe(entry) + ", not a [piece, score] list");
            }
            if (p.nextToken() != JsonToken.VALUE_STRING) {
                throw error(file, "model vocab[" + i + "] does not start with a piece string");
            }
            vocab.add(p.getText(), i);
            while (p.nextToken() != JsonToken.END_ARRAY) {
                p.skipChildren();
            }
        }
    }

    // ---- vocab.json, added_tokens.json, tokenizer_config.json ----

    /** Reads the {"token": id, ...} object p is at into to; where prefixes a token in messages. */
    private static void readIdObject(JsonParser p, Path file, String where, Entries to) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String token = p.currentName();
            p.nextToken();
            to.add(token, readId(p, file, where, token));
        }
    }

    private static void readConfig(JsonParser p, Path file, List<AddedToken> added) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            if (!name.equals("added_tokens_decoder") || value == JsonToken.VALUE_NULL) {
                p.skipChildren();
                continue;
            }
            if (value != JsonToken.START_OBJECT) {
                throw error(file, "added_tokens_decoder is " + describe(value) + ", not an object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                String where = "added_tokens_decoder " + quote(key);
                int id;
                try {
                    id = Integer.parseInt(key);
                } catch (NumberFormatException e) {
                    throw error(file, where + " is not an integer id");
                }
                if (id < 0) {
                    throw error(file, where + " is a negative id");
                }
                if (id > MAX_ID) {
                    throw error(file, where + " is an id past " + MAX_ID);
                }
                p.nextToken();
                added.add(readAddedToken(p, file, where, id));
            }
        }
    }

    // ---- JSON helpers ----

    private interface Body {
        void read(JsonParser p) throws IOException;
    }

    /** Runs body on file's parser positioned at its top-level object's start, and checks nothing follows it. */
    private static void parse(Path file, Body body) throws IOException {
        try (JsonParser p = JSON.createParser(file.toFile())) {
            JsonToken first = p.nextToken();
            if (first != JsonToken.START_OBJECT) {
                throw error(file, first == null ? "not JSON: empty" : "not a JSON object: it is " + describe(first));
            }
            body.read(p);
            if (p.nextToken() != null) {
                throw error(file, "not JSON: more after the top-level object");
            }
        } catch (JsonProcessingException e) {
            throw JsonErrors.input(file, e);
        }
    }

    /** An added token's object, p at its start; a {@code keyId} of -1 means the object holds the id. */
    private static AddedToken readAddedToken(JsonParser p, Path file, String where, int keyId) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw error(file, where + " is " + describe(p.currentToken()) + ", not an object");
        }
        String content = null;
        int id = keyId;
        Boolean special = null;
        Boolean normalized = null;
        boolean lstrip = false;
        boolean rstrip = false;
        boolean singleWord = false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            switch (name) {
                case "content" -> {
                    if (value != JsonToken.VALUE_STRING) {
                        throw error(file, where + "'s content is " + describe(value) + ", not a string");
                    }
                    content = p.getText();
                }
                case "id" -> {
                    if (keyId < 0) {
                        id = readId(p, file, where, null);
                    } else {
                        p.skipChildren();
                    }
                }
                case "special" -> special = bool(p, file, where, name);
                case "normalized" -> normalized = bool(p, file, where, name);
                case "lstrip" -> lstrip = Boolean.TRUE.equals(bool(p, file, where, name));
                case "rstrip" -> rstrip = Boolean.TRUE.equals(bool(p, file, where, name));
                case "single_word" -> singleWord = Boolean.TRUE.equals(bool(p, file, where, name));
                default -> p.skipChildren();
            }
        }
        if (content == null) {
            throw error(file, where + " has no content");
        }
        if (id < 0) {
            throw error(file, where + " has no id");
        }
        boolean isSpecial = Boolean.TRUE.equals(special);
        return new AddedToken(content, id, isSpecial, normalized == null ? !isSpecial : normalized, lstrip, rstrip, singleWord);
    }

    /** The boolean p is at, or null for JSON null (the field's default). */
    private static Boolean bool(JsonParser p, Path file, String where, String field) throws IOException {
        return switch (p.currentToken()) {
            case VALUE_TRUE -> true;
            case VALUE_FALSE -> false;
            case VALUE_NULL -> null;
            default -> throw error(file, where + "'s " + field + " is " + describe(p.currentToken()) + ", not a boolean");
        };
    }

    /** The id p is at, for the entry named where (followed by token, quoted, unless null). */
    private static int readId(JsonParser p, Path file, String where, String token) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_NUMBER_INT && p.getNumberType() == JsonParser.NumberType.INT
                && p.getIntValue() >= 0 && p.getIntValue() <= MAX_ID) {
            return p.getIntValue();
        }
        // the message is built only here: a vocab has 100k+ entries
        String what = token == null ? where : where + quote(token);
        if (t != JsonToken.VALUE_NUMBER_INT) {
            throw error(file, what + " has a non-integer id " + (t == JsonToken.VALUE_STRING ? quote(p.getText())
                    : t.isScalarValue() ? p.getText() : describe(t)));
        }
        if (p.getText().startsWith("-")) {
            throw error(file, what + " has a negative id " + p.getText());
        }
        throw error(file, what + " has an id past " + MAX_ID + ": " + p.getText());
    }

    private static String describe(JsonToken t) {
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "a list";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> t.name();
        };
    }

    // ---- building ----

    /** Token-id pairs in file order. */
    private static final class Entries {
        final List<String> tokens = new ArrayList<>();
        int[] ids = new int[256];

        void add(String token, int id) {
            if (tokens.size() == ids.length) {
                ids = Arrays.copyOf(ids, ids.length * 2);
            }
            ids[tokens.size()] = id;
            tokens.add(token);
        }

        int size() {
            return tokens.size();
        }
    }

    private static Vocabulary build(Path file, Entries vocab, List<AddedToken> addedTokens) {
        for (AddedToken t : addedTokens) {
            vocab.add(t.content(), t.id());
        }
        int n = vocab.size();
        List<String> names = vocab.tokens;
        int[] ids = vocab.ids;
        // each token's last entry stands
        Map<String, Integer> last = HashMap.newHashMap(n);
        for (int i = 0; i < n; i++) {
            last.put(names.get(i), i);
        }
        // id in the high half, entry in the low: a primitive sort orders by id, then file order
        long[] order = new long[last.size()];
        int k = 0;
        for (int i : last.values()) {
            order[k++] = (long) ids[i] << 32 | i;
        }
        Arrays.sort(order);
        Map<String, Integer> byToken = LinkedHashMap.newLinkedHashMap(order.length);
        // the ids that have a token and the token naming each, not an array over all ids: a file may hold a
        // huge id (transformers takes it), which must not cost an allocation of its size
        int[] distinct = new int[order.length];
        String[] namers = new String[order.length];
        int d = 0;
        for (int a = 0; a < order.length; ) {
            int id = (int) (order[a] >>> 32);
            int b = a + 1;
            while (b < order.length && (int) (order[b] >>> 32) == id) {
                b++;
            }
            distinct[d] = id;
            namers[d++] = names.get((int) order[b - 1]); // the later entry names the id
            if (b - a == 1) {
                byToken.put(namers[d - 1], id);
            } else {
                String[] shared = new String[b - a];
                for (int i = a; i < b; i++) {
                    shared[i - a] = names.get((int) order[i]);
                }
                Arrays.sort(shared);
                for (String token : shared) {
                    byToken.put(token, id);
                }
            }
            a = b;
        }

        Map<String, AddedToken> lastAdded = new HashMap<>();
        for (AddedToken t : addedTokens) {
            lastAdded.put(t.content(), t);
        }
        AddedToken[] sorted = lastAdded.values().toArray(new AddedToken[0]);
        Arrays.sort(sorted, Comparator.comparingInt(AddedToken::id).thenComparing(AddedToken::content));
        Map<String, AddedToken> added = LinkedHashMap.newLinkedHashMap(sorted.length);
        for (AddedToken t : sorted) {
            added.put(t.content(), t);
        }
        return new Vocabulary(Collections.unmodifiableMap(byToken), Collections.unmodifiableMap(added),
                new ById(Arrays.copyOf(distinct, d), Arrays.copyOf(namers, d)), file);
    }

    /** The tokens by id: ids[i]'s is names[i]; an id between them has none. */
    private static final class ById extends AbstractList<String> implements RandomAccess {
        private final int[] ids;
        private final String[] names;

        ById(int[] ids, String[] names) {
            this.ids = ids;
            this.names = names;
        }

        @Override
        public String get(int id) {
            Objects.checkIndex(id, size());
            // ids rise without repeats, so ids[id] == id holds exactly when ids up to id are all present
            if (id < ids.length && ids[id] == id) {
                return names[id];
            }
            int i = Arrays.binarySearch(ids, id);
            return i < 0 ? null : names[i];
        }

        @Override
        public int size() {
            return ids.length == 0 ? 0 : ids[ids.length - 1] + 1;
        }
    }

    // ---- messages ----

    private static IOException error(Path file, String why) {
        return new IOException(file + ": " + why);
    }

    /** token in double quotes, control characters escaped, so that a message stays one line. */
    private static String quote(String token) {
        StringBuilder b = new StringBuilder(token.length() + 2).append('"');
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                b.append("\\u").append(HexFormat.of().toHexDigits(c));
            } else {
                if (c == '"' || c == '\\') {
                    b.append('\\');
                }
                b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
