package org.exmerge.numeric;

/**
 * The two products of extract-lora's truncated SVD iteration, D·X and Dᵀ·Q for a float32 D (m × n, row-major)
 * and float64 blocks of k columns (row-major), on a range of the output's rows. Every output element
 * is summed on its own, from +0 in the order of its terms, each term added by one fma of the widened
 * D value (numerics §13), so any cut of the rows into calls, on any threads, and every backend give the
 * same bits. This is the spec: {@code Kernels.svdTimes} and {@code svdTransposeTimes} run it or a native
 * twin, and extract-lora's {@code TruncatedSvd} calls them through its {@code Products}.
 */
public final class SvdProducts {
    /** Terms of a row kept in one pass, so the block of X (or Q) they read stays in the L2 cache. */
    private static final int BLOCK = 128;

    private SvdProducts() {}

    /** The argument checks every backend makes first, so each refuses alike. */
    public static void check(float[] d, int m, int n, double[] b, int k, int from, int to, double[] out, int outRows, int terms) {
        if (m < 0 || n < 0 || k < 0 || from < 0 || from > to || to > outRows) {
            throw new IllegalArgumentException("svd product: m " + m + ", n " + n + ", k " + k + ", rows [" + from + ", " + to
                    + ") of " + outRows);
        }
        if (d.length < (long) m * n || b.length < (long) terms * k || out.length < (long) outRows * k) {
            throw new IndexOutOfBoundsException("svd product: arrays of " + d.length + ", " + b.length + " and " + out.length
                    + " values for m " + m + ", n " + n + ", k " + k);
        }
    }

    /**
     * Rows {@code [from, to)} of Y = D·X (m × k) for X (n × k):
     * {@code y[i·k + c] = fma(d[i·n + j], x[j·k + c], …)} over j = 0 … n−1 from +0; other rows untouched.
     */
    public static void times(float[] d, int m, int n, double[] x, int k, int from, int to, double[] y) {
        check(d, m, n, x, k, from, to, y, m, n);
        java.util.Arrays.fill(y, from * k, to * k, 0.0);
        for (int j0 = 0; j0 < n; j0 += BLOCK) {
            int j1 = Math.min(n, j0 + BLOCK);
            for (int i = from; i < to; i++) {
                int yo = i * k;
                for (int j = j0; j < j1; j++) {
                    double a = d[i * n + j];
                    int xo = j * k;
                    for (int c = 0; c < k; c++) {
                        y[yo + c] = Math.fma(a, x[xo + c], y[yo + c]);
                    }
                }
            }
        }
    }

    /**
     * Rows {@code [from, to)} of Z = Dᵀ·Q (n × k) for Q (m × k):
     * {@code z[j·k + c] = fma(d[i·n + j], q[i·k + c], …)} over i = 0 … m−1 from +0; other rows untouched.
     */
    public static void transposeTimes(float[] d, int m, int n, double[] q, int k, int from, int to, double[] z) {
        check(d, m, n, q, k, from, to, z, n, m);
        java.util.Arrays.fill(z, from * k, to * k, 0.0);
        for (int i0 = 0; i0 < m; i0 += BLOCK) {
            int i1 = Math.min(m, i0 + BLOCK);
            for (int j = from; j < to; j++) {
                int zo = j * k;
                for (int i = i0; i < i1; i++) {
                    double a = d[i * n + j];
                    int qo = i * k;
                    for (int c = 0; c < k; c++) {
                        z[zo + c] = Math.fma(a, q[qo + c], z[zo + c]);
                    }
                }
            }
        }
    }
}
