package org.exmerge.method.sparse;

import java.util.List;
import java.util.stream.Stream;
import org.exmerge.method.MergeMethod;
import org.exmerge.method.MethodFamily;

/** This package's methods, for {@link org.exmerge.method.Methods}. */
public final class SparseMethods implements MethodFamily {
    @Override
    public List<MergeMethod> methods() {
        return Stream.<MergeMethod>concat(SparseFamily.all().stream(), Stream.of(Sce.INSTANCE, Ram.INSTANCE, RamPlus.INSTANCE)).toList();
    }
}
