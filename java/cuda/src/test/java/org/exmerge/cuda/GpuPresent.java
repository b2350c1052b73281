package org.exmerge.cuda;

/** The condition of the GPU tests: the CUDA backend came up in this JVM. */
public final class GpuPresent {
    private GpuPresent() {}

    public static boolean gpu() {
        return CudaRuntime.state().kernels() != null;
    }
}
