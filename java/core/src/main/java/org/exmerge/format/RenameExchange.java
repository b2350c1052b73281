package org.exmerge.format;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.Charset;
import java.nio.file.FileSystemException;
import java.nio.file.Path;

/**
 * Swaps what two names point at in one step: Linux's {@code renameat2(RENAME_EXCHANGE)} (glibc 2.28
 * and later), called through java.lang.foreign so no library of ours is needed. With it, replacing
 * an output never has an instant at which its name holds nothing, which two renames have (a kill
 * between them left the old model and the new one both hidden). Elsewhere (no such symbol, another
 * operating system) or where the file system refuses the flag, {@link #exchange} says so and the
 * caller falls back to two renames.
 */
final class RenameExchange {
    /** Swaps the objects at two paths, or returns false when this system cannot do it in one step. */
    @FunctionalInterface
    interface Swap {
        boolean exchange(Path a, Path b) throws IOException;
    }

    /** The operating system's exchange, where it has one. */
    static final Swap SYSTEM = RenameExchange::exchange;

    private static final int AT_FDCWD = -100;
    private static final int RENAME_EXCHANGE = 2;
    // Linux's numbers (the same on x86-64 and aarch64): the flag is unknown to this kernel or file system.
    private static final int EINVAL = 22;
    private static final int ENOSYS = 38;

    private static final StructLayout STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle RENAMEAT2;
    private static final MethodHandle STRERROR;
    /** How the JDK encodes file names for the operating system; the paths passed here must match it. */
    private static final Charset NAMES = namesCharset();

    static {
        MethodHandle renameat2 = null;
        MethodHandle strerror = null;
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            renameat2 = libc.find("renameat2").map(s -> linker.downcallHandle(s,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
                    Linker.Option.captureCallState("errno"))).orElse(null);
            strerror = libc.find("strerror").map(s -> linker.downcallHandle(s,
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT))).orElse(null);
        } catch (RuntimeException | LinkageError unavailable) {
            // native access refused (--illegal-native-access=deny) or no linker for this platform: two renames
        }
        RENAMEAT2 = renameat2;
        STRERROR = strerror;
    }

    private RenameExchange() {}

    /** Whether this system has the call at all (a file system may still refuse it). */
    static boolean available() {
        return RENAMEAT2 != null;
    }

    /**
     * Swaps {@code a} and {@code b}, both of which must exist.
     *
     * @return false when the call is missing or the file system does not support it (nothing changed)
     * @throws FileSystemException naming {@code b} for any other failure (nothing changed either)
     */
    static boolean exchange(Path a, Path b) throws IOException {
        if (RENAMEAT2 == null) {
            return false;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(STATE);
            int r = (int) RENAMEAT2.invokeExact(state, AT_FDCWD, name(arena, a), AT_FDCWD, name(arena, b), RENAME_EXCHANGE);
            if (r == 0) {
                return true;
            }
            int errno = (int) ERRNO.get(state, 0L);
            if (errno == EINVAL || errno == ENOSYS) {
                return false;
            }
            throw new FileSystemException(b.toString(), null, message(errno));
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("renameat2 failed", t);
        }
    }

    private static MemorySegment name(Arena arena, Path p) {
        byte[] bytes = p.toAbsolutePath().toString().getBytes(NAMES);
        MemorySegment s = arena.allocate(bytes.length + 1L);
        MemorySegment.copy(bytes, 0, s, ValueLayout.JAVA_BYTE, 0, bytes.length);
        return s; // allocate() zero-fills, so the last byte is the terminating NUL
    }

    private static String message(int errno) {
        if (STRERROR != null) {
            try {
                MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
                if (!text.equals(MemorySegment.NULL)) {
                    return text.reinterpret(1024).getString(0);
                }
            } catch (Throwable ignored) {
                // fall through to the number
            }
        }
        return "error " + errno;
    }

    private static Charset namesCharset() {
        try {
            return Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));
        } catch (RuntimeException e) {
            return Charset.defaultCharset();
        }
    }
}
