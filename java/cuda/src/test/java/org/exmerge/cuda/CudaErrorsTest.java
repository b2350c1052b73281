package org.exmerge.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** CUresult codes become one line naming the driver call, then the op and the call's shape. */
class CudaErrorsTest {

    @Test
    void successPassesAndFailuresNameTheCallTheCodeAndWhatToDo() {
        CudaErrors.check(0, "cuInit");
        assertThatThrownBy(() -> CudaErrors.check(2, "cuMemAlloc(1024 bytes)")).isInstanceOf(CudaException.class)
                .hasMessage("cuMemAlloc(1024 bytes) failed: CUDA_ERROR_OUT_OF_MEMORY (2); lower --memory or the thread"
                        + " count, or free the GPU");
        assertThatThrownBy(() -> CudaErrors.check(12345, "cuLaunchKernel")).hasMessage("cuLaunchKernel failed: CUresult 12345 (12345)");
        assertThat(CudaErrors.name(209)).isEqualTo("CUDA_ERROR_NO_BINARY_FOR_GPU");
    }

    @Test
    void theBackendRethrowsWithTheOpAndTheCallNamedAndKeepsTheCode() {
        CudaException e = new CudaException("cuMemcpyHtoDAsync failed: CUDA_ERROR_ILLEGAL_ADDRESS (700)", 700, null);
        CudaException named = e.during("sparseMerge", "elements 0 + 4096, 2 models, tensor id 7");
        assertThat(named).hasMessage("cuda sparseMerge (elements 0 + 4096, 2 models, tensor id 7): cuMemcpyHtoDAsync"
                + " failed: CUDA_ERROR_ILLEGAL_ADDRESS (700)").hasCause(e);
        assertThat(named.result()).isEqualTo(700);
    }

    @Test
    void jcudasPageOfLoadTracesBecomesOneLineAndTheTriesGoToDoctor() {
        String message = "Error while loading native library \"JCudaDriver-12.6.0-linux-x86_64\"\nOperating system name: Linux\n"
                + "java.lang.UnsatisfiedLinkError: no JCudaDriver-12.6.0-linux-x86_64 in java.library.path: /usr/lib\n"
                + "java.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver.so: libcuda.so.1: cannot open shared object file\n";
        java.util.List<String> details = new java.util.ArrayList<>();
        assertThat(CudaRuntime.driverMissing(message, details))
                .isEqualTo("no NVIDIA driver: libcuda.so.1 not found, so JCuda's driver library cannot load");
        assertThat(details).hasSize(2).allMatch(l -> l.startsWith("tried: java.lang.UnsatisfiedLinkError"));
        assertThat(CudaRuntime.driverMissing("something else\nmore", new java.util.ArrayList<>()))
                .isEqualTo("no NVIDIA driver: JCuda's native library did not load (something else)");
    }
}
