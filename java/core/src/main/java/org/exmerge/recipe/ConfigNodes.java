package org.exmerge.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collection;
import java.util.Map;

/** Small helpers for walking a config tree: key paths, unknown-key checks, and describing values in errors. */
final class ConfigNodes {
    private ConfigNodes() {}

    /** {@code parent.key}, or {@code key} at the top level. */
    static String child(String parent, String key) {
        return parent.isEmpty() ? key : parent + "." + key;
    }

    /** {@code parent[i]}. */
    static String index(String parent, int i) {
        return parent + "[" + i + "]";
    }

    /** Whether the map has the key with a non-null value (YAML {@code key:} with nothing after it is null). */
    static boolean present(JsonNode map, String key) {
        JsonNode v = map.get(key);
        return v != null && !v.isNull();
    }

    /**
     * Rejects keys outside {@code known}. A typo is far likelier than a new feature, so the message
     * suggests the closest known key when it is within edit distance 2.
     */
    static void checkKeys(JsonNode map, String path, Collection<String> known) throws ConfigException {
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            String key = e.getKey();
            if (!known.contains(key)) {
                throw unknownKey(path, key, known);
            }
        }
    }

    static ConfigException unknownKey(String path, String key, Collection<String> known) {
        String where = path.isEmpty() ? "the top level" : path;
        String hint = suggestion(key, known);
        return new ConfigException(child(path, key), "unknown key '" + key + "' at " + where
                + (hint == null ? "; expected one of " + String.join(", ", known) : " (did you mean '" + hint + "'?)"));
    }

    /** The known key closest to {@code key}, if within edit distance 2 (ties go to the first listed). */
    static String suggestion(String key, Collection<String> known) {
        String best = null;
        int bestDistance = 3;
        for (String k : known) {
            int d = EditDistance.between(key, k);
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        return best;
    }

    /** How a value reads in an error message: "a list", "a map", "'text'", "true", "3.5", "nothing (null)". */
    static String describe(JsonNode v) {
        if (v == null || v.isNull() || v.isMissingNode()) {
            return "nothing (null)";
        } else if (v.isArray()) {
            return "a list";
        } else if (v.isObject()) {
            return "a map";
        } else if (v.isTextual()) {
            return quote(v.textValue());
        } else {
            return v.asText();
        }
    }

    /** A config string quoted for a message, shortened so a pasted template cannot flood the line. */
    static String quote(String s) {
        String shown = s.length() > 60 ? s.substring(0, 57) + "..." : s;
        return "'" + shown + "'";
    }

    /** A string value; null when absent or null; an error for anything else. */
    static String optionalString(JsonNode map, String key, String path) throws ConfigException {
        JsonNode v = map.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new ConfigException(child(path, key), "expected a string, got " + describe(v));
        }
        return v.textValue();
    }

    /**
     * The value as an int if it is a whole number that fits (YAML may write 32 or 32.0; a quoted "32"
     * too, as mergekit's lax reading takes it), else null.
     */
    static Integer wholeInt(JsonNode v) {
        if (v != null && v.isTextual() && v.textValue().strip().matches("[+-]?\\d{1,9}")) {
            return Integer.valueOf(v.textValue().strip());
        }
        if (v == null || !v.isNumber() || !v.canConvertToInt()) {
            return null;
        }
        double d = v.doubleValue();
        return v.isIntegralNumber() || (Double.isFinite(d) && d == Math.rint(d)) ? Integer.valueOf(v.asInt()) : null;
    }
}
