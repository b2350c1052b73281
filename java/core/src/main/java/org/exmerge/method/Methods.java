package org.exmerge.method;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;

/**
 * The registry of merge methods by config name: every {@link MethodFamily} on the class path, in the
 * order of the service files (this library's first). A name given twice is a build error, not a
 * silent override.
 */
public final class Methods {
    private static final Map<String, MergeMethod> BY_NAME = load();

    private Methods() {}

    private static Map<String, MergeMethod> load() {
        Map<String, MergeMethod> out = new LinkedHashMap<>();
        for (MethodFamily f : ServiceLoader.load(MethodFamily.class, Methods.class.getClassLoader())) {
            for (MergeMethod m : f.methods()) {
                MergeMethod before = out.putIfAbsent(m.name(), m);
                if (before != null) {
                    throw new IllegalStateException("two merge methods are named '" + m.name() + "': "
                            + before.getClass().getName() + " and " + m.getClass().getName());
                }
            }
        }
        return out;
    }

    /** The method, or null when no method has that name. */
    public static MergeMethod byName(String name) {
        return BY_NAME.get(name);
    }

    public static Set<String> names() {
        return BY_NAME.keySet();
    }
}
