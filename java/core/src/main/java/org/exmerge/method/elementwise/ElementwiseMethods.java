package org.exmerge.method.elementwise;

import java.util.List;
import org.exmerge.method.MergeMethod;
import org.exmerge.method.MethodFamily;

/** This package's methods, for {@link org.exmerge.method.Methods}. */
public final class ElementwiseMethods implements MethodFamily {
    @Override
    public List<MergeMethod> methods() {
        return List.of(NearSwap.INSTANCE);
    }
}
