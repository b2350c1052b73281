package org.exmerge.method.m3;

import org.exmerge.method.TensorParams;

/**
 * The parameters of a tensor with each model's {@code weight} replaced (M3's {@code (λ, 1 − λ)}), so
 * a base method reads the drawn weights exactly as it reads configured ones.
 */
record WeightOverride(TensorParams params, double[] weights) implements TensorParams {

    @Override
    public double number(String key, int model, double dflt) {
        return model >= 0 && key.equals("weight") ? weights[model] : params.number(key, model, dflt);
    }

    @Override
    public double number(String key, double dflt) {
        return params.number(key, dflt);
    }

    @Override
    public boolean bool(String key, boolean dflt) {
        return params.bool(key, dflt);
    }

    @Override
    public String string(String key, String dflt) {
        return params.string(key, dflt);
    }

    @Override
    public boolean has(String key, int model) {
        return (model >= 0 && key.equals("weight")) || params.has(key, model);
    }

    @Override
    public boolean hasOwn(String key, int model) {
        return (model >= 0 && key.equals("weight")) || params.hasOwn(key, model);
    }

    @Override
    public String path(String key, int model) {
        return params.path(key, model);
    }
}
