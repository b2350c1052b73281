package org.exmerge.method.m3;

import java.util.List;
import org.exmerge.method.MergeMethod;
import org.exmerge.method.MethodFamily;

/** This package's methods, for {@link org.exmerge.method.Methods}. */
public final class M3Methods implements MethodFamily {
    @Override
    public List<MergeMethod> methods() {
        return List.of(M3.INSTANCE);
    }
}
