package org.exmerge.kernel.ffm;

/**
 * Whether the native backend can run in this JVM, and if not, why (netty's {@code Epoll} shape):
 * the library must load, be the ABI version this code was written for, and have every function
 * of the header. Decided once, on first use.
 *
 * <p>The {@value #ISA_PROPERTY} system property (scalar, avx2, avx512) makes the kernels use that
 * path instead of the best one, for benchmarks and for checking a path on a machine that has a
 * better one; a path the machine cannot run makes the backend unavailable with that reason.
 */
public final class NativeSupport {
    /** System property forcing an instruction-set path at load (benchmarks, tests). */
    public static final String ISA_PROPERTY = "exmerge.native.isa";

    private static final Throwable CAUSE = check();

    private NativeSupport() {}

    private static Throwable check() {
        Throwable failure = NativeLibrary.failure();
        if (failure != null) {
            return failure;
        }
        try {
            int abi = ExmergeNative.abiVersion();
            if (abi != ExmergeNative.MK_ABI_VERSION) {
                return new UnsatisfiedLinkError(NativeLibrary.loaded().path() + " has ABI version " + abi
                        + ", this exmerge needs " + ExmergeNative.MK_ABI_VERSION + " (a stale build: rebuild native/)");
            }
            if (!ExmergeNative.missingSymbols().isEmpty()) {
                return new UnsatisfiedLinkError(NativeLibrary.loaded().path() + " lacks " + ExmergeNative.missingSymbols()
                        + " (a stale build: rebuild native/)");
            }
            String isa = System.getProperty(ISA_PROPERTY);
            if (isa != null && !isa.isBlank()) {
                int code;
                try {
                    code = CpuFeatures.isaCode(isa);
                } catch (IllegalArgumentException e) {
                    return new UnsatisfiedLinkError("-D" + ISA_PROPERTY + "=" + isa + ": " + e.getMessage());
                }
                if (ExmergeNative.forceIsa(code) != ExmergeNative.MK_OK) {
                    return new UnsatisfiedLinkError("-D" + ISA_PROPERTY + "=" + isa + ": this CPU/OS cannot run that path"
                            + " (features: " + CpuFeatures.names(ExmergeNative.cpuFeatures()) + ")");
                }
            }
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    /** Whether the native kernels can be used. */
    public static boolean isAvailable() {
        return CAUSE == null;
    }

    /** Why not (with every failed load attempt suppressed inside), or null when available. */
    public static Throwable unavailabilityCause() {
        return CAUSE;
    }

    /** Throws an UnsatisfiedLinkError carrying the cause unless the native kernels can be used. */
    public static void ensureAvailable() {
        if (CAUSE != null) {
            UnsatisfiedLinkError e = new UnsatisfiedLinkError("native kernels unavailable: " + CAUSE.getMessage());
            e.initCause(CAUSE);
            throw e;
        }
    }

    /** One line for logs: the library, where it came from, the ISA path in use. Requires availability. */
    public static String describe() {
        ensureAvailable();
        NativeLoader.Loaded l = NativeLibrary.loaded();
        return l.path() + " (" + l.source() + "), ABI " + ExmergeNative.abiVersion() + ", ISA path "
                + CpuFeatures.isaName(ExmergeNative.isa());
    }
}
