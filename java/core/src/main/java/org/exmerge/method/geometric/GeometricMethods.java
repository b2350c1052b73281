package org.exmerge.method.geometric;

import java.util.List;
import org.exmerge.method.MergeMethod;
import org.exmerge.method.MethodFamily;

/** This package's methods, for {@link org.exmerge.method.Methods}. */
public final class GeometricMethods implements MethodFamily {
    @Override
    public List<MergeMethod> methods() {
        return List.of(Slerp.INSTANCE, NuSlerp.INSTANCE, ModelStock.INSTANCE, Karcher.INSTANCE, MultiSlerp.INSTANCE);
    }
}
