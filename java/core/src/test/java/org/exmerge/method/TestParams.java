package org.exmerge.method;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Parameters for method tests: a global map and one map per model, looked up model first (numerics §9's order). */
public final class TestParams implements TensorParams {
    private final Map<String, Object> global = new HashMap<>();
    private final List<Map<String, Object>> models = new ArrayList<>();

    public TestParams(int models) {
        for (int i = 0; i < models; i++) {
            this.models.add(new HashMap<>());
        }
    }

    public TestParams set(String key, Object value) {
        global.put(key, value);
        return this;
    }

    public TestParams set(int model, String key, Object value) {
        models.get(model).put(key, value);
        return this;
    }

    /** Sets a per-model value for every model, e.g. {@code each("density", 0.5, 0.7)}. */
    public TestParams each(String key, double... values) {
        for (int i = 0; i < values.length; i++) {
            set(i, key, values[i]);
        }
        return this;
    }

    private Object find(String key, int model) {
        if (model >= 0 && models.get(model).containsKey(key)) {
            return models.get(model).get(key);
        }
        return global.get(key);
    }

    private Object required(String key, int model, boolean required) {
        Object v = find(key, model);
        if (v == null && required) {
            throw new ParameterException(path(key, model) + ": needed");
        }
        return v;
    }

    @Override
    public double number(String key, int model, double dflt) {
        Object v = required(key, model, Double.isNaN(dflt));
        return v == null ? dflt : ((Number) v).doubleValue();
    }

    @Override
    public double number(String key, double dflt) {
        return number(key, -1, dflt);
    }

    @Override
    public boolean bool(String key, boolean dflt) {
        Object v = find(key, -1);
        return v == null ? dflt : (Boolean) v;
    }

    @Override
    public String string(String key, String dflt) {
        Object v = required(key, -1, dflt == null);
        return v == null ? dflt : (String) v;
    }

    @Override
    public boolean has(String key, int model) {
        return find(key, model) != null;
    }

    @Override
    public boolean hasOwn(String key, int model) {
        return model >= 0 && models.get(model).containsKey(key);
    }

    @Override
    public String path(String key, int model) {
        return (model >= 0 ? "models[" + model + "].parameters." : "parameters.") + key;
    }
}
