package org.exmerge.extract;

import org.exmerge.method.Parallel;
import org.exmerge.numeric.Philox4x32;
import org.exmerge.numeric.SvdProducts;

/**
 * The best rank-r approximation {@code D ≈ U·diag(s)·Vᵀ} of a float32 matrix D (m × n, row-major),
 * as {@code exmerge extract-lora} needs it (numerics §13). Small matrices, and ranks of at least half the
 * smaller dimension, get an exact one-sided Jacobi SVD of the whole matrix in double ({@link JacobiSvd}).
 * Larger ones get block subspace iteration: a start block of k = r + oversampling columns from
 * Philox (numerics §5, so it is a function of the tensor's name), {@code Q = orth(D·X)},
 * {@code P = orth(Dᵀ·Q)}, and a Rayleigh–Ritz step (an exact Jacobi SVD of the k × k matrix
 * {@code QᵀD·P}) each round, until the captured energy Σ s² of the top r Ritz values moves by less
 * than {@link #TOL} relative, or, where it converges slowly (no gap after r), by less than
 * {@link #RESIDUAL_TOL} of the residual ‖D‖² − Σ s²; at most {@link #MAX_ROUNDS} rounds. The products
 * run on {@link Products} (a backend's kernels); every sum runs in double in a fixed order, each output
 * element summed by one piece of {@code parallel}, and each singular pair's sign is fixed (the
 * largest-magnitude entry of u positive, the first of equals), so the result is the same bits for every
 * thread count and backend.
 */
public final class TruncatedSvd {
    /** Relative change of the captured energy Σ s_c² (c < r) at which the top of the spectrum has converged. */
    static final double TOL = 1e-7;
    /**
     * Without a gap after the kept rank the subspace converges slowly (the energy's change falls by less
     * than half a round) and further rounds barely lower ‖D − D_r‖: the iteration stops once a round
     * lowers ‖D − D_r‖² by less than this fraction of itself (numerics §13 has the measurements).
     */
    static final double RESIDUAL_TOL = 1e-3;
    /** A cap for the rare spectrum that meets neither rule. */
    static final int MAX_ROUNDS = 24;
    /** At or below this smaller dimension the exact dense SVD is cheap enough. */
    static final int DENSE_DIM = 64;
    /** About the fma of a piece of parallel work: a few milliseconds, and short enough that a native call may hold off the GC. */
    private static final long WORK = 1 << 24;
    /** Philox's model word for the start block, apart from every merge method's streams. */
    private static final int STREAM = -3;

    /**
     * @param rank   singular triplets kept (at most r; fewer when {@code svEpsilon} drops some)
     * @param s      their singular values, descending
     * @param u      m × rank, row-major
     * @param v      n × rank, row-major
     * @param kept   Σ s² over the kept triplets
     * @param total  ‖D‖²
     * @param rounds subspace iteration rounds run (0 for the dense path)
     */
    public record Result(int rank, double[] s, double[] u, double[] v, double kept, double total, int rounds) {
        /** The fraction of ‖D‖² the kept rank captures (1 for a zero matrix). */
        public double captured() {
            return total == 0 ? 1 : Math.min(1, kept / total);
        }
    }

    private TruncatedSvd() {}

    /** Where the two products run: {@link SvdProducts} (the spec) or a backend's twin of it, bit for bit. */
    public interface Products {
        Products JAVA = new Products() {
            @Override
            public void times(float[] d, int m, int n, double[] x, int k, int from, int to, double[] y) {
                SvdProducts.times(d, m, n, x, k, from, to, y);
            }

            @Override
            public void transposeTimes(float[] d, int m, int n, double[] q, int k, int from, int to, double[] z) {
                SvdProducts.transposeTimes(d, m, n, q, k, from, to, z);
            }
        };

        /** As {@link SvdProducts#times}. */
        void times(float[] d, int m, int n, double[] x, int k, int from, int to, double[] y);

        /** As {@link SvdProducts#transposeTimes}. */
        void transposeTimes(float[] d, int m, int n, double[] q, int k, int from, int to, double[] z);
    }

    /**
     * Decomposes {@code d} (m × n, row-major) to rank {@code min(r, m, n)}, then drops singular values
     * {@code ≤ svEpsilon} (when positive), as mergekit-extract-lora does.
     *
     * @param tensorId the Philox tensor word of the start block (the tensor name's hash)
     */
    public static Result of(float[] d, int m, int n, int r, double svEpsilon, long seed, int tensorId, Parallel parallel) {
        return of(d, m, n, r, svEpsilon, seed, tensorId, parallel, Products.JAVA, () -> { });
    }

    /**
     * As above, the products on {@code products}, calling {@code eachRound} between rounds (a
     * cancellation check may throw from it).
     */
    public static Result of(float[] d, int m, int n, int r, double svEpsilon, long seed, int tensorId, Parallel parallel,
                            Products products, Runnable eachRound) {
        int small = Math.min(m, n);
        int rank = Math.min(r, small);
        double total = 0;
        for (float x : d) {
            total = Math.fma(x, x, total);
        }
        Result full = 2 * rank >= small || small <= DENSE_DIM ? dense(d, m, n, total)
                : subspace(new Pass(d, m, n, parallel, products), rank, seed, tensorId, total, eachRound);
        int keep = rank;
        if (svEpsilon > 0) {
            keep = 0;
            while (keep < rank && full.s[keep] > svEpsilon) {
                keep++;
            }
        }
        return truncate(full, m, n, keep, total);
    }

    /** The first {@code keep} triplets of {@code f}, each pair's sign made canonical. */
    private static Result truncate(Result f, int m, int n, int keep, double total) {
        int k = f.rank;
        double[] u = new double[m * keep];
        double[] v = new double[n * keep];
        double[] s = new double[keep];
        double kept = 0;
        for (int c = 0; c < keep; c++) {
            s[c] = f.s[c];
            kept += s[c] * s[c];
            int at = 0;
            double big = -1;
            for (int i = 0; i < m; i++) {
                double a = Math.abs(f.u[i * k + c]);
                if (a > big) {
                    big = a;
                    at = i;
                }
            }
            double sign = f.u[at * k + c] < 0 ? -1 : 1;
            for (int i = 0; i < m; i++) {
                u[i * keep + c] = sign * f.u[i * k + c];
            }
            for (int j = 0; j < n; j++) {
                v[j * keep + c] = sign * f.v[j * k + c];
            }
        }
        return new Result(keep, s, u, v, kept, total, f.rounds);
    }

    /** The whole SVD by one-sided Jacobi on the columns of D or of Dᵀ, whichever are fewer. */
    private static Result dense(float[] d, int m, int n, double total) {
        boolean byColumns = n <= m;
        int cols = byColumns ? n : m;
        int len = byColumns ? m : n;
        double[][] a = new double[cols][len];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                if (byColumns) {
                    a[j][i] = d[i * n + j];
                } else {
                    a[i][j] = d[i * n + j];
                }
            }
        }
        JacobiSvd.Result j = JacobiSvd.of(a);
        // byColumns: D·T = W·S, so U = W, V = T; else Dᵀ·T = W·S, so U = T, V = W.
        double[][] left = byColumns ? j.w() : j.t();
        double[][] right = byColumns ? j.t() : j.w();
        return new Result(cols, j.s(), rowMajor(left, m), rowMajor(right, n), 0, total, 0);
    }

    /** Column vectors {@code cols[c]} (each of {@code len}) as a len × cols row-major array. */
    private static double[] rowMajor(double[][] cols, int len) {
        int k = cols.length;
        double[] out = new double[len * k];
        for (int c = 0; c < k; c++) {
            for (int i = 0; i < len; i++) {
                out[i * k + c] = cols[c][i];
            }
        }
        return out;
    }

    private static Result subspace(Pass d, int rank, long seed, int tensorId, double total, Runnable eachRound) {
        int m = d.m;
        int n = d.n;
        int k = Math.min(Math.min(m, n), rank + Math.max(8, rank / 2));
        double[] x = start(n, k, seed, tensorId);
        double before = -1;
        double step = Double.POSITIVE_INFINITY;
        Ritz ritz = null;
        int rounds = 0;
        while (rounds < MAX_ROUNDS) {
            eachRound.run();
            rounds++;
            ritz = ritz(d, orthonormal(d.times(x, k), m, k, d.parallel), k);
            double now = energy(ritz.svd.s(), rank);
            boolean settled = false;
            if (before >= 0) {
                double moved = Math.abs(now - before);
                settled = moved <= TOL * now || moved <= RESIDUAL_TOL * (total - now) && moved >= step / 2;
                step = moved;
            }
            before = now;
            if (settled || now == 0) {
                break;
            }
            x = ritz.p;
        }
        return ritz.factors(m, n, rank, total, rounds, d.parallel);
    }

    /** Σ s_c² over the first {@code rank}, in c order. */
    private static double energy(double[] s, int rank) {
        double e = 0;
        for (int c = 0; c < rank; c++) {
            e = Math.fma(s[c], s[c], e);
        }
        return e;
    }

    /** The start block X (n × k): Philox uniforms in [−1, 1), orthonormalised. */
    private static double[] start(int n, int k, long seed, int tensorId) {
        double[] x = new double[n * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = 2.0 * Philox4x32.uniform(seed, i, tensorId, STREAM) - 1.0;
        }
        return orthonormal(x, n, k);
    }

    /** A Rayleigh–Ritz step on the orthonormal left basis Q (m × k): P = orth(DᵀQ) and the SVD of the k × k QᵀD·P. */
    private record Ritz(double[] q, double[] p, int k, JacobiSvd.Result svd) {
        /** QᵀD = M·Pᵀ = W·S·Tᵀ·Pᵀ, so D ≈ (Q·W)·S·(P·T)ᵀ. */
        Result factors(int m, int n, int rank, double total, int rounds, Parallel parallel) {
            double[] u = combine(q, m, k, svd.w(), rank, parallel);
            double[] v = combine(p, n, k, svd.t(), rank, parallel);
            return new Result(rank, java.util.Arrays.copyOf(svd.s(), rank), u, v, 0, total, rounds);
        }
    }

    private static Ritz ritz(Pass d, double[] q, int k) {
        int n = d.n;
        double[] z = d.transposeTimes(q, k); // (QᵀD)ᵀ, n × k
        double[] p = orthonormal(z, n, k, d.parallel);
        // QᵀD = Zᵀ = (PᵀZ)ᵀ·Pᵀ: the Ritz problem is the k × k matrix M = (PᵀZ)ᵀ, whose column c is row c of PᵀZ.
        double[][] mCols = new double[k][k];
        int pieces = Parallel.pieces(k, Math.max(4, WORK / Math.max(1, (long) n * k)));
        d.parallel.run(pieces, piece -> { // each entry summed over j in order by one piece
            int a0 = (int) ((long) k * piece / pieces);
            int a1 = (int) ((long) k * (piece + 1) / pieces);
            for (int j = 0; j < n; j++) {
                for (int a = a0; a < a1; a++) {
                    double pa = p[j * k + a];
                    if (pa != 0) {
                        double[] col = mCols[a];
                        for (int b = 0; b < k; b++) {
                            col[b] = Math.fma(pa, z[j * k + b], col[b]);
                        }
                    }
                }
            }
        });
        return new Ritz(q, p, k, JacobiSvd.of(mCols));
    }

    /** The top {@code rank} Ritz values after a fixed amount of work, for the stop rule's study (SvdStopRuleStudy). */
    record Iteration(double[] s) {}

    /** Exactly {@code rounds} rounds of subspace iteration with a block of k. */
    static Iteration subspaceRounds(float[] data, int m, int n, int rank, int k, int rounds, long seed, int tensorId, Parallel parallel) {
        Pass d = new Pass(data, m, n, parallel, Products.JAVA);
        double[] x = start(n, k, seed, tensorId);
        Ritz ritz = null;
        for (int t = 0; t < rounds; t++) {
            ritz = ritz(d, orthonormal(d.times(x, k), m, k, d.parallel), k);
            x = ritz.p;
        }
        return new Iteration(java.util.Arrays.copyOf(ritz.svd.s(), rank));
    }

    /**
     * Block Krylov (Musco & Musco 2015): K = [DX, (DDᵀ)DX, …, (DDᵀ)^q DX] orthonormalised, each block
     * against the ones before it, then one Rayleigh–Ritz step on all (q + 1)·k columns.
     */
    static Iteration krylov(float[] data, int m, int n, int rank, int k, int q, long seed, int tensorId, Parallel parallel) {
        Pass d = new Pass(data, m, n, parallel, Products.JAVA);
        double[] x = start(n, k, seed, tensorId);
        int w = (q + 1) * k;
        double[] basis = new double[m * w];
        double[] block = orthonormal(d.times(x, k), m, k);
        for (int j = 0; j <= q; j++) {
            if (j > 0) {
                block = d.times(orthonormal(d.transposeTimes(block, k), n, k), k);
            }
            for (int i = 0; i < m; i++) {
                System.arraycopy(block, i * k, basis, i * w + j * k, k);
            }
            basis = orthonormal(basis, m, (j + 1) * k, w);
            for (int i = 0; i < m; i++) {
                System.arraycopy(basis, i * w + j * k, block, i * k, k);
            }
        }
        Ritz ritz = ritz(d, basis, w);
        return new Iteration(java.util.Arrays.copyOf(ritz.svd.s(), rank));
    }

    /** {@link #orthonormal} of the first {@code cols} columns of a len × stride array, in place (the rest untouched). */
    private static double[] orthonormal(double[] a, int len, int cols, int stride) {
        double[] sub = new double[len * cols];
        for (int i = 0; i < len; i++) {
            System.arraycopy(a, i * stride, sub, i * cols, cols);
        }
        sub = orthonormal(sub, len, cols);
        for (int i = 0; i < len; i++) {
            System.arraycopy(sub, i * cols, a, i * stride, cols);
        }
        return a;
    }

    /**
     * {@code basis · [vec_0 … vec_{r-1}]}: basis is len × k row-major, each vec of length k; len × r row-major,
     * each element summed over a in order, the rows split among the pieces of {@code parallel}.
     */
    private static double[] combine(double[] basis, int len, int k, double[][] vecs, int r, Parallel parallel) {
        double[] w = new double[k * r];
        for (int c = 0; c < r; c++) {
            for (int a = 0; a < k; a++) {
                w[a * r + c] = vecs[c][a];
            }
        }
        double[] out = new double[len * r];
        int pieces = Parallel.pieces(len, Math.max(16, WORK / Math.max(1, (long) k * r)));
        parallel.run(pieces, piece -> {
            int from = (int) ((long) len * piece / pieces);
            int to = (int) ((long) len * (piece + 1) / pieces);
            for (int i = from; i < to; i++) {
                int o = i * r;
                for (int a = 0; a < k; a++) {
                    double b = basis[i * k + a];
                    int wo = a * r;
                    for (int c = 0; c < r; c++) {
                        out[o + c] = Math.fma(b, w[wo + c], out[o + c]);
                    }
                }
            }
        });
        return out;
    }

    /**
     * D with the run's threads and products. The products' pieces are cut by the work in a call (about
     * 2^24 fma, a few milliseconds, since a native call holds off the garbage collector), never fewer
     * than 64 columns of D for Dᵀ·Q so each row of D is read in whole cache lines; any cut gives the same bits.
     */
    private record Pass(float[] d, int m, int n, Parallel parallel, Products products) {

        /** D·X (m × k) for X n × k. */
        double[] times(double[] x, int k) {
            double[] y = new double[m * k];
            int rows = (int) Math.max(4, WORK / Math.max(1, (long) n * k));
            int pieces = Parallel.pieces(m, rows);
            parallel.run(pieces, piece -> products.times(d, m, n, x, k, (int) ((long) m * piece / pieces),
                    (int) ((long) m * (piece + 1) / pieces), y));
            return y;
        }

        /** Dᵀ·Q (n × k) for Q m × k. */
        double[] transposeTimes(double[] q, int k) {
            double[] z = new double[n * k];
            int cols = (int) Math.max(64, WORK / Math.max(1, (long) m * k));
            int pieces = Parallel.pieces(n, cols);
            parallel.run(pieces, piece -> products.transposeTimes(d, m, n, q, k, (int) ((long) n * piece / pieces),
                    (int) ((long) n * (piece + 1) / pieces), z));
            return z;
        }
    }

    /** {@link #orthonormal(double[], int, int, Parallel)} on one thread. */
    static double[] orthonormal(double[] a, int len, int k) {
        return orthonormal(a, len, k, Parallel.SERIAL);
    }

    /**
     * An orthonormal basis of the columns of {@code a} (len × k, row-major) by block Gram–Schmidt with
     * reorthogonalisation (once is not orthogonal to double precision when columns are nearly dependent):
     * the columns in panels of {@link #PANEL}, each panel projected off the columns before it as a block
     * (one pass over them for the whole panel; a second when a column lost half its norm or more), then
     * its own columns one by one, twice. A column with nothing left
     * (a matrix of lower rank than k) is replaced by the first unit vector that still has something
     * left, so the basis stays orthonormal. Every dot product is one sum over the rows in order and every
     * update independent per row, so the block steps run vectorised and split among the pieces of
     * {@code parallel} with the same bits for any split.
     */
    static double[] orthonormal(double[] a, int len, int k, Parallel parallel) {
        double[] q = a.clone();
        double[] start = new double[PANEL];
        double[] v = new double[len];
        int[] unit = {0};
        for (int c0 = 0; c0 < k; c0 += PANEL) {
            int w = Math.min(PANEL, k - c0);
            for (int p = 0; p < w; p++) {
                double sum = 0;
                for (int i = 0; i < len; i++) {
                    sum = Math.fma(q[i * k + c0 + p], q[i * k + c0 + p], sum);
                }
                start[p] = Math.sqrt(sum);
            }
            if (c0 > 0) {
                projectPanel(q, len, k, c0, w, parallel);
                // Twice is enough (Kahan–Parlett), and once is, column by column, when the projection left
                // more than half of each column's norm: what the first pass missed is then ~ε of what is left.
                if (!keptHalf(q, len, k, c0, w, start)) {
                    projectPanel(q, len, k, c0, w, parallel);
                }
            }
            for (int c = c0; c < c0 + w; c++) {
                for (int i = 0; i < len; i++) {
                    v[i] = q[i * k + c];
                }
                project(q, len, k, c0, c, v);
                double first = start[c - c0];
                double left = Math.sqrt(JacobiSvd.dot(v, v));
                while (!(left > 1e-13 * first) || left == 0) {
                    if (unit[0] >= len) {
                        throw new IllegalStateException("no unit vector left to complete the basis");
                    }
                    java.util.Arrays.fill(v, 0);
                    v[unit[0]++] = 1;
                    first = 1;
                    project(q, len, k, 0, c, v);
                    left = Math.sqrt(JacobiSvd.dot(v, v));
                }
                double inv = 1 / left;
                for (int i = 0; i < len; i++) {
                    q[i * k + c] = v[i] * inv;
                }
            }
        }
        return q;
    }

    /** Whether every column {@code c0 + p} of the panel still has more than half its norm {@code start[p]}. */
    private static boolean keptHalf(double[] q, int len, int k, int c0, int w, double[] start) {
        double[] sums = new double[w];
        for (int i = 0; i < len; i++) {
            int o = i * k + c0;
            for (int p = 0; p < w; p++) {
                sums[p] = Math.fma(q[o + p], q[o + p], sums[p]);
            }
        }
        for (int p = 0; p < w; p++) {
            if (!(Math.sqrt(sums[p]) > 0.5 * start[p])) {
                return false;
            }
        }
        return true;
    }

    /** Columns per panel of {@link #orthonormal}: a panel's row is two cache lines, its dot products a block in L1. */
    private static final int PANEL = 16;

    /**
     * Columns {@code [c0, c0 + w)} of q minus their projection on columns {@code [0, c0)}:
     * {@code s[b][p] = Σ_i q[i][b]·q[i][c0 + p]} (over i in order), then
     * {@code q[i][c0 + p] −= s[b][p]·q[i][b]} for b in order.
     */
    private static void projectPanel(double[] q, int len, int k, int c0, int w, Parallel parallel) {
        double[] s = new double[c0 * w];
        int dotPieces = Parallel.pieces(c0, Math.max(4, WORK / Math.max(1, (long) len * w)));
        parallel.run(dotPieces, piece -> {
            int b0 = (int) ((long) c0 * piece / dotPieces);
            int b1 = (int) ((long) c0 * (piece + 1) / dotPieces);
            for (int i = 0; i < len; i++) {
                int o = i * k;
                for (int b = b0; b < b1; b++) {
                    double x = q[o + b];
                    int so = b * w;
                    for (int p = 0; p < w; p++) {
                        s[so + p] = Math.fma(x, q[o + c0 + p], s[so + p]);
                    }
                }
            }
        });
        int rowPieces = Parallel.pieces(len, Math.max(64, WORK / Math.max(1, (long) c0 * w)));
        parallel.run(rowPieces, piece -> {
            int i0 = (int) ((long) len * piece / rowPieces);
            int i1 = (int) ((long) len * (piece + 1) / rowPieces);
            double[] acc = new double[w];
            for (int i = i0; i < i1; i++) {
                int o = i * k;
                System.arraycopy(q, o + c0, acc, 0, w);
                for (int b = 0; b < c0; b++) {
                    double x = q[o + b];
                    int so = b * w;
                    for (int p = 0; p < w; p++) {
                        acc[p] = Math.fma(-s[so + p], x, acc[p]);
                    }
                }
                System.arraycopy(acc, 0, q, o + c0, w);
            }
        });
    }

    /**
     * Removes from {@code v} its components along columns {@code [from, c)} of q, twice: the dot products
     * (each over the rows in order, all of them in one pass), then each row's update over b in order.
     */
    private static void project(double[] q, int len, int k, int from, int c, double[] v) {
        int w = c - from;
        if (w == 0) {
            return;
        }
        double[] dots = new double[w];
        for (int pass = 0; pass < 2; pass++) {
            java.util.Arrays.fill(dots, 0.0);
            for (int i = 0; i < len; i++) {
                double vi = v[i];
                int o = i * k + from;
                for (int b = 0; b < w; b++) {
                    dots[b] = Math.fma(q[o + b], vi, dots[b]);
                }
            }
            for (int i = 0; i < len; i++) {
                double x = v[i];
                int o = i * k + from;
                for (int b = 0; b < w; b++) {
                    x = Math.fma(-dots[b], q[o + b], x);
                }
                v[i] = x;
            }
        }
    }
}
