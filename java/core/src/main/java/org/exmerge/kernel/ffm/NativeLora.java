package org.exmerge.kernel.ffm;

import static org.exmerge.kernel.ffm.NativeKernels.FALLBACKS;
import static org.exmerge.kernel.ffm.NativeKernels.JAVA;
import static org.exmerge.kernel.ffm.NativeKernels.code;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.exmerge.kernel.LoraKernels;
import org.exmerge.kernel.Operand;

/** {@link NativeKernels}' numerics §12 op: the LoRA delta on rows, on {@code mk_lora_rows}. */
final class NativeLora {
    private NativeLora() {}

    static void rows(Operand w, MemorySegment left, MemorySegment right, int rank, long columns, int count, double scaling,
                     Operand out) {
        LoraKernels.check(w, left, right, rank, columns, count, out);
        if (code(w.type()) == 0 || code(out.type()) == 0) {
            FALLBACKS.count("loraRows");
            JAVA.loraRows(w, left, right, rank, columns, count, scaling, out); // F64 or F8
            return;
        }
        long n = columns * count;
        if (n == 0) {
            return;
        }
        long wBytes = Staging.span(w, n, "w");
        long outBytes = Staging.span(out, n, "output");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ws = Staging.in(w.segment(), wBytes, arena);
            MemorySegment l = factor(left, (long) count * rank * 8, arena);
            MemorySegment r = factor(right, columns * rank * 8, arena);
            MemorySegment o = Staging.out(out.segment(), outBytes, arena);
            int status;
            try {
                status = (int) ExmergeNative.LoraRows.mk_lora_rows.invokeExact(ws, code(w.type()), l, r, rank, columns,
                        (long) count, scaling, o, code(out.type()));
            } catch (Throwable t) {
                throw ExmergeNative.rethrow(t);
            }
            NativeException.check(status, "mk_lora_rows", count + " rows of " + columns + ", rank " + rank + ", "
                    + w.type() + " to " + out.type());
            Staging.back(o, out.segment(), outBytes);
        }
    }

    /** A factor for C's {@code const double *}: itself when native and 8-byte aligned (the engine's always are), else a copy. */
    private static MemorySegment factor(MemorySegment s, long bytes, Arena arena) {
        if (s.isNative() && s.address() % 8 == 0) {
            return s;
        }
        MemorySegment copy = arena.allocate(Math.max(1, bytes), 64);
        MemorySegment.copy(s, 0, copy, 0, bytes);
        return copy;
    }
}
