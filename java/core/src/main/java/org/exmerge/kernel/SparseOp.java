package org.exmerge.kernel;

/**
 * The per-tensor coefficients of numerics §3's fused sparsify-and-elect kernel, as flat arrays of one
 * entry per model (base excluded, config order) so that the C and CUDA mirrors take them as plain
 * pointers. All values are what every backend applies; nothing here is rounded again.
 *
 * <p>Per element {@code e} (absolute index in the tensor), with {@code τ_i = x_i[e] − b[e]} in float32:
 * <pre>
 *   keep_i = keepFrom[i] ≤ key(τ_i) &lt; keepBelow[i]                     (magnitude band; key = MagnitudeSelect.key)
 *            and (random == RANDOM_NONE
 *                 or u(seed, e, tensorId, i) &lt; p_i)                    (numerics §5 uniform)
 *     p_i    = keepProb[i]                                  (RANDOM_FIXED: DARE)
 *            = (float) rankProb(rank of |τ_i| in its row)   (RANDOM_RANKED: DELLA, see {@link #rankProb})
 *   τ̂_i    = keep_i ? τ_i / (divideByProb ? p_i : divisor[i]) : +0.0f
 *   v_i    = weights[i] · τ̂_i                               (plain multiply; ELECT_LONE: v_i = 1 · τ̂_i = τ̂_i)
 *   ELECT_NONE:  m = +0; m = m + v_i for i in order; if normalize: m = m / sumDivisor
 *   ELECT_SUM:   s = +0; s = s + v_i;          σ = s ≥ 0 ? +1 : −1
 *   ELECT_COUNT: c = 0;  c += sign(v_i) (+1, −1, or 0 for ±0 and NaN); σ = c ≥ 0 ? +1 : −1
 *     agree_i = σ &gt; 0 ? v_i &gt; 0 : v_i &lt; 0                  (a zero or NaN never agrees)
 *   ELECT_KEPT:  no sign elected; agree_i = v_i &gt; 0 or v_i &lt; 0    (mergekit's ram: every nonzero value counts)
 *   ELECT_LONE:  agree_i as ELECT_KEPT                                (mergekit's ramplus_tl)
 *   then, for SUM, COUNT, KEPT and LONE alike:
 *     m = +0; d = +0; for agreeing i in order: m = m + v_i; d = d + w_i
 *         (w_i = weights[i]; ELECT_LONE: w_i = 1, so d counts the agreeing values)
 *     if normalize: m = m / (d == 0 ? 1 : d)
 *   ELECT_LONE only: g = +0; for agreeing i in order: g = g + weights[i]
 *     if d == 1: m = g · m                     (a lone agreeing value times its model's weight)
 *   out[e] = narrow(fma(lambda, m, b[e]))
 * </pre>
 * {@code keepBelow = 2^31} means no upper bound (every key is below it); {@code keepFrom = 0} no lower.
 * Probabilities are non-negative (checked), so {@code u < p} may be compared on the float bits as
 * ints, and the Java spec decides drops and agreement with branch-free masks ({@link BitMasks}); the
 * values are exactly those of the formula.
 *
 * @param rowLength RANDOM_RANKED only: ranks are taken within rows of this many elements (the last
 *     dimension; the tensor's element count is a multiple of it)
 * @param rankLow RANDOM_RANKED: {@code density − ε} per model, in float64
 * @param rankSpan RANDOM_RANKED: {@code 2ε} per model, in float64
 * @param rankSingle RANDOM_RANKED: the probability when a row has one element ({@code density + ε})
 */
public record SparseOp(float[] weights,
                       long[] keepFrom, long[] keepBelow,
                       int random, float[] keepProb,
                       int rowLength, double[] rankLow, double[] rankSpan, float[] rankSingle,
                       float[] divisor, boolean divideByProb,
                       int election, boolean normalize, float sumDivisor, float lambda,
                       long seed, int tensorId) {

    public static final int RANDOM_NONE = 0;
    public static final int RANDOM_FIXED = 1;
    public static final int RANDOM_RANKED = 2;

    public static final int ELECT_NONE = 0;
    public static final int ELECT_SUM = 1;
    public static final int ELECT_COUNT = 2;
    public static final int ELECT_KEPT = 3;
    /**
     * {@link #ELECT_KEPT}'s agreement with the weights moved off the values: each value enters
     * unweighted, several agreeing values are summed (and averaged when normalized), and one agreeing
     * value alone is multiplied by its model's weight (mergekit's ramplus_tl: λ_i on the lone values).
     */
    public static final int ELECT_LONE = 4;

    /** {@code keepBelow} value meaning "no upper bound": above every magnitude key, NaN's included. */
    public static final long NO_UPPER = 1L << 31;

    public static final int NORM_L1 = 1;
    public static final int NORM_L2 = 2;
    public static final int NORM_LINF = 3;

    public SparseOp {
        int m = weights.length;
        weights = weights.clone();
        keepFrom = sized(keepFrom.clone(), m, "keepFrom");
        keepBelow = sized(keepBelow.clone(), m, "keepBelow");
        keepProb = sized(keepProb.clone(), m, "keepProb");
        rankLow = sized(rankLow.clone(), m, "rankLow");
        rankSpan = sized(rankSpan.clone(), m, "rankSpan");
        rankSingle = sized(rankSingle.clone(), m, "rankSingle");
        divisor = sized(divisor.clone(), m, "divisor");
        if (random < RANDOM_NONE || random > RANDOM_RANKED) {
            throw new IllegalArgumentException("random mode " + random);
        }
        if (election < ELECT_NONE || election > ELECT_LONE) {
            throw new IllegalArgumentException("election mode " + election);
        }
        if (random == RANDOM_RANKED && rowLength < 1) {
            throw new IllegalArgumentException("ranked keep probabilities need a row length ≥ 1, got " + rowLength);
        }
        // The kernels compare u < p on the float bits, which orders non-negative floats only; an
        // infinite rank bound would make p NaN (∞·0 at rank 1), whose sign bit would decide the keep.
        for (int i = 0; i < m; i++) {
            if (!nonNegative(keepProb[i]) || !nonNegative(rankSingle[i]) || !(rankLow[i] >= 0) || !(rankSpan[i] >= 0)
                    || Double.isInfinite(rankLow[i]) || Double.isInfinite(rankSpan[i])) {
                throw new IllegalArgumentException("keep probabilities of model " + i + " must be finite non-negative numbers");
            }
        }
        if (divideByProb && random == RANDOM_NONE) {
            throw new IllegalArgumentException("divideByProb needs a random keep probability");
        }
    }

    /** An op that keeps everything and divides by 1: plain weighted sums, ready for the with* methods. */
    public static SparseOp plain(float[] weights, int election, boolean normalize, float sumDivisor, float lambda,
                                 long seed, int tensorId) {
        int m = weights.length;
        long[] below = new long[m];
        java.util.Arrays.fill(below, NO_UPPER);
        float[] ones = new float[m];
        java.util.Arrays.fill(ones, 1f);
        return new SparseOp(weights, new long[m], below, RANDOM_NONE, new float[m], 0, new double[m], new double[m],
                new float[m], ones, false, election, normalize, sumDivisor, lambda, seed, tensorId);
    }

    public int models() {
        return weights.length;
    }

    /** The factor of model i's values {@code v_i = w · τ̂_i}: {@code weights[i]}, or 1 under {@link #ELECT_LONE}. */
    public float valueWeight(int i) {
        return election == ELECT_LONE ? 1f : weights[i];
    }

    public SparseOp withBand(long[] from, long[] below) {
        return new SparseOp(weights, from, below, random, keepProb, rowLength, rankLow, rankSpan, rankSingle,
                divisor, divideByProb, election, normalize, sumDivisor, lambda, seed, tensorId);
    }

    public SparseOp withFixedProb(float[] prob) {
        return new SparseOp(weights, keepFrom, keepBelow, RANDOM_FIXED, prob, rowLength, rankLow, rankSpan, rankSingle,
                divisor, divideByProb, election, normalize, sumDivisor, lambda, seed, tensorId);
    }

    public SparseOp withRankedProb(int rows, double[] low, double[] span, float[] single) {
        return new SparseOp(weights, keepFrom, keepBelow, RANDOM_RANKED, keepProb, rows, low, span, single,
                divisor, divideByProb, election, normalize, sumDivisor, lambda, seed, tensorId);
    }

    public SparseOp withDivisor(float[] d, boolean byProb) {
        return new SparseOp(weights, keepFrom, keepBelow, random, keepProb, rowLength, rankLow, rankSpan, rankSingle,
                d, byProb, election, normalize, sumDivisor, lambda, seed, tensorId);
    }

    /**
     * DELLA's keep probability for the 1-based {@code rank} in a row of {@code n}, exactly as every
     * backend computes it: {@code n = 1 → rankSingle}; otherwise in float64
     * {@code low + span·(rank − 1) / (n − 1)} evaluated left to right (multiply, divide, add), then
     * rounded once to float32.
     */
    public float rankProb(int model, long rank, long n) {
        if (n == 1) {
            return rankSingle[model];
        }
        return (float) (rankLow[model] + rankSpan[model] * (double) (rank - 1) / (double) (n - 1));
    }

    private static boolean nonNegative(float p) {
        return p >= 0 && Float.floatToRawIntBits(p) >= 0; // not NaN, not −0
    }

    private static <A> A sized(A array, int m, String what) {
        if (java.lang.reflect.Array.getLength(array) != m) {
            throw new IllegalArgumentException(what + " has " + java.lang.reflect.Array.getLength(array)
                    + " entries for " + m + " models");
        }
        return array;
    }
}
