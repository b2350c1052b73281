package org.exmerge.kernel;

/**
 * The coefficients of SPEC §2's fused linear kernel, computed once per tensor:
 * {@code acc = 0; for i: acc = fma(w[i], hasBase ? x[i] − b : x[i], acc); if divide: acc /= divisor;
 * if hasBase: acc = fma(lambda, acc, b)}.
 *
 * <p>The float fields are what every backend applies in float32; the double fields are the same
 * coefficients before rounding, used only when an operand is F64 (SPEC §1: F64 computes in float64).
 */
public record LinearOp(double[] weights, boolean hasBase, boolean divide, double divisor, double lambda) {

    public LinearOp {
        weights = weights.clone();
        if (divide && divisor == 0) {
            throw new IllegalArgumentException("divisor must not be zero");
        }
    }

    /** Weights rounded once to float32. */
    public float[] weightsF32() {
        float[] w = new float[weights.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) weights[i];
        }
        return w;
    }

    public float divisorF32() {
        return (float) divisor;
    }

    public float lambdaF32() {
        return (float) lambda;
    }

    public int inputs() {
        return weights.length;
    }
}
