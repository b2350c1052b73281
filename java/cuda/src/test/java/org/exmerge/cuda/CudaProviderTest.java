package org.exmerge.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.exmerge.kernel.Backends;
import org.exmerge.kernel.KernelProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIf;

/**
 * Where CUDA cannot run (no driver, so JCuda's native library does not load; no device; no fatbin),
 * the provider says why in one line, forcing it fails with that line, and auto takes the next backend.
 */
@DisabledIf("org.exmerge.cuda.GpuPresent#gpu")
class CudaProviderTest {

    @Test
    void withoutAGpuTheProviderIsUnavailableWithOneReasonAndAutoTakesTheNext() {
        KernelProvider cuda = Backends.providers().stream().filter(p -> p.name().equals("cuda")).findFirst().orElseThrow();
        assertThat(Backends.providers()).extracting(KernelProvider::name).containsSubsequence("native", "cuda", "java");
        assertThat(cuda.available()).isFalse();
        assertThat(cuda.unavailableReason()).doesNotContain("\n")
                .matches("(no NVIDIA driver|no CUDA device|this build has no CUDA kernels|the GPU|too little).*");
        assertThat(Backends.NAMES).containsSubsequence("auto", "cuda", "java");
        assertThat(Backends.auto(Backends.providers()).name()).isNotEqualTo("cuda");
        assertThatThrownBy(() -> Backends.select("cuda")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("backend 'cuda' is unavailable: " + cuda.unavailableReason());
        assertThat(cuda.describe()).isNotEmpty().allMatch(l -> !l.contains("\n"));
        assertThatThrownBy(cuda::kernels).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(cuda.unavailableReason());
    }
}
