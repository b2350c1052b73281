package org.exmerge.method.fusion;

import java.util.Arrays;
import java.util.function.IntToDoubleFunction;
import org.exmerge.kernel.Operand;
import org.exmerge.method.Parallel;
import org.exmerge.numeric.BlockReduction;
import org.exmerge.numeric.Widen;

/**
 * arcee_fusion's per-row divergence {@code KL(softmax(x) + ε ‖ softmax(b) + ε)} over the last
 * dimension, in float64 with {@link StrictMath} so it is the same on every machine (numerics §4:
 * transcendental functions are evaluated once, in Java, never by a kernel). Sums run in numerics
 * §4's order within the row (64 lanes, pairwise fold, blocks of 65,536 added left to right).
 */
final class RowKl {
    /** mergekit's ε, added to both distributions so the logarithm never sees 0. */
    static final double EPS = 1e-8;
    /** Fewest elements per piece of the pass. */
    private static final long GRAIN = 1 << 16;

    private RowKl() {}

    /** One value per row of {@code rowLength} elements, rounded once to float32; rows are spread over the run's threads. */
    static float[] of(Operand x, Operand base, long n, int rowLength, Parallel parallel) {
        int rows = Math.toIntExact(n / rowLength);
        float[] kl = new float[rows];
        int pieces = Parallel.pieces(n, Math.max(GRAIN, rowLength));
        int perPiece = (rows + pieces - 1) / pieces;
        parallel.run(pieces, p -> {
            double[] xs = new double[rowLength];
            double[] bs = new double[rowLength];
            double[] ex = new double[rowLength];
            double[] eb = new double[rowLength];
            for (int r = p * perPiece; r < Math.min(rows, (p + 1) * perPiece); r++) {
                long at = (long) r * rowLength;
                Widen.toDoubles(x.segment(), x.type(), at, rowLength, xs);
                Widen.toDoubles(base.segment(), base.type(), at, rowLength, bs);
                kl[r] = (float) row(xs, bs, ex, eb, rowLength);
            }
        });
        return kl;
    }

    /**
     * The divergence of one row: {@code p_j = exp(x_j − max x) / Σ exp(x − max x) + ε}, {@code q_j}
     * likewise from {@code b}, {@code Σ p_j · log(p_j / q_j)}; a rounding-negative result is 0 (the
     * exact value is ≥ 0: both sides add up to {@code 1 + n·ε}), a NaN stays NaN.
     */
    static double row(double[] x, double[] b, double[] ex, double[] eb, int len) {
        double zx = softmaxTerms(x, ex, len);
        double zb = softmaxTerms(b, eb, len);
        double total = sum(len, j -> {
            double p = ex[j] / zx + EPS;
            double q = eb[j] / zb + EPS;
            return p * StrictMath.log(p / q);
        });
        return total < 0 ? 0.0 : total;
    }

    /** {@code e_j = exp(v_j − max v)} into {@code e}; returns {@code Σ e_j} in numerics §4's order. */
    private static double softmaxTerms(double[] v, double[] e, int len) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < len; j++) {
            max = Math.max(max, v[j]);
        }
        double top = max;
        return sum(len, j -> e[j] = StrictMath.exp(v[j] - top));
    }

    /** {@code Σ term(j)} for {@code j < len}, terms taken in order, in numerics §4's lanes and blocks. */
    private static double sum(int len, IntToDoubleFunction term) {
        double[] lanes = new double[BlockReduction.LANES];
        double total = 0.0;
        for (int from = 0; from < len; from += BlockReduction.BLOCK_SIZE) {
            Arrays.fill(lanes, 0.0);
            int end = Math.min(len, from + BlockReduction.BLOCK_SIZE);
            for (int j = from; j < end; j++) {
                lanes[(j - from) & (BlockReduction.LANES - 1)] += term.applyAsDouble(j);
            }
            total += BlockReduction.fold(lanes);
        }
        return total;
    }
}
