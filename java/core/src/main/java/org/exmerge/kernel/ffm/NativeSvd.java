package org.exmerge.kernel.ffm;

import java.lang.foreign.MemorySegment;
import org.exmerge.numeric.SvdProducts;

/** {@link NativeKernels}' numerics §13 ops: extract-lora's products D·X and Dᵀ·Q, on {@code mk_svd_times} and its transpose. */
final class NativeSvd {
    private NativeSvd() {}

    static void times(float[] d, int m, int n, double[] x, int k, int from, int to, double[] y) {
        SvdProducts.check(d, m, n, x, k, from, to, y, m, n);
        int status;
        try {
            status = (int) ExmergeNative.SvdTimes.mk_svd_times.invokeExact(MemorySegment.ofArray(d), (long) m, (long) n,
                    MemorySegment.ofArray(x), k, (long) from, (long) to, MemorySegment.ofArray(y));
        } catch (Throwable t) {
            throw ExmergeNative.rethrow(t);
        }
        NativeException.check(status, "mk_svd_times", m + " x " + n + " times k " + k + ", rows [" + from + ", " + to + ")");
    }

    static void transposeTimes(float[] d, int m, int n, double[] q, int k, int from, int to, double[] z) {
        SvdProducts.check(d, m, n, q, k, from, to, z, n, m);
        int status;
        try {
            status = (int) ExmergeNative.SvdTransposeTimes.mk_svd_transpose_times.invokeExact(MemorySegment.ofArray(d), (long) m,
                    (long) n, MemorySegment.ofArray(q), k, (long) from, (long) to, MemorySegment.ofArray(z));
        } catch (Throwable t) {
            throw ExmergeNative.rethrow(t);
        }
        NativeException.check(status, "mk_svd_transpose_times", m + " x " + n + " transposed times k " + k + ", rows [" + from
                + ", " + to + ")");
    }
}
