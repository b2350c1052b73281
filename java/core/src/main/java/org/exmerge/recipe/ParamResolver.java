package org.exmerge.recipe;

import java.util.Objects;

/**
 * numerics §9: which level's value applies to a tensor, and what number, boolean or string it gives.
 * Levels are passed most specific first: the slice source's (per-model) parameters, the slice's,
 * then the top-level {@code parameters}. A {@code models:} recipe is one slice over all layers.
 */
public final class ParamResolver {
    private ParamResolver() {}

    /** The value of {@code key} at the first level (most specific first) that has it; null if none does. Null levels are skipped. */
    public static ParamValue find(String key, Params... levels) {
        for (Params p : levels) {
            ParamValue v = p == null ? null : p.get(key);
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    /**
     * Like {@link #find}, but as mergekit reads a level whose {filter, value} list has no entry for
     * this tensor: as if the key were not written there, so the lookup goes on to the next level.
     */
    public static ParamValue findFor(String key, String tensorName, Params... levels) {
        for (Params p : levels) {
            ParamValue v = p == null ? null : p.get(key);
            if (v != null && (!(v instanceof ParamValue.Filtered f) || matching(f, tensorName) != null)) {
                return v;
            }
        }
        return null;
    }

    /** A number for the tensor: a scalar, a gradient read at {@code t}, or the first matching filtered entry's value. */
    public static double number(ParamValue v, String tensorName, double t) throws ConfigException {
        ParamValue leaf = select(v, tensorName);
        if (leaf instanceof ParamValue.Gradient g) {
            return gradientAt(g.values(), t);
        }
        Object x = ((ParamValue.Scalar) leaf).value();
        Double d = laxNumber(x);
        if (d != null) {
            return d;
        }
        throw new ConfigException(leaf.path(), "expected a number or a list of numbers, got " + show(x));
    }

    /**
     * A scalar as the number mergekit makes of it, else null. mergekit's parameter values are floats
     * read by pydantic in lax mode, which also takes {@code "0.5"} (a quoted number) and booleans
     * (1 and 0); a non-finite result is refused as a written {@code .inf} is.
     */
    static Double laxNumber(Object x) {
        if (x instanceof Double d) {
            return d;
        }
        if (x instanceof Boolean b) {
            return b ? 1.0 : 0.0;
        }
        if (x instanceof String str && str.strip().matches("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?")) {
            double d = Double.parseDouble(str.strip());
            return Double.isFinite(d) ? d : null;
        }
        return null;
    }

    /**
     * A boolean for the tensor. The numbers 0 and 1 count as false and true: mergekit reads every
     * parameter through a float, so configs written for it may say {@code normalize: 1}.
     */
    public static boolean bool(ParamValue v, String tensorName) throws ConfigException {
        ParamValue leaf = select(v, tensorName);
        if (leaf instanceof ParamValue.Scalar s) {
            if (s.value() instanceof Boolean b) {
                return b;
            }
            if (s.value() instanceof Double d && (d == 0.0 || d == 1.0)) {
                return d == 1.0;
            }
            throw new ConfigException(leaf.path(), "expected true or false, got " + show(s.value()));
        }
        throw new ConfigException(leaf.path(), "expected true or false, got a list of numbers");
    }

    /** A string for the tensor (e.g. {@code consensus: sum}). */
    public static String string(ParamValue v, String tensorName) throws ConfigException {
        ParamValue leaf = select(v, tensorName);
        if (leaf instanceof ParamValue.Scalar s && s.value() instanceof String str) {
            return str;
        }
        throw new ConfigException(leaf.path(), "expected a string, got "
                + (leaf instanceof ParamValue.Scalar s ? show(s.value()) : "a list of numbers"));
    }

    /**
     * A gradient read at {@code t} in [0, 1], exactly as numerics §9 (and mergekit) compute it, in double:
     * {@code s = t(m−1), i = floor(s), f = s − i, v = (1 − f)·v_i + f·v_min(i+1, m−1)}.
     */
    public static double gradientAt(double[] values, double t) {
        int m = values.length;
        if (m == 0) {
            throw new IllegalArgumentException("a gradient needs at least one value");
        }
        if (!(t >= 0.0 && t <= 1.0)) {
            throw new IllegalArgumentException("gradient position t must be in [0, 1], got " + t);
        }
        double s = t * (m - 1);
        int i = (int) Math.floor(s);
        double f = s - i;
        return (1 - f) * values[i] + f * values[Math.min(i + 1, m - 1)];
    }

    /**
     * The gradient position of a tensor: {@code idx / (L − 1)} for layer {@code idx} of a slice of
     * {@code L} layers, 1 when the slice has one layer, and 0 for {@code idx < 0} (a tensor outside the
     * layers, as {@link LayerNames#layerIndex} returns for them; the planner reads those after the
     * layers at 1 instead, numerics §9).
     */
    public static double layerT(int layerIndexInSlice, int layerCount) {
        if (layerIndexInSlice < 0) {
            return 0.0;
        }
        if (layerCount < 1 || layerIndexInSlice >= layerCount) {
            throw new IllegalArgumentException("layer " + layerIndexInSlice + " is outside a slice of " + layerCount + " layers");
        }
        return layerCount == 1 ? 1.0 : (double) layerIndexInSlice / (layerCount - 1);
    }

    /** The scalar or gradient that applies to the tensor: {@code v} itself, or a filtered list's first matching entry. */
    private static ParamValue select(ParamValue v, String tensorName) throws ConfigException {
        Objects.requireNonNull(v, "value");
        if (v instanceof ParamValue.Filtered f) {
            ParamValue match = matching(f, tensorName);
            if (match == null) {
                throw new ConfigException(f.path(), "no entry's filter matches tensor '" + tensorName
                        + "'; add a last entry without a filter as the default");
            }
            return match;
        }
        return v;
    }

    private static ParamValue matching(ParamValue.Filtered f, String tensorName) {
        for (ParamValue.Entry e : f.entries()) {
            if (e.matches(tensorName)) {
                return e.value();
            }
        }
        return null;
    }

    private static String show(Object scalar) {
        return scalar instanceof String s ? ConfigNodes.quote(s) : String.valueOf(scalar);
    }
}
