package org.exmerge.method;

import java.util.List;

/**
 * One parameter a method accepts, declared once: its name, type, where it may be given, its default
 * (or that it is required, or optional with no default), its allowed range or values, and a line for
 * the docs. Reading a value through {@link TensorParams#number(Param, int)} and friends applies the
 * default and the checks, so neither is restated at the call site, and {@link ParamTable} renders
 * the same declarations for {@code exmerge methods} and the tests that hold the README to them.
 *
 * @param dflt the default: a Double, Boolean or String; null when {@link #required} or optional
 * @param required whether a missing value is an error; when false and {@code dflt} is null the
 *     parameter is optional and the method asks {@link TensorParams#has} before reading it
 * @param min lower bound for numbers (NaN: none); {@code minOpen} excludes it
 * @param max upper bound for numbers (NaN: none); {@code maxOpen} excludes it
 * @param choices the allowed strings of a {@link Type#CHOICE}, in the order the docs list them
 */
public record Param(String name, Type type, Scope scope, Object dflt, boolean required, double min, boolean minOpen,
                    double max, boolean maxOpen, List<String> choices, String description) {

    public enum Type {
        NUMBER, INTEGER, BOOLEAN, CHOICE;

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** GLOBAL: the top level or a slice only. MODEL: on a model's entry, falling back to the global levels. */
    public enum Scope {
        GLOBAL, MODEL
    }

    /**
     * Accepted for every method and ignored: in mergekit it only changes the memory TIES/DARE use,
     * never a result. Listed by the methods mergekit documents it for.
     */
    public static final Param INT8_MASK = bool("int8_mask", false, "accepted for mergekit configs; changes no value");

    public Param {
        choices = List.copyOf(choices);
    }

    public static Param number(String name, Scope scope, double dflt, String description) {
        return new Param(name, Type.NUMBER, scope, dflt, false, Double.NaN, false, Double.NaN, false, List.of(), description);
    }

    public static Param required(String name, Scope scope, String description) {
        return new Param(name, Type.NUMBER, scope, null, true, Double.NaN, false, Double.NaN, false, List.of(), description);
    }

    /** A number with no default: absent means the method does something else (described). */
    public static Param optional(String name, Scope scope, String description) {
        return new Param(name, Type.NUMBER, scope, null, false, Double.NaN, false, Double.NaN, false, List.of(), description);
    }

    public static Param integer(String name, Scope scope, long dflt, String description) {
        return new Param(name, Type.INTEGER, scope, (double) dflt, false, Double.NaN, false, Double.NaN, false, List.of(), description);
    }

    public static Param bool(String name, boolean dflt, String description) {
        return new Param(name, Type.BOOLEAN, Scope.GLOBAL, dflt, false, Double.NaN, false, Double.NaN, false, List.of(), description);
    }

    /** One of {@code choices}; {@code dflt} null makes it optional. */
    public static Param choice(String name, String dflt, List<String> choices, String description) {
        return new Param(name, Type.CHOICE, Scope.GLOBAL, dflt, false, Double.NaN, false, Double.NaN, false, choices, description);
    }

    /** This parameter bounded to {@code [min, max]}. */
    public Param range(double lo, double hi) {
        return new Param(name, type, scope, dflt, required, lo, false, hi, false, choices, description);
    }

    /** This parameter bounded below by {@code lo}, inclusive. */
    public Param atLeast(double lo) {
        return new Param(name, type, scope, dflt, required, lo, false, max, maxOpen, choices, description);
    }

    /** This parameter with another default (a family member that differs, e.g. ties' normalize). */
    public Param withDefault(Object d) {
        return new Param(name, type, scope, d, false, min, minOpen, max, maxOpen, choices, description);
    }

    /** The default as a number for the lookup; NaN asks the lookup to throw when the value is missing. */
    double numberDefault() {
        return dflt instanceof Double d ? d : Double.NaN;
    }

    /** Checks a number read from the config against the declaration; {@code path} leads the message. */
    double check(double v, String path) {
        boolean below = !Double.isNaN(min) && (minOpen ? v <= min : v < min);
        boolean above = !Double.isNaN(max) && (maxOpen ? v >= max : v > max);
        if (below || above) {
            throw new ParameterException(path + ": must be " + rangeText() + ", got " + v);
        }
        if (type == Type.INTEGER && v != Math.rint(v)) {
            throw new ParameterException(path + ": must be a whole number, got " + v);
        }
        return v;
    }

    /** Checks a string against the choices. */
    String check(String v, String path) {
        if (type == Type.CHOICE && !choices.contains(v)) {
            throw new ParameterException(path + ": must be " + choiceText() + ", got '" + v + "'");
        }
        return v;
    }

    /** "in [0, 1]", "≥ 0", "in (0, 1]", or "" when unbounded. */
    public String rangeText() {
        if (Double.isNaN(min) && Double.isNaN(max)) {
            return "";
        }
        if (Double.isNaN(max)) {
            return (minOpen ? "> " : "≥ ") + format(min);
        }
        if (Double.isNaN(min)) {
            return (maxOpen ? "< " : "≤ ") + format(max);
        }
        return "in " + (minOpen ? "(" : "[") + format(min) + ", " + format(max) + (maxOpen ? ")" : "]");
    }

    /** "sum or count", "l1, l2 or linf". */
    public String choiceText() {
        if (choices.size() == 1) {
            return choices.getFirst();
        }
        return String.join(", ", choices.subList(0, choices.size() - 1)) + " or " + choices.getLast();
    }

    /** The default as the docs write it: "1", "true", "sum", "required", or "none". */
    public String defaultText() {
        if (required) {
            return "required";
        }
        if (dflt == null) {
            return "none";
        }
        return dflt instanceof Double d ? format(d) : dflt.toString();
    }

    /** 1.0 → "1", 1e-5 → "1e-5", 0.15 → "0.15": the shortest form a recipe would use. */
    public static String format(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            return Long.toString((long) d);
        }
        String s = Double.toString(d);
        return s.contains("E") ? s.replace("E", "e").replace(".0e", "e") : s;
    }
}
