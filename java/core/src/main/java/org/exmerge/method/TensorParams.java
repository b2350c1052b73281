package org.exmerge.method;

/**
 * The parameters as they apply to one tensor (filters and layer gradients already read, numerics §9).
 * Model indices count the method's models, base excluded. Lookup for a model falls back to the
 * global levels; a missing key gives {@code dflt} (NaN/null means "required": the lookup throws).
 * Methods read through the {@link Param} overloads, which take the default and the checks from the
 * declaration; the key-based lookups are what an implementation provides.
 */
public interface TensorParams {

    double number(String key, int model, double dflt);

    double number(String key, double dflt);

    boolean bool(String key, boolean dflt);

    String string(String key, String dflt);

    /** Whether the key is given at any level for this model (or globally when model is -1). */
    boolean has(String key, int model);

    /** Whether the key is given on the model's own entry (not inherited from a global level). */
    boolean hasOwn(String key, int model);

    /** The config path of a key for messages, e.g. "models[1].parameters.alpha". */
    String path(String key, int model);

    /** The declared number for one model (-1: global), defaulted and checked against its range. */
    default double number(Param p, int model) {
        return p.check(number(p.name(), model, p.numberDefault()), path(p.name(), model));
    }

    default double number(Param p) {
        return number(p, -1);
    }

    default boolean bool(Param p) {
        return bool(p.name(), p.dflt() instanceof Boolean b && b);
    }

    /** The declared string, defaulted and checked against its choices (a missing optional one throws: ask {@link #has} first). */
    default String string(Param p) {
        return p.check(string(p.name(), p.dflt() instanceof String s ? s : null), path(p.name(), -1));
    }
}
