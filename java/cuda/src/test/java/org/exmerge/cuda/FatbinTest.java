package org.exmerge.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The fatbin the jar ships holds SASS for sm_80, 86, 89 and 90 and PTX for compute_90 (cmake/ExmergeCuda.cmake):
 * read from its header, and cross-checked with cuobjdump where one is installed.
 */
class FatbinTest {

    private static byte[] fatbin() throws Exception {
        try (InputStream in = FatbinTest.class.getResourceAsStream(CudaRuntime.FATBIN)) {
            if (in == null) {
                Properties marker = EmulatedDevice.marker();
                Assumptions.assumeTrue(marker != null && !Boolean.parseBoolean(marker.getProperty("fatbin")),
                        "the build says it made a fatbin, but the classes have none");
                Assumptions.abort("no nvcc here: the build made no fatbin (" + marker + ")");
            }
            return in.readAllBytes();
        }
    }

    @Test
    void theJarsFatbinHoldsEveryListedArchitecture() throws Exception {
        FatbinInfo info = FatbinInfo.read(fatbin());
        assertThat(info.sass()).containsExactlyInAnyOrder(80, 86, 89, 90);
        assertThat(info.ptx()).containsExactly(90);
        assertThat(info.toString()).isEqualTo("sm_" + String.join(", sm_", info.sass().stream().map(String::valueOf).toList())
                + " + compute_90 PTX");
    }

    @Test
    void cuobjdumpAgreesWhereItIsInstalled() throws Exception {
        Path tool = Path.of("/usr/local/cuda/bin/cuobjdump");
        Assumptions.assumeTrue(Files.isExecutable(tool), "no cuobjdump installed");
        Path f = Files.createTempFile("exmerge", ".fatbin");
        try {
            Files.write(f, fatbin());
            List<String> elf = run(tool.toString(), "--list-elf", f.toString());
            for (int arch : new int[] {80, 86, 89, 90}) {
                assertThat(elf).anyMatch(l -> l.contains("sm_" + arch));
            }
            assertThat(run(tool.toString(), "--list-ptx", f.toString())).anyMatch(l -> l.contains("sm_90"));
        } finally {
            Files.deleteIfExists(f);
        }
    }

    @Test
    void otherBytesAreRefusedByName() {
        assertThatThrownBy(() -> FatbinInfo.read(new byte[64])).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("not a CUDA fatbin (no 0xBA55ED50 magic)");
    }

    private static List<String> run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        List<String> out = new ArrayList<>(new String(p.getInputStream().readAllBytes()).lines().toList());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return out;
    }
}
