package org.exmerge.engine;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.exmerge.error.InputException;
import org.exmerge.error.JsonErrors;

/**
 * Copies a model's config.json with {@code torch_dtype} and the layer count set, token by token with
 * jackson-core: the bytes Jackson's tree model writes for it (same pretty printer, each number written
 * back as the type it was parsed as, a missing key appended), without an ObjectMapper, whose class
 * initialisation (its date format's locale data) cost every merge ~36 ms on the main thread of the
 * 2-core machine.
 */
final class ConfigJson {
    private static final JsonFactory FACTORY = new JsonFactory();
    private static final String VOCAB_SIZE = "vocab_size";

    private ConfigJson() {}

    /**
     * Writes {@code from} to {@code to} with {@code torch_dtype} set to {@code torchDtype} (unless
     * null) and every top-level layer-count key of {@code layerKeys} holding an integer set to
     * {@code layers} (when none does, {@code layerKeys.get(0)} set or added; nothing when {@code layers < 0}).
     */
    static void rewrite(Path from, Path to, String torchDtype, int layers, List<String> layerKeys) throws IOException {
        rewrite(from, to, torchDtype, layers, layerKeys, -1);
    }

    /**
     * Refuses a config.json that is not a JSON object, naming the file: run while planning, so that a
     * broken input stops the merge before any work rather than when its output is being finished.
     */
    static void check(Path config) throws IOException {
        scan(config, Files.readAllBytes(config), AuxFiles.LAYER_COUNT_KEYS);
    }

    /** What the first pass found: which keys are there, and which layer-count keys hold integers. */
    private record Scan(Set<String> integral, boolean hasDtype, boolean hasFirstKey, boolean hasVocab) {}

    private static Scan scan(Path from, byte[] text, List<String> layerKeys) throws IOException {
        Set<String> integral = new HashSet<>();
        boolean hasDtype = false;
        boolean hasFirstKey = false;
        boolean hasVocab = false;
        try (JsonParser p = FACTORY.createParser(text)) {
            start(p, from);
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                hasDtype |= name.equals("torch_dtype");
                hasFirstKey |= name.equals(layerKeys.get(0));
                hasVocab |= name.equals(VOCAB_SIZE);
                if (layerKeys.contains(name) && value == JsonToken.VALUE_NUMBER_INT) {
                    integral.add(name);
                }
                p.skipChildren();
            }
            if (t != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw new InputException(from + ": not valid JSON: more after the top-level object");
            }
        } catch (JsonProcessingException e) {
            throw JsonErrors.input(from, e);
        }
        return new Scan(integral, hasDtype, hasFirstKey, hasVocab);
    }

    /** As above, and the top-level {@code vocab_size} set (or added) to {@code vocabSize} unless it is negative. */
    static void rewrite(Path from, Path to, String torchDtype, int layers, List<String> layerKeys, long vocabSize) throws IOException {
        byte[] text = Files.readAllBytes(from);
        Scan scan = scan(from, text, layerKeys);
        Set<String> integral = scan.integral();
        boolean hasDtype = scan.hasDtype();
        boolean hasFirstKey = scan.hasFirstKey();
        boolean hasVocab = scan.hasVocab();
        try (JsonParser p = FACTORY.createParser(text);
             JsonGenerator g = FACTORY.createGenerator(to.toFile(), JsonEncoding.UTF8)) {
            g.setPrettyPrinter(new DefaultPrettyPrinter());
            start(p, from);
            g.writeStartObject();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                g.writeFieldName(name);
                if (torchDtype != null && name.equals("torch_dtype")) {
                    g.writeString(torchDtype);
                    p.skipChildren();
                } else if (vocabSize >= 0 && name.equals(VOCAB_SIZE)) {
                    g.writeNumber(vocabSize);
                    p.skipChildren();
                } else if (layers >= 0 && (integral.contains(name) || integral.isEmpty() && name.equals(layerKeys.get(0)))) {
                    g.writeNumber(layers);
                } else {
                    g.copyCurrentStructure(p);
                }
            }
            if (torchDtype != null && !hasDtype) {
                g.writeStringField("torch_dtype", torchDtype);
            }
            if (layers >= 0 && integral.isEmpty() && !hasFirstKey) {
                g.writeNumberField(layerKeys.get(0), layers);
            }
            if (vocabSize >= 0 && !hasVocab) {
                g.writeNumberField(VOCAB_SIZE, vocabSize);
            }
            g.writeEndObject();
        }
    }

    private static void start(JsonParser p, Path from) throws IOException {
        JsonToken first = p.nextToken();
        if (first != JsonToken.START_OBJECT) {
            throw new InputException(from + ": not a JSON object: " + (first == null ? "empty" : "starts with " + first));
        }
    }
}
