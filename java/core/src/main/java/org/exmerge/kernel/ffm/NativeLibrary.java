package org.exmerge.kernel.ffm;

import java.lang.foreign.SymbolLookup;

/**
 * The one libexmerge of this JVM, opened once on first use by {@link NativeLoader} from the system
 * property, {@code java.library.path} or the jar. Knows nothing of the functions inside (that is
 * {@link ExmergeNative}) so the binding class can depend on it without a cycle.
 */
public final class NativeLibrary {
    private static final NativeLoader.Loaded LOADED;
    private static final Throwable FAILURE;

    static {
        NativeLoader.Loaded loaded = null;
        Throwable failure = null;
        try {
            loaded = NativeLoader.load(System.getProperty(NativeLoader.PROPERTY),
                    System.getProperty("java.library.path"), NativeLibrary.class);
        } catch (Throwable t) {
            failure = t;
        }
        LOADED = loaded;
        FAILURE = failure;
    }

    private NativeLibrary() {}

    /** The loaded library, or null when none could be loaded ({@link #failure()} says why). */
    public static NativeLoader.Loaded loaded() {
        return LOADED;
    }

    /** Why no library could be loaded, every attempt suppressed inside; null when one was. */
    public static Throwable failure() {
        return FAILURE;
    }

    static SymbolLookup lookupOrNull() {
        return LOADED == null ? null : LOADED.lookup();
    }
}
