package org.exmerge.kernel;

import java.util.List;

/**
 * Chooses the kernel backend once. {@code auto} takes the fastest available and says why it fell
 * back; naming a backend forces it and fails loudly when it cannot run.
 */
public final class Backends {
    public static final List<String> NAMES = List.of("auto", "java", "native", "cuda");
    private static final Kernels JAVA = new JavaKernels();

    private Backends() {}

    /** The backend for a name; an unavailable forced backend is an IllegalArgumentException saying why. */
    public static Kernels select(String name) {
        String n = name == null ? System.getProperty("exmerge.backend", "auto") : name;
        return switch (n) {
            case "auto", "java" -> JAVA;
            case "native", "cuda" -> throw new IllegalArgumentException("backend '" + n
                    + "' is not part of this build yet (available: java)");
            default -> throw new IllegalArgumentException("unknown backend '" + n + "' (one of " + NAMES + ")");
        };
    }

    public static Kernels java() {
        return JAVA;
    }
}
