package org.exmerge.kernel;

/**
 * The per-tensor coefficients of mergekit's {@code sce} (numerics §3, methods.md "sce") for the
 * {@link Kernels#sceMerge} and {@link Kernels#sceSquares} ops. Per element {@code e}, over the
 * {@code m} models in config order, with {@code τ_i = x_i[e] − b[e]} in float32:
 * <pre>
 *   var    = {@link #variance}(τ_0 … τ_{m−1})            (float64, rounded once to float32)
 *   keep   = keepFrom == 0 or key(var) ≥ keepFrom        (key = MagnitudeSelect.key)
 *   τ̂_i    = keep ? τ_i : +0
 *   s = +0; s = s + τ̂_i in order;   up = s ≥ 0           (the unweighted sum elects; NaN: down)
 *   agree_i = up ? τ̂_i &gt; 0 : τ̂_i &lt; 0                 (a zero or NaN never agrees)
 *   m = +0; d = +0; for agreeing i in order: m = m + weights[i] · τ̂_i; d = d + weights[i]
 *   out[e] = narrow(b[e] + m / (d &lt; 1e-6f ? 1e-6f : d))
 * </pre>
 * {@code keepFrom = 0} keeps every element (no variance is needed); {@link #KEEP_NONE} keeps none.
 *
 * @param weights the normalised per-model weights, float32
 * @param keepFrom the variance-key threshold, in [0, 2^31]
 */
public record SceOp(float[] weights, long keepFrom) {
    /** {@code keepFrom} that no key reaches: every task vector is zeroed. */
    public static final long KEEP_NONE = 1L << 31;
    /** The divisor's floor (mergekit's {@code clamp(min=1e-6)}). */
    public static final float MIN_DIVISOR = 1e-6f;

    public SceOp {
        weights = weights.clone();
        if (keepFrom < 0 || keepFrom > KEEP_NONE) {
            throw new IllegalArgumentException("keepFrom " + keepFrom + " is outside [0, 2^31]");
        }
    }

    public int models() {
        return weights.length;
    }

    /**
     * The population variance of the task vectors of one element: {@code S = Σ τ_i} in float64 from
     * +0 in order, {@code μ = S / m}, {@code V = Σ (τ_i − μ)²} (each difference and square rounded
     * to float64, no fma, from +0 in order), {@code var = (float) (V / m)}. Equal task vectors give
     * exactly 0 (m · τ and its quotient by m are exact in float64).
     *
     * @param tau the {@code m} task-vector values
     */
    public static float variance(float[] tau, int m) {
        double s = 0.0;
        for (int i = 0; i < m; i++) {
            s = s + tau[i];
        }
        double mu = s / m;
        double v = 0.0;
        for (int i = 0; i < m; i++) {
            double d = tau[i] - mu;
            v = v + d * d;
        }
        return (float) (v / m);
    }
}
