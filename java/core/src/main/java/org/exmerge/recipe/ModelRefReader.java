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
 *   <li>a map {@code {model: <path>}} where {@code <path>} is such a string or
 *       {@code {path: ..., revision: ...}} (returned as {@code path@revision}).</li>
 * </ul>
 * LoRA adapters ({@code base+adapter}, {@code lora:}) and {@code override_architecture} are rejected
 * rather than ignored: exmerge merges whole checkpoints only, and dropping either silently would
 * produce a different model than mergekit does.
 */
final class ModelRefReader {
    private static final List<String> REF_KEYS = List.of("model", "lora", "override_architecture");
    private static final List<String> PATH_KEYS = List.of("path", "revision");

    private ModelRefReader() {}

    static String read(JsonNode v, String path) throws ConfigException {
        if (v.isTextual()) {
            String s = v.textValue();
            if (s.indexOf('+') >= 0) {
                throw new ConfigException(path, quote(s) + " names a LoRA adapter ('model+adapter'); exmerge does not apply adapters,"
                        + " merge the adapter into its model first and name the result");
            }
            return modelPath(s, path);
        }
        if (v.isObject()) {
            ConfigNodes.checkKeys(v, path, REF_KEYS);
            if (present(v, "lora")) {
                throw new ConfigException(child(path, "lora"), "LoRA adapters are not supported; merge the adapter into its model first");
            }
            if (present(v, "override_architecture")) {
                throw new ConfigException(child(path, "override_architecture"), "not supported; exmerge keeps each model's own config.json");
            }
            JsonNode model = v.get("model");
            String modelPath = child(path, "model");
            if (model == null || model.isNull()) {
                throw new ConfigException(modelPath, "missing; a model reference needs 'model'");
            }
            if (model.isTextual()) {
                return modelPath(model.textValue(), modelPath);
            }
            if (model.isObject()) {
                ConfigNodes.checkKeys(model, modelPath, PATH_KEYS);
                String p = ConfigNodes.optionalString(model, "path", modelPath);
                String rev = ConfigNodes.optionalString(model, "revision", modelPath);
                if (p == null || p.isEmpty()) {
                    throw new ConfigException(child(modelPath, "path"), "missing; give the model's directory or hub name");
                }
                return rev == null || rev.isEmpty() ? p : p + "@" + rev;
            }
            throw new ConfigException(modelPath, "expected a model name or {path, revision}, got " + describe(model));
        }
        throw new ConfigException(path, "expected a model name (a string) or {model: ...}, got " + describe(v));
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
