package org.exmerge.extract;

/**
 * One-sided Jacobi SVD (Hestenes) in double: the columns of a matrix are rotated pairwise until
 * every pair is orthogonal to double precision, so {@code M·T = W·diag(s)} with T orthogonal. It is
 * slow (cubic, several sweeps) but accurate to the last bits for every singular value, tiny and
 * repeated ones included, which is why the truncated SVD uses it for small matrices and for its
 * projected k×k problem. The pair order is fixed, so the result is a pure function of the input.
 */
public final class JacobiSvd {
    private static final int MAX_SWEEPS = 80;
    private static final double TOL = 1e-15;

    /**
     * The factors of a matrix given as {@code cols} column vectors.
     *
     * @param s descending singular values
     * @param w {@code w[c]} is left singular vector c (unit length; zero where s[c] is 0)
     * @param t {@code t[c]} is right singular vector c, of length {@code cols}
     */
    public record Result(double[] s, double[][] w, double[][] t) {}

    private JacobiSvd() {}

    /** Decomposes the matrix whose column c is {@code a[c]} (overwritten). */
    public static Result of(double[][] a) {
        int n = a.length;
        double[][] t = new double[n][n];
        for (int c = 0; c < n; c++) {
            t[c][c] = 1;
        }
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            boolean rotated = false;
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    rotated |= rotate(a[p], a[q], t[p], t[q]);
                }
            }
            if (!rotated) {
                break;
            }
        }
        double[] s = new double[n];
        for (int c = 0; c < n; c++) {
            s[c] = Math.sqrt(dot(a[c], a[c]));
        }
        Integer[] order = new Integer[n];
        for (int c = 0; c < n; c++) {
            order[c] = c;
        }
        // Descending, ties by position: a stable sort keeps the result a function of the input.
        java.util.Arrays.sort(order, (x, y) -> Double.compare(s[y], s[x]));
        double[] sorted = new double[n];
        double[][] w = new double[n][];
        double[][] tt = new double[n][];
        for (int i = 0; i < n; i++) {
            int c = order[i];
            sorted[i] = s[c];
            double[] col = a[c];
            if (s[c] > 0) {
                double inv = 1 / s[c];
                for (int j = 0; j < col.length; j++) {
                    col[j] *= inv;
                }
            }
            w[i] = col;
            tt[i] = t[c];
        }
        return new Result(sorted, w, tt);
    }

    /** Makes columns x and y orthogonal by one rotation (applied to the accumulated tx, ty too); false when they already are. */
    private static boolean rotate(double[] x, double[] y, double[] tx, double[] ty) {
        double alpha = 0;
        double beta = 0;
        double gamma = 0;
        for (int i = 0; i < x.length; i++) {
            alpha = Math.fma(x[i], x[i], alpha);
            beta = Math.fma(y[i], y[i], beta);
            gamma = Math.fma(x[i], y[i], gamma);
        }
        if (alpha == 0 || beta == 0 || Math.abs(gamma) <= TOL * Math.sqrt(alpha) * Math.sqrt(beta)) {
            return false;
        }
        double zeta = (beta - alpha) / (2 * gamma);
        double tan = Math.signum(zeta) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        if (zeta == 0) {
            tan = 1;
        }
        double cos = 1 / Math.sqrt(1 + tan * tan);
        double sin = cos * tan;
        apply(x, y, cos, sin);
        apply(tx, ty, cos, sin);
        return true;
    }

    private static void apply(double[] x, double[] y, double cos, double sin) {
        for (int i = 0; i < x.length; i++) {
            double xi = x[i];
            double yi = y[i];
            x[i] = cos * xi - sin * yi;
            y[i] = sin * xi + cos * yi;
        }
    }

    static double dot(double[] x, double[] y) {
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            sum = Math.fma(x[i], y[i], sum);
        }
        return sum;
    }
}
