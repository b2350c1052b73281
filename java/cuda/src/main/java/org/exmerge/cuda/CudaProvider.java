package org.exmerge.cuda;

import java.util.ArrayList;
import java.util.List;
import org.exmerge.kernel.KernelProvider;
import org.exmerge.kernel.Kernels;

/**
 * The CUDA kernels as a backend (registered in META-INF/services): below the native CPU backend,
 * available when the jar has the fatbin, JCuda's native library loads against an NVIDIA driver, and
 * device 0 is sm_80 or newer with at least a gigabyte free ({@link CudaRuntime}).
 */
public final class CudaProvider implements KernelProvider {

    @Override
    public String name() {
        return "cuda";
    }

    /**
     * Below native (10), above the Java spec (0): on an H200 node the whole merge ran slower on the GPU
     * than on the node's 16 cores at every size measured (docs/benchmarks.md): every byte crosses the
     * host twice more (into pinned memory and out of it) than the CPU kernels read it, so auto takes
     * cuda only where native cannot run; {@code --backend cuda} forces it.
     */
    @Override
    public int priority() {
        return 5;
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
