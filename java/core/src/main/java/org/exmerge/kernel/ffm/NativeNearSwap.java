package org.exmerge.kernel.ffm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.exmerge.kernel.Operand;

/** {@link NativeKernels#nearswap} on {@code mk_nearswap} (numerics §10) for F32/F16/BF16 operands. */
final class NativeNearSwap {
    private NativeNearSwap() {}

    /** Whether the C kernel takes these operands; the others go to the Java spec. */
    static boolean handles(Operand base, Operand x, Operand out) {
        return NativeKernels.code(base.type()) != 0 && NativeKernels.code(x.type()) != 0
                && NativeKernels.code(out.type()) != 0;
    }

    static void apply(float t, Operand base, Operand x, Operand out, long n) {
        long outBytes = Staging.span(out, n, "output");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment b = Staging.in(base.segment(), Staging.span(base, n, "base"), arena);
            MemorySegment v = Staging.in(x.segment(), Staging.span(x, n, "input"), arena);
            MemorySegment o = Staging.out(out.segment(), outBytes, arena);
            int status;
            try {
                status = (int) ExmergeNative.NearSwap.mk_nearswap.invokeExact(b, NativeKernels.code(base.type()), v,
                        NativeKernels.code(x.type()), o, NativeKernels.code(out.type()), t, n);
            } catch (Throwable e) {
                throw ExmergeNative.rethrow(e);
            }
            NativeException.check(status, "mk_nearswap", n + " elements");
            Staging.back(o, out.segment(), outBytes);
        }
    }
}
