package org.exmerge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.exmerge.kernel.ffm.CpuFeatures;
import org.exmerge.kernel.ffm.ExmergeNative;
import org.exmerge.kernel.ffm.NativeLibrary;
import org.exmerge.kernel.ffm.NativeSupport;
import org.exmerge.testing.Cli;
import org.junit.jupiter.api.Test;

class DoctorCommandTest {
    @Test
    void printsEveryBackendAndWhatTheNativeOneRunsOn() {
        Cli.Result r = Cli.run("doctor");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("java       available").containsPattern("(?m)^cuda       (available|unavailable: .+)$");
        if (org.exmerge.kernel.Backends.available().contains("cuda")) {
            assertThat(r.out()).contains("auto       chooses cuda").contains("compute capability").contains("driver CUDA");
        } else if (NativeSupport.isAvailable()) {
            assertThat(r.out()).contains("native     available").contains("library " + NativeLibrary.loaded().path())
                    .contains("ABI version " + ExmergeNative.MK_ABI_VERSION)
                    .contains("auto       chooses native")
                    .contains("isa path " + CpuFeatures.isaName(ExmergeNative.isa()))
                    .contains("ops served by the Java spec: linear")
                    .contains(String.join(" ", CpuFeatures.names(ExmergeNative.cpuFeatures())));
        } else {
            assertThat(r.out()).contains("native     unavailable: ").contains("auto       chooses java");
        }
    }
}
