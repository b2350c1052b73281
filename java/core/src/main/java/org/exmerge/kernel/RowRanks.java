package org.exmerge.kernel;

import java.util.Arrays;
import org.exmerge.numeric.MagnitudeSelect;

/**
 * DELLA's ranks (numerics §3): within each row of {@code n} elements, the magnitudes of τ = x − b ranked
 * ascending, ties broken by the element's index in the row, rank 1 the smallest. Magnitudes compare
 * by {@link MagnitudeSelect#key}, so ±0 tie and NaN ranks above infinity. Ranks are unique, so any
 * correct sort gives them; this one sorts {@code key << 32 | index} as longs.
 *
 * <p>A kernel call ranks every row its chunk touches, whole, even where the row runs past the chunk:
 * that keeps the result independent of chunking, at the cost of re-ranking a row cut by a chunk edge.
 * The last row ranked is cached, because consecutive elements share it.
 */
final class RowRanks {
    private final Operand x;
    private final Operand base;
    private final int n;
    private final int[] rank;
    private final long[] sortKeys;
    private final float[] xs;
    private final float[] bs;
    private long row = -1;
    private float[] byRank;

    RowRanks(Operand x, Operand base, int rowLength) {
        this.x = x;
        this.base = base;
        this.n = rowLength;
        this.rank = new int[rowLength];
        this.sortKeys = new long[rowLength];
        this.xs = new float[rowLength];
        this.bs = new float[rowLength];
    }

    int rowLength() {
        return n;
    }

    /** {@link SparseOp#rankProb} for ranks 1..n of model {@code model}, at index rank − 1 (made once per call). */
    float[] probabilities(SparseOp op, int model) {
        if (byRank == null) {
            byRank = new float[n];
            for (int r = 1; r <= n; r++) {
                byRank[r - 1] = op.rankProb(model, r, n);
            }
        }
        return byRank;
    }

    /** The 1-based ranks of row {@code r}'s elements, by column (valid until the next call). */
    int[] ranksOfRow(long r) {
        if (r != row) {
            rankRow(r);
        }
        return rank;
    }

    private void rankRow(long r) {
        long from = r * n;
        Lanes.load(x, from, n, xs);
        Lanes.load(base, from, n, bs);
        for (int c = 0; c < n; c++) {
            sortKeys[c] = ((long) MagnitudeSelect.key(xs[c] - bs[c]) << 32) | c;
        }
        Arrays.sort(sortKeys);
        for (int pos = 0; pos < n; pos++) {
            rank[(int) sortKeys[pos]] = pos + 1;
        }
        row = r;
    }
}
