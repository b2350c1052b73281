package org.exmerge.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What {@code auto} says when it passes over better backends: only about those that are there. */
class BackendsPassOverTest {

    private record Fake(String name, boolean present, String reason) implements KernelProvider {
        @Override
        public int priority() {
            return 0;
        }

        @Override
        public boolean available() {
            return reason == null;
        }

        @Override
        public String unavailableReason() {
            return reason;
        }

        @Override
        public Throwable unavailableCause() {
            return null;
        }

        @Override
        public Kernels kernels() {
            return new JavaKernels();
        }

        @Override
        public List<String> describe() {
            return List.of();
        }
    }

    private static final Fake JAVA = new Fake("java", true, null);

    @Test
    void anAbsentGpuIsNoNews() {
        Fake cuda = new Fake("cuda", false, "no NVIDIA driver: libcuda.so.1 not found");
        Fake nat = new Fake("native", true, null);
        assertThat(Backends.passedOver(List.of(cuda, nat, JAVA), nat)).isNull();
        assertThat(Backends.passedOver(List.of(nat, JAVA), nat)).isNull();
    }

    @Test
    void aPresentBackendThatCannotRunIsNamedWithItsReason() {
        Fake cuda = new Fake("cuda", true, "too little free GPU memory (512 MiB, 1024 MiB needed)");
        Fake nat = new Fake("native", true, "cannot load libexmerge.so:\nno such file");
        assertThat(Backends.passedOver(List.of(cuda, nat, JAVA), JAVA)).isEqualTo("exmerge: cuda kernels unavailable:"
                + " too little free GPU memory (512 MiB, 1024 MiB needed); native kernels unavailable: cannot load"
                + " libexmerge.so: no such file; using the java kernels ('exmerge doctor' shows every attempt)");
        Fake absent = new Fake("cuda", false, "no NVIDIA driver");
        assertThat(Backends.passedOver(List.of(absent, nat, JAVA), JAVA)).startsWith("exmerge: native kernels unavailable");
    }
}
