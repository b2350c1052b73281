package org.exmerge.method;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** The registry of merge methods by config name. */
public final class Methods {
    private static final Map<String, MergeMethod> BY_NAME = new LinkedHashMap<>();

    static {
        for (LinearFamily m : LinearFamily.all()) {
            register(m);
        }
        register(Passthrough.INSTANCE);
        register(Slerp.INSTANCE);
        register(NuSlerp.INSTANCE);
        register(ModelStock.INSTANCE);
        register(Karcher.INSTANCE);
        for (SparseFamily m : SparseFamily.all()) {
            register(m);
        }
        register(M3.INSTANCE);
    }

    private Methods() {}

    private static void register(MergeMethod m) {
        BY_NAME.put(m.name(), m);
    }

    /** The method, or null when no method has that name. */
    public static MergeMethod byName(String name) {
        return BY_NAME.get(name);
    }

    public static Set<String> names() {
        return BY_NAME.keySet();
    }
}
