package org.exmerge.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * auto's choice (the first available provider, best first), and what it says when it passes over
 * better backends: only about those that are there.
 */
class BackendsAutoTest {

    private record Fake(String name, int priority, boolean present, String reason) implements KernelProvider {
        Fake(String name, int priority, boolean available) {
            this(name, priority, true, available ? null : name + " is absent");
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
            throw new AssertionError("auto must not start " + name);
        }

        @Override
        public List<String> describe() {
            return List.of();
        }
    }

    private static final Fake NATIVE = new Fake("native", 10, true);
    private static final Fake CUDA = new Fake("cuda", 5, true);
    private static final Fake JAVA = new Fake("java", 0, true);

    @Test
    void theFirstAvailableBackendIsTakenAndAnUnavailableOneGivesWayToTheNext() {
        assertThat(Backends.auto(List.of(NATIVE, CUDA, JAVA))).isSameAs(NATIVE);
        assertThat(Backends.auto(List.of(new Fake("native", 10, false), CUDA, JAVA))).isSameAs(CUDA);
        assertThat(Backends.auto(List.of(new Fake("native", 10, false), new Fake("cuda", 5, false), JAVA)))
                .isSameAs(JAVA);
    }

    @Test
    void anAbsentGpuIsNoNews() {
        Fake cuda = new Fake("cuda", 30, false, "no NVIDIA driver: libcuda.so.1 not found");
        assertThat(Backends.passedOver(List.of(cuda, NATIVE, JAVA), NATIVE)).isNull();
        assertThat(Backends.passedOver(List.of(NATIVE, JAVA), NATIVE)).isNull();
    }

    @Test
    void aPresentBackendThatCannotRunIsNamedWithItsReason() {
        Fake cuda = new Fake("cuda", 30, true, "too little free GPU memory (512 MiB, 1024 MiB needed)");
        Fake nat = new Fake("native", 20, true, "cannot load libexmerge.so:\nno such file");
        assertThat(Backends.passedOver(List.of(cuda, nat, JAVA), JAVA)).isEqualTo("exmerge: cuda kernels unavailable:"
                + " too little free GPU memory (512 MiB, 1024 MiB needed); native kernels unavailable: cannot load"
                + " libexmerge.so: no such file; using the java kernels ('exmerge doctor' shows every attempt)");
        Fake absent = new Fake("cuda", 30, false, "no NVIDIA driver");
        assertThat(Backends.passedOver(List.of(absent, nat, JAVA), JAVA)).startsWith("exmerge: native kernels unavailable");
    }
}
