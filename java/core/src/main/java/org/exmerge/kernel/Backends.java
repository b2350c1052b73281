package org.exmerge.kernel;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.exmerge.kernel.ffm.NativeKernels;
import org.exmerge.kernel.ffm.NativeSupport;

/**
 * Chooses the kernel backend (Lucene's VectorizationProvider shape). {@code auto} takes the native
 * kernels when they can run here and otherwise the Java ones, saying why once in the log; naming a
 * backend forces it and fails loudly, with the cause, when it cannot run. The system property
 * {@code exmerge.backend} gives the name when the caller passes none.
 */
public final class Backends {
    public static final List<String> NAMES = List.of("auto", "java", "native", "cuda");
    private static final Kernels JAVA = new JavaKernels();
    private static final System.Logger LOG = System.getLogger(Backends.class.getName());
    private static final AtomicBoolean FALLBACK_LOGGED = new AtomicBoolean();

    private Backends() {}

    /** The backend for a name; an unavailable forced backend is an IllegalArgumentException saying why. */
    public static Kernels select(String name) {
        String n = name == null ? System.getProperty("exmerge.backend", "auto") : name;
        return switch (n) {
            case "java" -> JAVA;
            case "auto" -> auto();
            case "native" -> forcedNative();
            case "cuda" -> throw new IllegalArgumentException(
                    "backend 'cuda' is not part of this build (available: " + available() + ")");
            default -> throw new IllegalArgumentException("unknown backend '" + n + "' (one of " + NAMES + ")");
        };
    }

    public static Kernels java() {
        return JAVA;
    }

    /** The names of the backends that can run here, best first. */
    public static List<String> available() {
        return NativeSupport.isAvailable() ? List.of("native", "java") : List.of("java");
    }

    private static Kernels auto() {
        if (NativeSupport.isAvailable()) {
            return NativeKernels.instance();
        }
        if (FALLBACK_LOGGED.compareAndSet(false, true)) {
            LOG.log(System.Logger.Level.INFO, "exmerge: native kernels unavailable, using the Java kernels: "
                    + oneLine(NativeSupport.unavailabilityCause()) + " ('exmerge doctor' shows every attempt)");
        }
        return JAVA;
    }

    private static Kernels forcedNative() {
        if (!NativeSupport.isAvailable()) {
            Throwable cause = NativeSupport.unavailabilityCause();
            throw new IllegalArgumentException("backend 'native' is unavailable: " + oneLine(cause)
                    + " ('exmerge doctor' shows every attempt)", cause);
        }
        return NativeKernels.instance();
    }

    private static String oneLine(Throwable t) {
        String m = t == null ? "unknown" : String.valueOf(t.getMessage());
        return m.replace('\n', ' ');
    }
}
