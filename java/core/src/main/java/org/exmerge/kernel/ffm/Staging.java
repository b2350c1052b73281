package org.exmerge.kernel.ffm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.exmerge.kernel.Operand;

/**
 * Argument checks and heap staging for native calls. C cannot bounds-check, so every span is
 * checked here first (an overrun is an IndexOutOfBoundsException, as the Java kernels give). Heap
 * segments have no stable address to hand to C: they are copied into a native buffer of the call's
 * arena (and outputs copied back), a slow path meant for tests and API callers with arrays; the
 * engine's mapped files and chunk buffers are native and go straight through.
 */
final class Staging {
    private Staging() {}

    /** Bytes of {@code n} elements of {@code o}'s type, checked against its segment. */
    static long span(Operand o, long n, String what) {
        if (n < 0) {
            throw new IllegalArgumentException("negative element count " + n);
        }
        long bytes = Math.multiplyExact(n, (long) o.type().size());
        if (o.segment().byteSize() < bytes) {
            throw new IndexOutOfBoundsException(what + ": segment of " + o.segment().byteSize() + " bytes cannot hold "
                    + n + " elements of " + o.type());
        }
        return bytes;
    }

    /** The segment to pass for reading {@code bytes} of {@code s}: itself if native, else a native copy. */
    static MemorySegment in(MemorySegment s, long bytes, Arena arena) {
        if (s.isNative()) {
            return s;
        }
        MemorySegment copy = arena.allocate(Math.max(1, bytes), 64);
        MemorySegment.copy(s, 0, copy, 0, bytes);
        return copy;
    }

    /** The segment to write {@code bytes} into: itself if native, else a native buffer for {@link #back}. */
    static MemorySegment out(MemorySegment s, long bytes, Arena arena) {
        if (s.isReadOnly()) {
            throw new IllegalArgumentException("output segment is read-only");
        }
        return s.isNative() ? s : arena.allocate(Math.max(1, bytes), 64);
    }

    /** Copies a staged output back into the caller's heap segment (nothing to do if it was native). */
    static void back(MemorySegment staged, MemorySegment original, long bytes) {
        if (staged != original) {
            MemorySegment.copy(staged, 0, original, 0, bytes);
        }
    }
}
