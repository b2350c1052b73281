package org.exmerge.method.geometric;

import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.VectorSpan;
import org.exmerge.method.Parallel;
import org.exmerge.method.TensorInputs;

/**
 * numerics §4's float64 reductions for the geometric methods: for every vector of a tensor (see
 * {@link Vectors}) and every requested pair {@code (i, j)} of inputs, {@code Σ v_i·v_j}, where
 * {@code v_i} is input {@code i}, or with a base its task vector {@code x_i − b} (formed as the linear
 * kernel forms it). Each vector is reduced as if it were a tensor of its own, in numerics §4's one
 * order, so a whole-tensor vector of plain inputs gives exactly
 * {@link org.exmerge.numeric.BlockReduction}'s value.
 *
 * <p>The arithmetic is the backend's {@link Kernels#pairSums}; this class only cuts the tensor into
 * spans of about {@value #CALL_ELEMENTS} elements, runs them on the run's threads, and adds each
 * vector's block values left to right from +0.0, so no result depends on threads or the cut.
 */
final class PairSums {
    /** Elements one kernel call reduces, about: enough that a call's fixed cost vanishes, few enough for many pieces. */
    static final long CALL_ELEMENTS = 1 << 20;
    // Vectors in one call, at most: bounds the call's output array.
    private static final int CALL_VECTORS = 16_384;

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
     * The sums with the tensor's backend and threads.
     *
     * @param base null for the inputs themselves, else the base their task vectors are taken from
     * @return {@code sums[p][q]} = Σ over vector p of {@code v[pairs[q][0]]·v[pairs[q][1]]}
     */
    static double[][] compute(TensorInputs in, Operand[] xs, Operand base, Vectors vectors, int[][] pairs) {
        return compute(in.kernels(), in.parallel(), xs, base, vectors, pairs);
    }

    /** {@link #compute(TensorInputs, Operand[], Operand, Vectors, int[][])} with the backend and threads given. */
    static double[][] compute(Kernels kernels, Parallel parallel, Operand[] xs, Operand base, Vectors vectors,
                              int[][] pairs) {
        int count = vectors.countInt();
        double[][] sums = new double[count][pairs.length];
        long length = vectors.length();
        if (length == 0 || pairs.length == 0) {
            return sums; // +0.0, the sum of no block values
        }
        long blockLen = Math.min(length, VectorSpan.BLOCK);
        long perVector = VectorSpan.blockCount(length);
        int g = (int) Math.max(1, Math.min(Math.min(count, CALL_VECTORS), CALL_ELEMENTS / blockLen));
        int nb = (int) Math.max(1, Math.min(perVector, CALL_ELEMENTS / (g * blockLen)));
        int groups = (count + g - 1) / g;
        long blockGroups = (perVector + nb - 1) / nb;
        int calls = Math.toIntExact(groups * blockGroups);
        double[][] parts = new double[calls][];
        int pieces = Parallel.pieces(calls, 1);
        int perPiece = (calls + pieces - 1) / pieces;
        parallel.run(pieces, piece -> {
            for (int c = piece * perPiece; c < Math.min(calls, (piece + 1) * perPiece); c++) {
                VectorSpan s = span(vectors, g, nb, c / blockGroups, c % blockGroups);
                parts[c] = new double[s.outputs(pairs.length)];
                kernels.pairSums(xs, base, pairs, s, parts[c]);
            }
        });
        // Calls of one vector group come in block order, so each vector's block values add left to right.
        for (int c = 0; c < calls; c++) {
            VectorSpan s = span(vectors, g, nb, c / blockGroups, c % blockGroups);
            int p0 = (int) (c / blockGroups) * g;
            for (int v = 0; v < s.vectors(); v++) {
                for (int b = 0; b < s.blocks(); b++) {
                    for (int q = 0; q < pairs.length; q++) {
                        sums[p0 + v][q] += parts[c][(v * s.blocks() + b) * pairs.length + q];
                    }
                }
            }
        }
        return sums;
    }

    /** Vectors {@code [group·g, …)} (at most g), blocks {@code [blockGroup·nb, …)} (at most nb) of each. */
    private static VectorSpan span(Vectors v, int g, int nb, long group, long blockGroup) {
        int p0 = (int) group * g;
        int vs = (int) Math.min(g, v.count() - p0);
        long b0 = blockGroup * nb;
        int bs = (int) Math.min(nb, VectorSpan.blockCount(v.length()) - b0);
        return v.strided() ? new VectorSpan(p0, v.count(), 1, vs, v.length(), b0, bs)
                : new VectorSpan(p0 * v.length(), 1, v.length(), vs, v.length(), b0, bs);
    }
}
