package org.exmerge.kernel;

import java.util.List;

/**
 * One kernel backend, as {@link Backends} and {@code exmerge doctor} see it (the shape of Lucene's
 * VectorizationProvider). Implementations are found with {@link java.util.ServiceLoader} through
 * {@code META-INF/services/org.exmerge.kernel.KernelProvider}, so this package has no compile-time
 * edge to any backend but the Java spec, and a new backend (CUDA next) is one class and one line.
 * Every provider's kernels must write the bytes {@link JavaKernels} writes (numerics §1).
 */
public interface KernelProvider {

    /** The name {@code --backend} and {@code -Dexmerge.backend} take: java, native, cuda. */
    String name();

    /** Which available backend {@code auto} takes: the highest. The Java spec is 0. */
    int priority();

    /** Whether {@link #kernels()} can run in this JVM; decided once. */
    boolean available();

    /**
     * Whether what the backend runs on outside the JVM is there at all (for CUDA: the NVIDIA driver).
     * {@code auto} passes over an absent backend without a word, since most machines have no GPU and
     * that is no news; it says why it passes over a present one that cannot run (no device, too little
     * memory, a broken build). {@code exmerge doctor} shows both.
     */
    boolean present();

    /** Why not, in one line a user can act on (with the cause's details); null when available. */
    String unavailableReason();

    /** The cause behind {@link #unavailableReason()}, for exception chains; may be null. */
    Throwable unavailableCause();

    /** The kernels; only called when {@link #available()}. */
    Kernels kernels();

    /**
     * Lines for {@code exmerge doctor} under the backend's state: where it was loaded from, the
     * paths it runs, the ops it hands to the Java spec; or, when unavailable, what it tried.
     */
    List<String> describe();
}
