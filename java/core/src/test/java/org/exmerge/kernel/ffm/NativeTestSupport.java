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

    /** The instruction-set paths this machine can run, scalar first. */
    public static List<Integer> isas() {
        requireNative();
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
