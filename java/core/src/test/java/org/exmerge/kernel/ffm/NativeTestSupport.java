package org.exmerge.kernel.ffm;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Assumptions;

/**
 * Gatekeeping for tests that need libexmerge. They skip only when this build genuinely could not
 * compile it (no cmake or C compiler: the build's target/native-build.properties says configure
 * failed, or the native build was skipped on purpose). A library that was built but does not load,
 * or a configured build that produced nothing, fails: a backend missing from our own build is a bug.
 */
public final class NativeTestSupport {
    private NativeTestSupport() {}

    public static void requireNative() {
        Path emulation = emulation();
        if (emulation != null) {
            requireEmulation(emulation);
            return;
        }
        if (NativeSupport.isAvailable()) {
            return;
        }
        Throwable cause = NativeSupport.unavailabilityCause();
        if (NativeTestSupport.class.getResource(NativeLoader.resourceName()) != null) {
            fail("this build produced " + NativeLoader.resourceName() + " but it does not load: " + cause, cause);
        }
        Properties marker = buildMarker();
        if (marker == null) {
            Assumptions.abort("native library not built (-Dexmerge.native.skip, or no build marker): " + cause.getMessage());
        }
        if (Boolean.parseBoolean(marker.getProperty("configured"))) {
            fail("cmake configured native/ but the build produced no library (see the build log): " + cause, cause);
        }
        Assumptions.abort("native library could not be built here (cmake or a C compiler missing): " + cause.getMessage());
    }

    /**
     * The AVX-512 emulation library that the {@code avx512-emulated} test run (java/core/pom.xml)
     * loads in place of libexmerge, or null in every other run.
     */
    public static Path emulation() {
        String p = System.getProperty("exmerge.test.avx512emu");
        return p == null || p.isBlank() ? null : Path.of(p).toAbsolutePath().normalize();
    }

    /** In the emulated run: that library, and nothing else, loaded, with its AVX-512 path the best one. */
    private static void requireEmulation(Path emulation) {
        if (!Files.isRegularFile(emulation)) {
            Assumptions.abort("no AVX-512 emulation library here (" + emulation + "): native/emu builds it with GCC or "
                    + "Clang on x86-64");
        }
        NativeLoader.Loaded loaded = NativeLibrary.loaded();
        Path got = loaded == null ? null : loaded.path().toAbsolutePath().normalize();
        if (!emulation.equals(got)) {
            fail("the avx512-emulated run loaded " + (got == null ? "no library" : got) + ", not " + emulation
                    + (loaded == null ? ": " + NativeSupport.unavailabilityCause() : ""));
        }
        if (ExmergeNative.bestIsa() != ExmergeNative.MK_ISA_AVX512) {
            fail("the AVX-512 emulation library offers " + CpuFeatures.isaName(ExmergeNative.bestIsa()) + ", not avx512");
        }
    }

    /** target/native-build.properties as the build wrote it, or null when the native step did not run. */
    static Properties buildMarker() {
        Path p = Path.of(System.getProperty("exmerge.native.marker", "target/native-build.properties"));
        if (!Files.isRegularFile(p)) {
            return null;
        }
        Properties props = new Properties();
        try (InputStream in = Files.newInputStream(p)) {
            props.load(in);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return props;
    }

    /**
     * The instruction-set paths this machine can run, scalar first; in the avx512-emulated run only
     * the AVX-512 one (the main run covers the others).
     */
    public static List<Integer> isas() {
        requireNative();
        if (emulation() != null) {
            return List.of(ExmergeNative.MK_ISA_AVX512);
        }
        List<Integer> out = new ArrayList<>();
        for (int isa = ExmergeNative.MK_ISA_SCALAR; isa <= ExmergeNative.bestIsa(); isa++) {
            out.add(isa);
        }
        return out;
    }

    public interface Body {
        void run() throws Exception;
    }

    /** Runs {@code body} with every kernel forced onto {@code isa}, then restores the best path. */
    public static void onIsa(int isa, Body body) throws Exception {
        NativeException.check(ExmergeNative.forceIsa(isa), "mk_force_isa", CpuFeatures.isaName(isa));
        try {
            body.run();
        } finally {
            ExmergeNative.forceIsa(ExmergeNative.MK_ISA_AUTO);
        }
    }

    /** scalar, avx2 or avx512, for test names. */
    public static String isaName(int isa) {
        return CpuFeatures.isaName(isa);
    }

    /** Runs {@code body}, rethrowing a checked exception unchecked (for lambdas that take no Body). */
    public static void unchecked(Body body) {
        try {
            body.run();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
