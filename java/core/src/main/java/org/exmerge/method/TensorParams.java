package org.exmerge.method;

/**
 * The parameters as they apply to one tensor (filters and layer gradients already read, SPEC §9).
 * Model indices count the method's models, base excluded. Lookup for a model falls back to the
 * global levels; a missing key gives {@code dflt} (NaN/null means "required": the lookup throws).
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
}
