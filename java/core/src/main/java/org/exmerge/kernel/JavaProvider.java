package org.exmerge.kernel;

import java.util.List;

/** The Java spec as a backend: always available, chosen by {@code auto} only when nothing better runs. */
public final class JavaProvider implements KernelProvider {

    @Override
    public String name() {
        return "java";
    }

    @Override
    public int priority() {
        return 0;
    }

    @Override
    public boolean available() {
        return true;
    }

    @Override
    public boolean present() {
        return true; // the CPU is always there: a library that fails to load is worth a word
    }

    @Override
    public String unavailableReason() {
        return null;
    }

    @Override
    public Throwable unavailableCause() {
        return null;
    }

    @Override
    public Kernels kernels() {
        return Backends.java();
    }

    @Override
    public List<String> describe() {
        return List.of("the reference kernels (docs/numerics.md, kernel/JavaKernels); every other backend matches their bytes");
    }
}
