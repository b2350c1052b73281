package org.exmerge.recipe;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The named parameters written at one level of a recipe (top-level, slice, or model/source), in the
 * order they were written. Names are not checked here: each merge method knows its own and reports
 * unknown or missing ones against {@link #path()} / {@link ParamValue#path()}.
 */
public final class Params {
    /** No parameters, with no key path (for recipes built in code). */
    public static final Params EMPTY = new Params("", Map.of());

    private final String path;
    private final Map<String, ParamValue> values;

    /** Parameters at key path {@code path} (e.g. {@code models[0].parameters}); the map's iteration order is kept. */
    public Params(String path, Map<String, ? extends ParamValue> values) {
        this.path = Objects.requireNonNull(path, "path");
        LinkedHashMap<String, ParamValue> copy = new LinkedHashMap<>();
        values.forEach((k, v) -> copy.put(Objects.requireNonNull(k, "name"), Objects.requireNonNull(v, "value")));
        this.values = Collections.unmodifiableMap(copy);
    }

    /** The value written for {@code key} at this level, or null. */
    public ParamValue get(String key) {
        return values.get(key);
    }

    /** The names written at this level, in order. */
    public Set<String> keys() {
        return values.keySet();
    }

    /** All values by name, in order (unmodifiable). */
    public Map<String, ParamValue> asMap() {
        return values;
    }

    public boolean isEmpty() {
        return values.isEmpty();
    }

    /** Key path of this block, e.g. {@code models[0].parameters}; "" when built in code. */
    public String path() {
        return path;
    }

    /** The key path of a parameter named {@code key} in this block (whether or not it is present). */
    public String pathOf(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Params p && path.equals(p.path) && values.equals(p.values);
    }

    @Override
    public int hashCode() {
        return 31 * path.hashCode() + values.hashCode();
    }

    @Override
    public String toString() {
        return "Params[" + path + " " + values + "]";
    }
}
