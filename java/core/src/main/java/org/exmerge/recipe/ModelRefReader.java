package org.exmerge.recipe;

import static org.exmerge.recipe.ConfigNodes.child;
import static org.exmerge.recipe.ConfigNodes.describe;
import static org.exmerge.recipe.ConfigNodes.present;
import static org.exmerge.recipe.ConfigNodes.quote;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * Reads a model reference in the forms mergekit's {@code ModelReference} accepts, and returns it
 * as one string:
 * <ul>
 *   <li>{@code org/name} or {@code /path/to/dir}, optionally {@code @revision};</li>
 *   <li>{@code model+adapter}: a PEFT LoRA adapter applied to the model (numerics §12);</li>
 *   <li>a map {@code {model: <path>, lora: <path>}} where each {@code <path>} is such a string or
 *       {@code {path: ..., revision: ...}} (read as {@code path@revision}); with {@code lora} it
 *       reads as {@code model+lora}, the string form, which is what recipes written back hold.</li>
 * </ul>
 * {@code override_architecture} is rejected rather than ignored: exmerge keeps each model's own
 * config.json, and dropping it silently would produce a different model than mergekit does.
 */
final class ModelRefReader {
    private static final List<String> REF_KEYS = List.of("model", "lora", "override_architecture");
    private static final List<String> PATH_KEYS = List.of("path", "revision");

    private ModelRefReader() {}

    static String read(JsonNode v, String path) throws ConfigException {
        if (v.isTextual()) {
            String s = v.textValue();
            int plus = s.indexOf('+');
            if (plus < 0) {
                return modelPath(s, path);
            }
            if (s.indexOf('+', plus + 1) >= 0) {
                throw new ConfigException(path, quote(s) + " has more than one '+'; write model+adapter (one LoRA adapter per model)");
            }
            if (s.substring(0, plus).isBlank() || s.substring(plus + 1).isBlank()) {
                throw new ConfigException(path, quote(s) + " needs a model before '+' and a LoRA adapter after it: write model+adapter");
            }
            modelPath(s.substring(0, plus), path);
            modelPath(s.substring(plus + 1), path);
            return s;
        }
        if (v.isObject()) {
            ConfigNodes.checkKeys(v, path, REF_KEYS);
            if (present(v, "override_architecture")) {
                throw new ConfigException(child(path, "override_architecture"), "not supported; exmerge keeps each model's own config.json");
            }
            JsonNode model = v.get("model");
            String modelPath = child(path, "model");
            if (model == null || model.isNull()) {
                throw new ConfigException(modelPath, "missing; a model reference needs 'model'");
            }
            String m = pathOf(model, modelPath, "model");
            return present(v, "lora") ? m + "+" + pathOf(v.get("lora"), child(path, "lora"), "adapter") : m;
        }
        throw new ConfigException(path, "expected a model name (a string) or {model: ...}, got " + describe(v));
    }

    /** mergekit's ModelPath: a name, or {path, revision}; '+' is kept for model+adapter. */
    private static String pathOf(JsonNode v, String path, String what) throws ConfigException {
        String s;
        String at = path;
        if (v.isTextual()) {
            s = modelPath(v.textValue(), path);
        } else if (v.isObject()) {
            ConfigNodes.checkKeys(v, path, PATH_KEYS);
            String p = ConfigNodes.optionalString(v, "path", path);
            String rev = ConfigNodes.optionalString(v, "revision", path);
            at = child(path, "path");
            if (p == null || p.isEmpty()) {
                throw new ConfigException(at, "missing; give the " + what + "'s directory or hub name");
            }
            s = rev == null || rev.isEmpty() ? p : p + "@" + rev;
        } else {
            throw new ConfigException(path, "expected a" + (what.equals("model") ? " model name" : "n adapter directory")
                    + " or {path, revision}, got " + describe(v));
        }
        if (s.indexOf('+') >= 0) {
            throw new ConfigException(at, quote(s) + ": exmerge reads a '+' as model+adapter, so a path may not hold one here;"
                    + " give the adapter as 'lora', or rename the directory");
        }
        return s;
    }

    /** mergekit's ModelPath string: a name with at most one '@revision'. */
    private static String modelPath(String s, String path) throws ConfigException {
        if (s.isBlank()) {
            throw new ConfigException(path, "expected a model name, got an empty string");
        }
        int at = s.indexOf('@');
        if (at >= 0 && s.indexOf('@', at + 1) >= 0) {
            throw new ConfigException(path, quote(s) + " has more than one '@'; write name@revision");
        }
        return s;
    }
}
