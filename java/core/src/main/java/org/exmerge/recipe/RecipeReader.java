package org.exmerge.recipe;

import static org.exmerge.recipe.ConfigNodes.child;
import static org.exmerge.recipe.ConfigNodes.describe;
import static org.exmerge.recipe.ConfigNodes.index;
import static org.exmerge.recipe.ConfigNodes.present;
import static org.exmerge.recipe.ConfigNodes.quote;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.exmerge.error.IoErrors;
import org.exmerge.format.DType;
import org.exmerge.text.Plain;

/**
 * Reads a mergekit YAML config into a {@link Recipe}, checking every key and value shape on the way
 * so that a mistake is reported once, with its key path, before any weights are touched. Unknown
 * keys are errors (mergekit ignores them, which hides typos such as {@code paramters:}).
 */
public final class RecipeReader {
    private static final List<String> TOP_KEYS = List.of("merge_method", "base_model", "models", "slices", "parameters",
            "dtype", "out_dtype", "tokenizer_source", "tokenizer", "chat_template", "name", "random_seed", "seed");
    private static final List<String> MODEL_KEYS = List.of("model", "parameters");
    private static final List<String> SLICE_KEYS = List.of("sources", "parameters", "base_model", "residual_weight");
    private static final List<String> SOURCE_KEYS = List.of("model", "layer_range", "parameters");
    private static final List<String> TOKENIZER_KEYS = List.of("source", "tokens", "pad_to_multiple_of");

    private RecipeReader() {}

    /**
     * The largest recipe read, in bytes. Real recipes are a few kilobytes (a long slices: list is
     * tens); the cap refuses a mistaken or hostile file at once instead of parsing it for minutes.
     */
    public static final int MAX_RECIPE_BYTES = 1 << 20;

    /** Reads a recipe file; errors name the file. */
    public static Recipe read(Path yamlFile) throws ConfigException, IOException {
        return parse(readText(yamlFile), yamlFile.toString());
    }

    /**
     * A recipe file's text, checked before any parsing: it must be a readable regular file of at
     * most {@link #MAX_RECIPE_BYTES} bytes of UTF-8. Every failure is a {@link ConfigException}
     * (exit 2) naming the file and the reason ("no such file or directory", "permission denied",
     * "is a directory", "not UTF-8 text (byte 0xff at offset 12, line 2)").
     */
    public static String readText(Path yamlFile) throws ConfigException {
        String name = yamlFile.toString();
        if (Files.isDirectory(yamlFile)) {
            throw new ConfigException(name, "", "is a directory, not a recipe file", null);
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(yamlFile)) {
            bytes = in.readNBytes(MAX_RECIPE_BYTES + 1);
        } catch (IOException e) {
            throw new ConfigException(name, "", IoErrors.reason(e), e);
        }
        if (bytes.length > MAX_RECIPE_BYTES) {
            throw new ConfigException(name, "", "larger than " + MAX_RECIPE_BYTES
                    + " bytes (1 MiB); a recipe is a small YAML file", null);
        }
        return utf8(bytes, name);
    }

    /** Strict UTF-8 decoding; the error says where the first bad byte is. */
    private static String utf8(byte[] bytes, String name) throws ConfigException {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        CoderResult r = dec.decode(in, out, true);
        if (!r.isError()) {
            r = dec.flush(out);
        }
        if (r.isError()) {
            int at = in.position();
            int line = 1;
            for (int i = 0; i < at; i++) {
                line += bytes[i] == '\n' ? 1 : 0;
            }
            String b = at < bytes.length ? Plain.format("byte 0x%02x", bytes[at] & 0xff) : "truncated character";
            throw new ConfigException(name, "", "not UTF-8 text (" + b + " at offset " + at + ", line " + line + ")", null);
        }
        return out.flip().toString();
    }

    /** Parses recipe text; {@code sourceName} (nullable) is put in front of error messages. */
    public static Recipe parse(String yaml, String sourceName) throws ConfigException {
        try {
            if (yaml.length() > MAX_RECIPE_BYTES) {
                throw new ConfigException("", "larger than " + MAX_RECIPE_BYTES + " characters (1 MiB); a recipe is a small YAML file");
            }
            return recipe(YamlTree.read(yaml));
        } catch (ConfigException e) {
            throw sourceName == null ? e : e.withSource(sourceName);
        }
    }

    static Recipe recipe(JsonNode root) throws ConfigException {
        if (!root.isObject()) {
            throw new ConfigException("", "expected a map of settings (merge_method, models, ...), got " + describe(root));
        }
        if (root.has("modules")) {
            throw new ConfigException("modules", "multi-module merges are not supported; use models or slices");
        }
        if (root.has("input_model_parameters")) {
            // mergekit's README lists it among the parameter levels, but its schema has no such key and drops it unread
            throw new ConfigException("input_model_parameters", "not read by mergekit either (its schema drops it, so these"
                    + " values would be lost); give each model's values under models[].parameters");
        }
        ConfigNodes.checkKeys(root, "", TOP_KEYS);

        JsonNode method = root.get("merge_method");
        if (method == null || method.isNull()) {
            throw new ConfigException("merge_method", "missing; say how to merge, e.g. merge_method: ties");
        }
        if (!method.isTextual() || method.textValue().isBlank()) {
            throw new ConfigException("merge_method", "expected a method name, got " + describe(method));
        }

        String base = present(root, "base_model") ? ModelRefReader.read(root.get("base_model"), "base_model") : null;
        List<ModelRef> models = models(root);
        List<Slice> slices = slices(root, base);
        if (models.isEmpty() && slices.isEmpty()) {
            throw new ConfigException("", "nothing to merge; give 'models' (a list of models) or 'slices'");
        }
        if (!models.isEmpty() && !slices.isEmpty()) {
            throw new ConfigException("slices", "give either 'models' or 'slices', not both");
        }
        return new Recipe(method.textValue(), base, models, slices, ParamsReader.read(root, "", "parameters"),
                dtype(root, "dtype"), dtype(root, "out_dtype"), tokenizerSource(root), seed(root),
                ConfigNodes.optionalString(root, "chat_template", ""), tokenizerOptions(root));
    }

    private static List<ModelRef> models(JsonNode root) throws ConfigException {
        JsonNode list = root.get("models");
        if (list == null || list.isNull()) {
            return List.of();
        }
        if (!list.isArray()) {
            throw new ConfigException("models", "expected a list of models, got " + describe(list));
        }
        List<ModelRef> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode m = list.get(i);
            String path = index("models", i);
            if (m.isTextual()) {
                // Not in mergekit's schema, but unambiguous: a bare name is a model without parameters.
                out.add(new ModelRef(ModelRefReader.read(m, path), ParamsReader.read(m, path, "parameters")));
                continue;
            }
            if (!m.isObject()) {
                throw new ConfigException(path, "expected {model: ..., parameters: ...}, got " + describe(m));
            }
            ConfigNodes.checkKeys(m, path, MODEL_KEYS);
            out.add(new ModelRef(requiredModel(m, path), ParamsReader.read(m, path, "parameters")));
        }
        return out;
    }

    private static List<Slice> slices(JsonNode root, String base) throws ConfigException {
        JsonNode list = root.get("slices");
        if (list == null || list.isNull()) {
            return List.of();
        }
        if (!list.isArray()) {
            throw new ConfigException("slices", "expected a list of slices, got " + describe(list));
        }
        List<Slice> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            out.add(slice(list.get(i), index("slices", i), base));
        }
        return out;
    }

    /**
     * A slice. mergekit's slice schema also has {@code base_model} and {@code residual_weight}: the
     * first is taken when it names the recipe's base (or is null), since every slice here merges over
     * that one base; the second mergekit declares and never reads, so it is accepted and has no effect
     * there or here.
     */
    /** Whether two model names name the same model as a path would ({@code ./m/base/} and {@code m/base}). */
    private static boolean sameModel(String a, String b) {
        try {
            return java.nio.file.Path.of(a).normalize().equals(java.nio.file.Path.of(b).normalize());
        } catch (java.nio.file.InvalidPathException notAPath) {
            return a.equals(b);
        }
    }

    private static Slice slice(JsonNode s, String path, String base) throws ConfigException {
        if (!s.isObject()) {
            throw new ConfigException(path, "expected {sources: [...], parameters: ...}, got " + describe(s));
        }
        if (present(s, "base_model")) {
            String own = ModelRefReader.read(s.get("base_model"), child(path, "base_model"));
            if (base == null || !sameModel(own, base)) {
                throw new ConfigException(child(path, "base_model"), "a slice's own base model (" + own + ") "
                        + (base == null ? "with no top-level base_model" : "other than the top-level base_model (" + base + ")")
                        + " is not supported: every slice merges over the recipe's one base_model, so set it at the top level");
            }
        }
        ConfigNodes.checkKeys(s, path, SLICE_KEYS);
        JsonNode sources = s.get("sources");
        String sourcesPath = child(path, "sources");
        if (sources == null || sources.isNull()) {
            throw new ConfigException(sourcesPath, "missing; a slice needs a list of sources");
        }
        if (!sources.isArray() || sources.isEmpty()) {
            throw new ConfigException(sourcesPath, "expected a non-empty list of {model, layer_range}, got "
                    + (sources.isArray() ? "an empty list" : describe(sources)));
        }
        List<SliceSource> out = new ArrayList<>();
        for (int j = 0; j < sources.size(); j++) {
            SliceSource src = source(sources.get(j), index(sourcesPath, j));
            if (j > 0 && src.layerCount() != out.get(0).layerCount()) {
                throw new ConfigException(child(index(sourcesPath, j), "layer_range"), "spans " + src.layerCount() + " layers but "
                        + index(sourcesPath, 0) + " spans " + out.get(0).layerCount()
                        + "; all sources of a slice must span the same number of layers");
            }
            out.add(src);
        }
        return new Slice(out, ParamsReader.read(s, path, "parameters"));
    }

    private static SliceSource source(JsonNode src, String path) throws ConfigException {
        if (!src.isObject()) {
            throw new ConfigException(path, "expected {model: ..., layer_range: [start, end]}, got " + describe(src));
        }
        ConfigNodes.checkKeys(src, path, SOURCE_KEYS);
        String model = requiredModel(src, path);
        String rangePath = child(path, "layer_range");
        JsonNode range = src.get("layer_range");
        if (range == null || range.isNull()) {
            throw new ConfigException(rangePath, "missing; each source needs layer_range: [start, end]");
        }
        String expected = "[start, end] with whole numbers 0 <= start <= end (end exclusive)";
        Integer start = range.isArray() && range.size() == 2 ? ConfigNodes.wholeInt(range.get(0)) : null;
        Integer end = range.isArray() && range.size() == 2 ? ConfigNodes.wholeInt(range.get(1)) : null;
        if (start == null || end == null || start < 0 || end < start) {
            throw new ConfigException(rangePath, "expected " + expected + ", got " + show(range));
        }
        return new SliceSource(model, start, end, ParamsReader.read(src, path, "parameters"));
    }

    /** A layer_range as written, for messages: [0, 'a'] or the value's description. */
    private static String show(JsonNode range) {
        if (!range.isArray()) {
            return describe(range);
        }
        List<String> parts = new ArrayList<>();
        for (JsonNode e : range) {
            parts.add(e.isContainerNode() ? describe(e) : e.isTextual() ? quote(e.textValue()) : e.asText());
        }
        return "[" + String.join(", ", parts) + "]";
    }

    private static String requiredModel(JsonNode map, String path) throws ConfigException {
        if (!present(map, "model")) {
            throw new ConfigException(child(path, "model"), "missing; name the model (a directory or hub name)");
        }
        return ModelRefReader.read(map.get("model"), child(path, "model"));
    }

    private static DType dtype(JsonNode root, String key) throws ConfigException {
        String name = ConfigNodes.optionalString(root, key, "");
        if (name == null) {
            return null;
        }
        DType t = DType.fromConfig(name);
        if (t == null) {
            throw new ConfigException(key, "unknown dtype " + quote(name) + "; expected " + DType.FLOAT_NAMES);
        }
        if (!t.isFloat()) {
            throw new ConfigException(key, quote(name) + " is not a floating-point type; merged weights are " + DType.FLOAT_NAMES);
        }
        return t;
    }

    private static String tokenizerSource(JsonNode root) throws ConfigException {
        boolean flat = present(root, "tokenizer_source");
        boolean nested = present(root, "tokenizer");
        if (flat && nested) {
            throw new ConfigException("tokenizer", "give either tokenizer_source or tokenizer, not both");
        }
        if (flat) {
            return tokenizerSourceValue(root.get("tokenizer_source"), "tokenizer_source");
        }
        if (!nested) {
            return null;
        }
        JsonNode t = root.get("tokenizer");
        if (!t.isObject()) {
            throw new ConfigException("tokenizer", "expected {source: ...}, got " + describe(t));
        }
        ConfigNodes.checkKeys(t, "tokenizer", TOKENIZER_KEYS);
        // mergekit's default when the block gives no source.
        return present(t, "source") ? tokenizerSourceValue(t.get("source"), "tokenizer.source") : "union";
    }

    /** The tokenizer block's {@code tokens} and {@code pad_to_multiple_of} (checked by {@link #tokenizerSource} first). */
    private static TokenizerOptions tokenizerOptions(JsonNode root) throws ConfigException {
        JsonNode t = root.get("tokenizer");
        if (t == null || !t.isObject()) {
            return TokenizerOptions.NONE;
        }
        int pad = 0;
        if (present(t, "pad_to_multiple_of")) {
            Integer v = ConfigNodes.wholeInt(t.get("pad_to_multiple_of"));
            if (v == null || v < 1) {
                throw new ConfigException("tokenizer.pad_to_multiple_of", "expected a whole number >= 1, got " + describe(t.get("pad_to_multiple_of")));
            }
            pad = v;
        }
        Map<String, TokenEmbedding> tokens = new LinkedHashMap<>();
        if (present(t, "tokens")) {
            JsonNode map = t.get("tokens");
            if (!map.isObject()) {
                throw new ConfigException("tokenizer.tokens", "expected a map of token: {source: ...}, got " + describe(map));
            }
            for (Map.Entry<String, JsonNode> e : map.properties()) {
                tokens.put(e.getKey(), TokenEmbeddingReader.read(e.getValue(), "tokenizer.tokens." + e.getKey()));
            }
        }
        return new TokenizerOptions(tokens, pad);
    }

    private static String tokenizerSourceValue(JsonNode v, String path) throws ConfigException {
        if (v.isTextual() && (v.textValue().equals("base") || v.textValue().equals("union"))) {
            return v.textValue();
        }
        return ModelRefReader.read(v, path);
    }

    private static Long seed(JsonNode root) throws ConfigException {
        boolean a = present(root, "seed");
        boolean b = present(root, "random_seed");
        if (a && b) {
            throw new ConfigException("seed", "give either seed or random_seed, not both");
        }
        if (!a && !b) {
            return null;
        }
        String key = a ? "seed" : "random_seed";
        JsonNode v = root.get(key);
        if (v.isNumber() && v.canConvertToLong() && (v.isIntegralNumber() || v.doubleValue() == Math.rint(v.doubleValue()))) {
            return v.asLong();
        }
        throw new ConfigException(key, "expected a whole number (64-bit), got " + describe(v));
    }
}
