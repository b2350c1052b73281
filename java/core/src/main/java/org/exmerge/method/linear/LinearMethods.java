package org.exmerge.method.linear;

import java.util.List;
import java.util.stream.Stream;
import org.exmerge.method.MergeMethod;
import org.exmerge.method.MethodFamily;

/** This package's methods, for {@link org.exmerge.method.Methods}. */
public final class LinearMethods implements MethodFamily {
    @Override
    public List<MergeMethod> methods() {
        return Stream.<MergeMethod>concat(LinearFamily.all().stream(), Stream.of(Passthrough.INSTANCE)).toList();
    }
}
