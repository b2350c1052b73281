package org.exmerge.method.fusion;

import java.util.List;
import org.exmerge.method.MergeMethod;
import org.exmerge.method.MethodFamily;

/** This package's methods, for {@link org.exmerge.method.Methods}. */
public final class FusionMethods implements MethodFamily {
    @Override
    public List<MergeMethod> methods() {
        return List.of(ArceeFusion.INSTANCE);
    }
}
