package org.exmerge.method;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.exmerge.method.elementwise.NearSwap;
import org.exmerge.method.fusion.ArceeFusion;
import org.exmerge.method.geometric.Karcher;
import org.exmerge.method.geometric.ModelStock;
import org.exmerge.method.geometric.MultiSlerp;
import org.exmerge.method.geometric.NuSlerp;
import org.exmerge.method.geometric.Slerp;
import org.exmerge.method.linear.LinearFamily;
import org.exmerge.method.linear.Passthrough;
import org.exmerge.method.m3.M3;
import org.exmerge.method.sparse.Sce;
import org.exmerge.method.sparse.SparseFamily;

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
        register(MultiSlerp.INSTANCE);
        register(NearSwap.INSTANCE);
        for (SparseFamily m : SparseFamily.all()) {
            register(m);
        }
        register(M3.INSTANCE);
        register(Sce.INSTANCE);
        register(ArceeFusion.INSTANCE);
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
