package org.exmerge.recipe;

import static org.exmerge.recipe.ConfigNodes.child;
import static org.exmerge.recipe.ConfigNodes.describe;
import static org.exmerge.recipe.ConfigNodes.index;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a {@code parameters:} block. Names are free (each merge method checks its own); values must
 * have one of mergekit's shapes (numerics §9): a number, boolean or string; a list of numbers (gradient);
 * a list of {@code {filter, value}} maps whose value is a scalar or a gradient. mergekit also accepts
 * a single {@code {filter, value}} map, read here as a one-entry list.
 */
final class ParamsReader {
    private static final String SHAPES =
            "expected a number, a boolean, a string, a list of numbers, or a list of {filter, value}";
    private static final List<String> ENTRY_KEYS = List.of("filter", "value");

    private ParamsReader() {}

    /** The block under {@code key} of {@code owner}; an empty block with that path when absent or null. */
    static Params read(JsonNode owner, String ownerPath, String key) throws ConfigException {
        String path = child(ownerPath, key);
        JsonNode block = owner.get(key);
        if (block == null || block.isNull()) {
            return new Params(path, Map.of());
        }
        if (!block.isObject()) {
            throw new ConfigException(path, "expected a map of parameter names to values, got " + describe(block));
        }
        Map<String, ParamValue> values = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : block.properties()) {
            values.put(e.getKey(), value(e.getValue(), child(path, e.getKey())));
        }
        return new Params(path, values);
    }

    /** One parameter value at {@code path}. */
    static ParamValue value(JsonNode v, String path) throws ConfigException {
        if (v.isArray()) {
            if (v.isEmpty()) {
                throw new ConfigException(path, "an empty list gives no value; " + SHAPES);
            }
            JsonNode first = v.get(0);
            if (first.isObject()) {
                return filtered(v, path);
            }
            if (numeric(first)) {
                return gradient(v, path);
            }
            throw new ConfigException(index(path, 0), SHAPES + "; a list holds numbers or {filter, value} maps, got " + describe(first));
        }
        if (v.isObject()) {
            // mergekit's ConditionalParameter on its own: read as a list of one entry.
            return new ParamValue.Filtered(path, List.of(entry(v, path)));
        }
        return scalar(v, path, SHAPES);
    }

    private static ParamValue scalar(JsonNode v, String path, String expected) throws ConfigException {
        if (v.isNumber()) {
            return new ParamValue.Scalar(path, finite(v, path));
        } else if (v.isBoolean()) {
            return new ParamValue.Scalar(path, v.booleanValue());
        } else if (v.isTextual()) {
            return new ParamValue.Scalar(path, v.textValue());
        }
        throw new ConfigException(path, expected + ", got " + describe(v));
    }

    private static ParamValue.Gradient gradient(JsonNode list, String path) throws ConfigException {
        double[] values = new double[list.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode e = list.get(i);
            if (!numeric(e)) {
                throw new ConfigException(index(path, i), "expected a number in this gradient (a list of numbers), got " + describe(e));
            }
            values[i] = e.isNumber() ? finite(e, index(path, i)) : ParamResolver.laxNumber(e.isBoolean() ? e.booleanValue() : e.textValue());
        }
        return new ParamValue.Gradient(path, values);
    }

    private static ParamValue.Filtered filtered(JsonNode list, String path) throws ConfigException {
        List<ParamValue.Entry> entries = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            JsonNode e = list.get(i);
            if (!e.isObject()) {
                throw new ConfigException(index(path, i), "expected a {filter, value} map like " + index(path, 0) + ", got " + describe(e));
            }
            entries.add(entry(e, index(path, i)));
        }
        return new ParamValue.Filtered(path, entries);
    }

    private static ParamValue.Entry entry(JsonNode map, String path) throws ConfigException {
        if (map.has("pattern") && !map.has("filter")) {
            // Old mergekit examples wrote 'pattern'; today's mergekit ignores it, so the entry would
            // silently match every tensor. Say so instead of guessing either way.
            throw new ConfigException(child(path, "pattern"), "unknown key 'pattern' at " + path
                    + " (mergekit ignores it, so this entry would match every tensor); write 'filter'");
        }
        ConfigNodes.checkKeys(map, path, ENTRY_KEYS);
        JsonNode filter = map.get("filter");
        if (filter != null && !filter.isNull() && !filter.isTextual()) {
            throw new ConfigException(child(path, "filter"), "expected a string (part of a tensor name, or '*'), got " + describe(filter));
        }
        JsonNode value = map.get("value");
        String valuePath = child(path, "value");
        if (value == null || value.isNull()) {
            throw new ConfigException(valuePath, "missing; each {filter, value} entry needs a value");
        }
        ParamValue pv;
        if (value.isArray()) {
            if (value.isEmpty() || !numeric(value.get(0))) {
                throw new ConfigException(valuePath, "expected a number, a boolean, a string, or a list of numbers, got "
                        + (value.isEmpty() ? "an empty list" : "a list starting with " + describe(value.get(0))));
            }
            pv = gradient(value, valuePath);
        } else {
            pv = scalar(value, valuePath, "expected a number, a boolean, a string, or a list of numbers");
        }
        return new ParamValue.Entry(filter == null || filter.isNull() ? null : filter.textValue(), pv);
    }

    /** A number, or what mergekit's lax reading takes as one: a quoted number, a boolean (ParamResolver.laxNumber). */
    private static boolean numeric(JsonNode v) {
        return v.isNumber() || v.isBoolean() || v.isTextual() && ParamResolver.laxNumber(v.textValue()) != null;
    }

    private static double finite(JsonNode v, String path) throws ConfigException {
        double d = v.doubleValue();
        if (!Double.isFinite(d)) {
            throw new ConfigException(path, "expected a finite number, got " + v.asText());
        }
        return d;
    }
}
