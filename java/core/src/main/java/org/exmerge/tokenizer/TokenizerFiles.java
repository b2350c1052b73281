package org.exmerge.tokenizer;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.exmerge.error.JsonErrors;

/**
 * Adds tokens to a model's tokenizer files the way transformers' {@code add_tokens} and
 * {@code save_pretrained} record them, editing the files token by token with jackson-core so that
 * a 10+ MB tokenizer.json is copied in linear time and everything else in it survives.
 */
public final class TokenizerFiles {
    // Python's json module writes NaN and Infinity; they pass through as the text they are.
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    private TokenizerFiles() {}

    /**
     * Adds tokens (each with its new id, ids increasing and above every existing id) to the tokenizer
     * files in {@code dir}: tokenizer.json's {@code added_tokens} and tokenizer_config.json's
     * {@code added_tokens_decoder} (created if missing; the file itself is left alone when absent),
     * or, for a slow tokenizer (vocab.json or tokenizer.model, no tokenizer.json), added_tokens.json
     * (created if missing) and tokenizer_config.json. All other content is kept, numbers as written;
     * each file is written to a temporary file in {@code dir} and moved over the original, and only
     * once every file has been written, so a failed call changes nothing.
     *
     * @throws IOException {@code <file>: <why>} when a file is not a JSON object, its
     *     {@code added_tokens} is not an array, a new id is not above the file's existing ids, or
     *     {@code dir} has no tokenizer file at all
     */
    public static void addTokens(Path dir, List<AddedToken> tokens) throws IOException {
        if (tokens.isEmpty()) {
            return;
        }
        Map<Path, Path> staged = new LinkedHashMap<>();
        try {
            Path fast = dir.resolve("tokenizer.json");
            Path vocab = dir.resolve("vocab.json");
            if (Files.exists(fast)) {
                stage(fast, Files.readAllBytes(fast), TokenizerFiles::maxIdOfTokenizerJson,
                        "added_tokens", true, TokenizerFiles::writeTokenizerJsonEntry, tokens, staged);
            } else if (Files.exists(vocab) || Files.exists(dir.resolve("tokenizer.model"))) {
                if (Files.exists(vocab)) {
                    checkIds(vocab, tokens, maxId(vocab, Files.readAllBytes(vocab), (p, f) -> maxValue(p, null)));
                }
                Path added = dir.resolve("added_tokens.json");
                byte[] text = Files.exists(added) ? Files.readAllBytes(added) : "{}".getBytes(StandardCharsets.UTF_8);
                stage(added, text, (p, f) -> maxValue(p, null), null, false,
                        (g, t) -> g.writeNumberField(t.content(), t.id()), tokens, staged);
            } else {
                throw new IOException(dir + ": no tokenizer.json, vocab.json or tokenizer.model");
            }
            Path config = dir.resolve("tokenizer_config.json");
            if (Files.exists(config)) {
                stage(config, Files.readAllBytes(config), TokenizerFiles::maxIdOfTokenizerConfig,
                        "added_tokens_decoder", false, TokenizerFiles::writeDecoderEntry, tokens, staged);
            }
        } catch (IOException | RuntimeException e) {
            for (Path tmp : staged.values()) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
        for (Map.Entry<Path, Path> e : staged.entrySet()) {
            Files.move(e.getValue(), e.getKey(), StandardCopyOption.ATOMIC_MOVE);
        }
    }

    private interface Scan {
        /** The largest id in the object the parser is at the start of (-1 if none), consuming it. */
        long maxId(JsonParser p, Path file) throws IOException;
    }

    private interface Entry {
        void write(JsonGenerator g, AddedToken token) throws IOException;
    }

    /**
     * Writes {@code file}'s {@code text} to a temporary file registered in {@code staged}, with one
     * entry per token appended to the container under top-level {@code key} (the root object when
     * null; an array when {@code array}, added at the end when missing).
     */
    private static void stage(Path file, byte[] text, Scan scan, String key, boolean array, Entry entry,
                              List<AddedToken> tokens, Map<Path, Path> staged) throws IOException {
        checkIds(file, tokens, maxId(file, text, scan));
        // a fixed name rather than createTempFile, whose 0600 permissions the moved file would keep
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        staged.put(file, tmp);
        try (JsonParser p = FACTORY.createParser(text);
             JsonGenerator g = FACTORY.createGenerator(Files.newOutputStream(tmp), JsonEncoding.UTF8)) {
            g.setPrettyPrinter(new DefaultPrettyPrinter());
            p.nextToken();
            if (key == null) {
                appendTo(p, g, entry, tokens);
                return;
            }
            g.writeStartObject();
            boolean found = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                g.writeFieldName(name);
                p.nextToken();
                if (name.equals(key)) {
                    found = true;
                    appendTo(p, g, entry, tokens);
                } else {
                    copy(p, g);
                }
            }
            if (!found) {
                g.writeFieldName(key);
                if (array) {
                    g.writeStartArray();
                } else {
                    g.writeStartObject();
                }
                for (AddedToken t : tokens) {
                    entry.write(g, t);
                }
                if (array) {
                    g.writeEndArray();
                } else {
                    g.writeEndObject();
                }
            }
            g.writeEndObject();
        } catch (JsonProcessingException e) {
            throw error(file, JsonErrors.reason(e));
        }
    }

    private static void appendTo(JsonParser p, JsonGenerator g, Entry entry, List<AddedToken> tokens) throws IOException {
        g.copyCurrentEvent(p);
        while (!p.nextToken().isStructEnd()) {
            copy(p, g);
        }
        for (AddedToken t : tokens) {
            entry.write(g, t);
        }
        g.copyCurrentEvent(p);
    }

    /** Copies the value (or field name) the parser is at; numbers as their text, which copyCurrentStructure would reformat (1e-05 as 1.0E-5). */
    private static void copy(JsonParser p, JsonGenerator g) throws IOException {
        int depth = 0;
        do {
            JsonToken t = p.currentToken();
            if (t.isNumeric()) {
                g.writeNumber(p.getText());
            } else {
                g.copyCurrentEvent(p);
            }
            depth += t.isStructStart() ? 1 : t.isStructEnd() ? -1 : 0;
        } while (depth > 0 && p.nextToken() != null);
    }

    private static long maxId(Path file, byte[] text, Scan scan) throws IOException {
        try (JsonParser p = FACTORY.createParser(text)) {
            JsonToken first = p.nextToken();
            if (first != JsonToken.START_OBJECT) {
                throw error(file, "not a JSON object: " + (first == null ? "empty" : "starts with " + first));
            }
            return scan.maxId(p, file);
        } catch (JsonProcessingException e) {
            throw error(file, JsonErrors.reason(e));
        }
    }

    /** The ids of added_tokens and of the model's vocab: an object of ids, or Unigram's array of pieces. */
    private static long maxIdOfTokenizerJson(JsonParser p, Path file) throws IOException {
        long max = -1;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            if (name.equals("added_tokens")) {
                if (value != JsonToken.START_ARRAY) {
                    throw error(file, "added_tokens is not an array");
                }
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    max = Math.max(max, p.currentToken() == JsonToken.START_OBJECT ? maxValue(p, "id") : skip(p));
                }
            } else if (name.equals("model") && value == JsonToken.START_OBJECT) {
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    boolean vocab = p.currentName().equals("vocab");
                    JsonToken v = p.nextToken();
                    if (vocab && v == JsonToken.START_OBJECT) {
                        max = Math.max(max, maxValue(p, null));
                    } else if (vocab && v == JsonToken.START_ARRAY) {
                        long pieces = 0;
                        while (p.nextToken() != JsonToken.END_ARRAY) {
                            p.skipChildren();
                            pieces++;
                        }
                        max = Math.max(max, pieces - 1);
                    } else {
                        p.skipChildren();
                    }
                }
            } else {
                p.skipChildren();
            }
        }
        return max;
    }

    private static long maxIdOfTokenizerConfig(JsonParser p, Path file) throws IOException {
        long max = -1;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            boolean decoder = p.currentName().equals("added_tokens_decoder");
            JsonToken value = p.nextToken();
            if (!decoder) {
                p.skipChildren();
                continue;
            }
            if (value != JsonToken.START_OBJECT) {
                throw error(file, "added_tokens_decoder is not an object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String id = p.currentName();
                try {
                    max = Math.max(max, Long.parseLong(id));
                } catch (NumberFormatException e) {
                    throw error(file, "added_tokens_decoder key \"" + id + "\" is not an id");
                }
                p.nextToken();
                p.skipChildren();
            }
        }
        return max;
    }

    /** The largest integer value of the object (of its {@code key} fields only, unless null), -1 if none. */
    private static long maxValue(JsonParser p, String key) throws IOException {
        long max = -1;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            boolean counted = key == null || key.equals(p.currentName());
            if (p.nextToken() == JsonToken.VALUE_NUMBER_INT && counted) {
                max = Math.max(max, p.getLongValue());
            } else {
                p.skipChildren();
            }
        }
        return max;
    }

    private static long skip(JsonParser p) throws IOException {
        p.skipChildren();
        return -1;
    }

    private static void checkIds(Path file, List<AddedToken> tokens, long max) throws IOException {
        long last = max;
        for (AddedToken t : tokens) {
            if (t.id() <= last) {
                throw error(file, "new token \"" + t.content() + "\" has id " + t.id() + ", not above " + last);
            }
            last = t.id();
        }
    }

    // the key order of the tokenizers library's AddedToken serialization
    private static void writeTokenizerJsonEntry(JsonGenerator g, AddedToken t) throws IOException {
        g.writeStartObject();
        g.writeNumberField("id", t.id());
        g.writeStringField("content", t.content());
        g.writeBooleanField("single_word", t.singleWord());
        g.writeBooleanField("lstrip", t.lstrip());
        g.writeBooleanField("rstrip", t.rstrip());
        g.writeBooleanField("normalized", t.normalized());
        g.writeBooleanField("special", t.special());
        g.writeEndObject();
    }

    // transformers writes tokenizer_config.json with sort_keys=True
    private static void writeDecoderEntry(JsonGenerator g, AddedToken t) throws IOException {
        g.writeObjectFieldStart(Integer.toString(t.id()));
        g.writeStringField("content", t.content());
        g.writeBooleanField("lstrip", t.lstrip());
        g.writeBooleanField("normalized", t.normalized());
        g.writeBooleanField("rstrip", t.rstrip());
        g.writeBooleanField("single_word", t.singleWord());
        g.writeBooleanField("special", t.special());
        g.writeEndObject();
    }

    private static IOException error(Path file, String why) {
        return new IOException(file + ": " + why);
    }
}
