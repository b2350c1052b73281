package org.exmerge.method.geometric;

import java.util.Arrays;
import org.exmerge.format.DType;
import org.exmerge.kernel.Operand;
import org.exmerge.numeric.Widen;

/**
 * numerics §4's float64 reductions for the geometric methods: for every vector of a tensor (see
 * {@link Vectors}) and every requested pair {@code (i, j)} of inputs, {@code Σ v_i·v_j}.
 *
 * <p>{@code v_i} is input {@code i} widened exactly, or, when a base is given, the task vector
 * {@code x_i − b} formed as the linear kernel forms it: in float32, or float64 when an input is F64
 * (numerics §1). Each product is formed in float64 without fma. Each vector is reduced as if it were a
 * tensor of its own, in numerics §4's one order: blocks of 65,536 of its elements, 64 lanes per block
 * (element {@code k} of a block goes to lane {@code k mod 64}), the lanes folded pairwise, block
 * values added left to right from +0.0. A whole-tensor vector of plain inputs therefore gives exactly
 * {@link org.exmerge.numeric.BlockReduction}'s value, and no result depends on threads or chunking.
 *
 * <p>One read of each input for all pairs; scratch is a few hundred kilobytes, never per element.
 */
final class PairSums {
    static final int BLOCK = 65_536;
    static final int LANES = 64;
    // Contiguous vectors are widened in chunks; a multiple of LANES so a chunk's index mod 64 is the lane.
    private static final int CHUNK = 2048;
    // Strided vectors are reduced a group of neighbouring vectors at a time, so each read is contiguous.
    private static final int GROUP = 256;

    private PairSums() {}

    /** Every pair {@code (i, j)} with {@code i ≤ j} of {@code m} inputs, row by row: (0,0), (0,1), …, (1,1), …. */
    static int[][] gramPairs(int m) {
        int[][] pairs = new int[m * (m + 1) / 2][];
        int q = 0;
        for (int i = 0; i < m; i++) {
            for (int j = i; j < m; j++) {
                pairs[q++] = new int[] {i, j};
            }
        }
        return pairs;
    }

    /** The index of pair {@code (i, j)}, {@code i ≤ j}, in {@link #gramPairs}{@code (m)}. */
    static int gramIndex(int m, int i, int j) {
        if (i > j) {
            int s = i;
            i = j;
            j = s;
        }
        return i * m - i * (i - 1) / 2 + (j - i);
    }

    /**
     * @param base null for the inputs themselves, else the base their task vectors are taken from
     * @return {@code sums[p][q]} = Σ over vector p of {@code v[pairs[q][0]]·v[pairs[q][1]]}
     */
    static double[][] compute(Operand[] xs, Operand base, Vectors vectors, int[][] pairs) {
        boolean wide = base != null && base.type() == DType.F64;
        for (Operand x : xs) {
            wide |= x.type() == DType.F64;
        }
        double[][] sums = new double[vectors.countInt()][pairs.length];
        if (vectors.strided()) {
            strided(xs, base, wide, vectors, pairs, sums);
        } else {
            contiguous(xs, base, wide, vectors, pairs, sums);
        }
        return sums;
    }

    private static void contiguous(Operand[] xs, Operand base, boolean wide, Vectors v, int[][] pairs, double[][] sums) {
        double[][] vals = new double[xs.length][CHUNK];
        double[] b = base == null ? null : new double[CHUNK];
        double[][] lanes = new double[pairs.length][LANES];
        for (int p = 0; p < sums.length; p++) {
            long origin = v.element(p, 0);
            for (long blockStart = 0; blockStart < v.length(); blockStart += BLOCK) {
                long end = Math.min(blockStart + BLOCK, v.length());
                for (double[] l : lanes) {
                    Arrays.fill(l, 0.0);
                }
                for (long c = blockStart; c < end; c += CHUNK) {
                    int len = (int) Math.min(CHUNK, end - c);
                    load(xs, base, wide, origin + c, len, vals, b);
                    for (int q = 0; q < pairs.length; q++) {
                        addProducts(vals[pairs[q][0]], vals[pairs[q][1]], len, lanes[q]);
                    }
                }
                for (int q = 0; q < pairs.length; q++) {
                    sums[p][q] += fold(lanes[q]);
                }
            }
        }
    }

    // Vectors p .. p+g-1 hold neighbouring elements k·count + p, so row k of the group is one contiguous
    // read. Lanes are laid out [pair][lane][vector] so the update for one row runs along contiguous memory.
    private static void strided(Operand[] xs, Operand base, boolean wide, Vectors v, int[][] pairs, double[][] sums) {
        double[][] vals = new double[xs.length][GROUP];
        double[] b = base == null ? null : new double[GROUP];
        double[][] lanes = new double[pairs.length][LANES * GROUP];
        double[] p = new double[LANES];
        for (int g0 = 0; g0 < sums.length; g0 += GROUP) {
            int g = Math.min(GROUP, sums.length - g0);
            for (long k = 0; k < v.length(); k++) {
                if (k % BLOCK == 0) {
                    if (k > 0) {
                        flush(lanes, p, g, g0, sums);
                    }
                    for (double[] l : lanes) {
                        Arrays.fill(l, 0.0);
                    }
                }
                load(xs, base, wide, v.element(g0, k), g, vals, b);
                int at = (int) (k % LANES) * GROUP;
                for (int q = 0; q < pairs.length; q++) {
                    double[] u = vals[pairs[q][0]];
                    double[] w = vals[pairs[q][1]];
                    double[] l = lanes[q];
                    for (int c = 0; c < g; c++) {
                        l[at + c] += u[c] * w[c];
                    }
                }
            }
            if (v.length() > 0) {
                flush(lanes, p, g, g0, sums);
            }
        }
    }

    /** Folds each vector's 64 lanes of the finished block and adds the block's value to the vector's sum. */
    private static void flush(double[][] lanes, double[] p, int g, int g0, double[][] sums) {
        for (int q = 0; q < lanes.length; q++) {
            for (int c = 0; c < g; c++) {
                for (int l = 0; l < LANES; l++) {
                    p[l] = lanes[q][l * GROUP + c];
                }
                sums[g0 + c][q] += fold(p);
            }
        }
    }

    /** Widens {@code len} elements from {@code start} of every input, then subtracts the base as the kernel does. */
    private static void load(Operand[] xs, Operand base, boolean wide, long start, int len, double[][] vals, double[] b) {
        for (int i = 0; i < xs.length; i++) {
            Widen.toDoubles(xs[i].segment(), xs[i].type(), start, len, vals[i]);
        }
        if (base == null) {
            return;
        }
        Widen.toDoubles(base.segment(), base.type(), start, len, b);
        for (double[] x : vals) {
            for (int k = 0; k < len; k++) {
                // Non-F64 values are float32 values, so the casts are exact and only the subtraction rounds.
                x[k] = wide ? x[k] - b[k] : (double) ((float) x[k] - (float) b[k]);
            }
        }
    }

    private static void addProducts(double[] u, double[] w, int len, double[] lanes) {
        int i = 0;
        for (; i + LANES <= len; i += LANES) {
            for (int l = 0; l < LANES; l++) {
                lanes[l] += u[i + l] * w[i + l];
            }
        }
        for (int l = 0; i + l < len; l++) {
            lanes[l] += u[i + l] * w[i + l];
        }
    }

    private static double fold(double[] p) {
        for (int s = LANES / 2; s >= 1; s >>= 1) {
            for (int l = 0; l < s; l++) {
                p[l] = p[l] + p[l + s];
            }
        }
        return p[0];
    }
}
