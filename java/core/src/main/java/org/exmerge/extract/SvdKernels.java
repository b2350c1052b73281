package org.exmerge.extract;

import org.exmerge.kernel.Kernels;

/** A backend's numerics §13 products as {@link TruncatedSvd} takes them (the spec is {@link org.exmerge.numeric.SvdProducts}). */
public final class SvdKernels {
    private SvdKernels() {}

    public static TruncatedSvd.Products on(Kernels k) {
        return new TruncatedSvd.Products() {
            @Override
            public void times(float[] d, int m, int n, double[] x, int w, int from, int to, double[] y) {
                k.svdTimes(d, m, n, x, w, from, to, y);
            }

            @Override
            public void transposeTimes(float[] d, int m, int n, double[] q, int w, int from, int to, double[] z) {
                k.svdTransposeTimes(d, m, n, q, w, from, to, z);
            }
        };
    }
}
