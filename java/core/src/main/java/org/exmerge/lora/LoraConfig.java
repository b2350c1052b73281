package org.exmerge.lora;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.exmerge.error.InputException;
import org.exmerge.error.IoErrors;
import org.exmerge.error.JsonErrors;

/**
 * What {@code adapter_config.json} says about how a LoRA adapter's factors scale (numerics §12):
 * {@code r}, {@code lora_alpha}, {@code use_rslora}, and per-module {@code rank_pattern} and
 * {@code alpha_pattern}, whose keys match a module name as peft's {@code get_pattern_key} does (the
 * first key, in file order, for which {@code (.*\.)?(key)} matches the whole name); plus
 * {@code fan_in_fan_out}. Adapters whose merge is not {@code W + scaling · B·A} are refused: other
 * peft types (LoHa, LoKr, IA3, …), DoRA, and the LoRA variants named in {@link #REFUSED}.
 */
public record LoraConfig(Path file, int r, double alpha, boolean rslora, Map<Pattern, Integer> rankPattern,
                         Map<Pattern, Double> alphaPattern, boolean fanInFanOut) {
    static final String FILE_NAME = "adapter_config.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Settings that make an adapter something other than plain LoRA, with what each is. */
    private static final Map<String, String> REFUSED = refused();

    private static Map<String, String> refused() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("use_dora", "DoRA (its merge rescales every column by a learned magnitude)");
        m.put("layer_replication", "layer replication (it changes the model's layers)");
        m.put("trainable_token_indices", "trainable tokens (their rows are stored as deltas of their own)");
        m.put("target_parameters", "LoRA on parameters rather than modules");
        m.put("alora_invocation_tokens", "activated LoRA (aLoRA applies only after its invocation tokens, it cannot be merged)");
        m.put("use_qalora", "QA-LoRA");
        m.put("use_bdlora", "block-diagonal LoRA");
        m.put("velora_config", "VeLoRA");
        m.put("monteclora_config", "MonteCLoRA");
        m.put("arrow_config", "Arrow routing");
        m.put("kasa_config", "KaSA");
        return m;
    }

    /** Reads {@code dir/adapter_config.json}; every problem is one line naming the file and key. */
    public static LoraConfig read(Path dir) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new InputException(file + ": no such file (a PEFT LoRA adapter directory holds " + FILE_NAME
                    + " and adapter_model.safetensors or adapter_model.bin)");
        } catch (JsonProcessingException e) {
            throw JsonErrors.input(file, e);
        } catch (IOException e) {
            throw IoErrors.input(file, e);
        }
        if (root == null || !root.isObject()) {
            throw new InputException(file + ": expected a JSON object");
        }
        JsonNode type = root.get("peft_type");
        if (type == null || !type.isTextual()) {
            throw new InputException(file + ": 'peft_type' " + (type == null ? "is missing" : "is not a string")
                    + "; exmerge applies peft LoRA adapters (peft_type: LORA)");
        }
        if (!type.textValue().equals("LORA")) {
            throw new InputException(file + ": peft_type '" + type.textValue() + "' is not supported; exmerge applies"
                    + " LoRA adapters (peft_type: LORA) only");
        }
        for (Map.Entry<String, String> e : REFUSED.entrySet()) {
            JsonNode v = root.get(e.getKey());
            boolean set = v != null && !v.isNull() && !(v.isBoolean() && !v.booleanValue())
                    && !(v.isContainerNode() && v.isEmpty());
            if (set) {
                throw new InputException(file + ": '" + e.getKey() + "' is set: " + e.getValue()
                        + " is not supported; exmerge applies plain LoRA adapters");
            }
        }
        int r = positiveInt(root.get("r"), file, "r", 8);
        double alpha = number(root.get("lora_alpha"), file, "lora_alpha", 8);
        boolean rslora = bool(root.get("use_rslora"), file, "use_rslora");
        boolean fifo = bool(root.get("fan_in_fan_out"), file, "fan_in_fan_out");
        Map<Pattern, Integer> ranks = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : patterns(root, file, "rank_pattern")) {
            ranks.put(pattern(e.getKey(), file, "rank_pattern"), positiveInt(e.getValue(), file, "rank_pattern." + e.getKey(), 0));
        }
        Map<Pattern, Double> alphas = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : patterns(root, file, "alpha_pattern")) {
            alphas.put(pattern(e.getKey(), file, "alpha_pattern"), number(e.getValue(), file, "alpha_pattern." + e.getKey(), 0));
        }
        return new LoraConfig(file, r, alpha, rslora, ranks, alphas, fifo);
    }

    /** The rank of {@code module} (a name as the model's tensors have it, without {@code .weight}). */
    public int rank(String module) {
        Integer v = lookup(rankPattern, module);
        return v == null ? r : v;
    }

    public double alpha(String module) {
        Double v = lookup(alphaPattern, module);
        return v == null ? alpha : v;
    }

    /** {@code alpha / r}, or {@code alpha / sqrt(r)} with rsLoRA, in float64 (numerics §12). */
    public double scaling(String module) {
        int rank = rank(module);
        return rslora ? alpha(module) / Math.sqrt(rank) : alpha(module) / rank;
    }

    private static <V> V lookup(Map<Pattern, V> patterns, String module) {
        for (Map.Entry<Pattern, V> e : patterns.entrySet()) {
            if (e.getKey().matcher(module).matches()) {
                return e.getValue();
            }
        }
        return null;
    }

    private static List<Map.Entry<String, JsonNode>> patterns(JsonNode root, Path file, String key) throws InputException {
        JsonNode v = root.get(key);
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (!v.isObject()) {
            throw new InputException(file + ": '" + key + "' must map module names to values");
        }
        return List.copyOf(v.properties());
    }

    /** peft's get_pattern_key: {@code re.match(rf"(.*\.)?({key})$", module)}. */
    private static Pattern pattern(String key, Path file, String where) throws InputException {
        try {
            return Pattern.compile("(.*\\.)?(" + key + ")");
        } catch (PatternSyntaxException e) {
            throw new InputException(file + ": '" + where + "' key '" + key + "' is not a regular expression exmerge can read: "
                    + e.getDescription());
        }
    }

    private static int positiveInt(JsonNode v, Path file, String key, int absent) throws InputException {
        if ((v == null || v.isNull()) && absent > 0) {
            return absent;
        }
        if (v == null || !v.canConvertToInt() || !v.isIntegralNumber() || v.intValue() < 1) {
            throw new InputException(file + ": '" + key + "' must be a whole number >= 1, got " + v);
        }
        return v.intValue();
    }

    private static double number(JsonNode v, Path file, String key, double absent) throws InputException {
        if ((v == null || v.isNull()) && absent > 0) {
            return absent;
        }
        if (v == null || !v.isNumber() || !Double.isFinite(v.doubleValue())) {
            throw new InputException(file + ": '" + key + "' must be a number, got " + v);
        }
        return v.doubleValue();
    }

    private static boolean bool(JsonNode v, Path file, String key) throws InputException {
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw new InputException(file + ": '" + key + "' must be true or false, got " + v);
        }
        return v.booleanValue();
    }
}
