package org.exmerge.cuda;

import java.util.ArrayList;
import java.util.List;
import org.exmerge.kernel.KernelProvider;
import org.exmerge.kernel.Kernels;

/**
 * The CUDA kernels as a backend (registered in META-INF/services): above the native CPU backend,
 * available when the jar has the fatbin, JCuda's native library loads against an NVIDIA driver, and
 * device 0 is sm_80 or newer with at least a gigabyte free ({@link CudaRuntime}).
 */
public final class CudaProvider implements KernelProvider {

    @Override
    public String name() {
        return "cuda";
    }

    /** Above native (10): a GPU that runs is preferred. */
    @Override
    public int priority() {
        return 20;
    }

    @Override
    public boolean available() {
        return CudaRuntime.state().kernels() != null;
    }

    @Override
    public boolean present() {
        return CudaRuntime.state().driverPresent();
    }

    @Override
    public String unavailableReason() {
        return CudaRuntime.state().reason();
    }

    @Override
    public Throwable unavailableCause() {
        return CudaRuntime.state().cause();
    }

    @Override
    public Kernels kernels() {
        CudaKernels k = CudaRuntime.state().kernels();
        if (k == null) {
            throw new IllegalStateException("the CUDA backend is unavailable: " + unavailableReason());
        }
        return k;
    }

    @Override
    public List<String> describe() {
        List<String> out = new ArrayList<>(CudaRuntime.state().details());
        if (available()) {
            out.add("ops served by the Java spec: " + CudaKernels.DECLARED_FALLBACKS);
        } else {
            out.add("looked for: jar resource " + CudaRuntime.FATBIN + ", JCuda's driver library (needs libcuda), device 0");
        }
        return out;
    }
}
