package org.exmerge.engine;

import org.exmerge.method.ParameterException;
import org.exmerge.method.TensorParams;
import org.exmerge.recipe.ConfigException;
import org.exmerge.recipe.ParamResolver;
import org.exmerge.recipe.ParamValue;
import org.exmerge.recipe.Params;

/**
 * numerics §9 parameter lookup for one tensor: each model's own levels first (its source entry), then the
 * global levels (the slice's, the top level); gradients are read at the tensor's layer position t.
 * Filters match, as in mergekit, the output tensor's name for global lookups and each model's own
 * input name for that model's lookups (they differ when slices renumber layers).
 */
final class ResolvedParams implements TensorParams {
    private final String method;
    private final String tensor;
    private final String[] modelTensors;
    private final double t;
    private final Params[] global;
    private final Params[][] perModel;

    /** @param perModel each model's levels, most specific first, global levels not included */
    ResolvedParams(String method, String tensor, double t, Params[] global, Params[][] perModel) {
        this(method, tensor, null, t, global, perModel);
    }

    /**
     * @param modelTensors each model's name for this tensor (null: all use {@code tensor})
     * @param perModel each model's levels, most specific first, global levels not included
     */
    ResolvedParams(String method, String tensor, String[] modelTensors, double t, Params[] global, Params[][] perModel) {
        this.method = method;
        this.tensor = tensor;
        this.modelTensors = modelTensors;
        this.t = t;
        this.global = global;
        this.perModel = perModel;
    }

    private Params[] levels(int model) {
        if (model < 0) {
            return global;
        }
        Params[] own = perModel[model];
        Params[] all = new Params[own.length + global.length];
        System.arraycopy(own, 0, all, 0, own.length);
        System.arraycopy(global, 0, all, own.length, global.length);
        return all;
    }

    /** The tensor name filters are matched against for this model's lookups (-1: global). */
    private String nameFor(int model) {
        return model < 0 || modelTensors == null ? tensor : modelTensors[model];
    }

    private ParamValue find(String key, int model, boolean required) {
        ParamValue v = ParamResolver.findFor(key, nameFor(model), levels(model));
        if (v == null && required) {
            throw new ParameterException(path(key, model) + ": " + method + " needs '" + key + "'"
                    + (model >= 0 ? " for this model (or in the top-level parameters)" : ""));
        }
        return v;
    }

    @Override
    public double number(String key, int model, double dflt) {
        ParamValue v = find(key, model, Double.isNaN(dflt));
        if (v == null) {
            return dflt;
        }
        try {
            double d = ParamResolver.number(v, nameFor(model), t);
            if (!Double.isFinite(d)) {
                throw new ParameterException(v.path() + ": must be a finite number");
            }
            return d;
        } catch (ConfigException e) {
            throw new ParameterException(e.getMessage());
        }
    }

    @Override
    public double number(String key, double dflt) {
        return number(key, -1, dflt);
    }

    @Override
    public boolean bool(String key, boolean dflt) {
        ParamValue v = find(key, -1, false);
        try {
            return v == null ? dflt : ParamResolver.bool(v, tensor);
        } catch (ConfigException e) {
            throw new ParameterException(e.getMessage());
        }
    }

    @Override
    public String string(String key, String dflt) {
        ParamValue v = find(key, -1, dflt == null);
        try {
            return v == null ? dflt : ParamResolver.string(v, tensor);
        } catch (ConfigException e) {
            throw new ParameterException(e.getMessage());
        }
    }

    @Override
    public boolean has(String key, int model) {
        return ParamResolver.findFor(key, nameFor(model), levels(model)) != null;
    }

    @Override
    public boolean hasOwn(String key, int model) {
        return model >= 0 && ParamResolver.findFor(key, nameFor(model), perModel[model]) != null;
    }

    @Override
    public String path(String key, int model) {
        Params p = model >= 0 && perModel[model].length > 0 ? perModel[model][0] : global[global.length - 1];
        return p.path() + "." + key;
    }
}
