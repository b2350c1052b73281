package org.exmerge.kernel.ffm;

import java.util.ArrayList;
import java.util.List;
import org.exmerge.kernel.KernelProvider;
import org.exmerge.kernel.Kernels;

/**
 * The native C kernels as a backend, registered in META-INF/services so that {@code kernel} never
 * names this package. Available when {@link NativeSupport} says the library loads, has this ABI and
 * every symbol, and can run the forced ISA path if one is forced.
 */
public final class NativeProvider implements KernelProvider {

    @Override
    public String name() {
        return "native";
    }

    /** Above the Java spec (0), below a GPU backend should one be added. */
    @Override
    public int priority() {
        return 10;
    }

    @Override
    public boolean available() {
        return NativeSupport.isAvailable();
    }

    @Override
    public boolean present() {
        return true; // the CPU is always there: a library that fails to load is worth a word
    }

    @Override
    public String unavailableReason() {
        Throwable cause = NativeSupport.unavailabilityCause();
        return cause == null ? null : String.valueOf(cause.getMessage());
    }

    @Override
    public Throwable unavailableCause() {
        return NativeSupport.unavailabilityCause();
    }

    @Override
    public Kernels kernels() {
        return NativeKernels.instance();
    }

    @Override
    public List<String> describe() {
        List<String> out = new ArrayList<>();
        if (!available()) {
            for (Throwable attempt : NativeSupport.unavailabilityCause().getSuppressed()) {
                out.add("  tried: " + attempt.getMessage());
            }
            out.add("looked for: -D" + NativeLoader.PROPERTY + ", java.library.path, jar resource "
                    + NativeLoader.resourceName());
            out.add("cpu unknown (CPUID is read by the native library)");
            return out;
        }
        NativeLoader.Loaded lib = NativeLibrary.loaded();
        out.add("library " + lib.path());
        out.add("loaded from " + lib.source());
        out.add("ABI version " + ExmergeNative.abiVersion());
        out.add("isa path " + CpuFeatures.isaName(ExmergeNative.isa()) + " (best this machine runs: "
                + CpuFeatures.isaName(ExmergeNative.bestIsa()) + "; -D" + NativeSupport.ISA_PROPERTY
                + "=scalar|avx2|avx512 forces one)");
        out.add("cpu " + String.join(" ", CpuFeatures.names(ExmergeNative.cpuFeatures())));
        out.add("ops served by the Java spec: " + NativeKernels.DECLARED_FALLBACKS);
        return out;
    }
}
