package org.exmerge.kernel;

/**
 * The coefficients of numerics §2's fused linear kernel, computed once per tensor:
 * {@code acc = start; for i: acc = fma(w[i], hasBase ? x[i] − b : x[i], acc); if divide: acc /= divisor;
 * if hasBase: acc = fma(lambda, acc, b)}.
 *
 * <p>The float fields are what every backend applies in float32; the double fields are the same
 * coefficients before rounding, used only when an operand is F64 (numerics §1: F64 computes in float64).
 */
public record LinearOp(double[] weights, boolean hasBase, boolean divide, double divisor, double lambda,
                       boolean negativeZeroStart) {

    /** The linear family's op: the accumulator starts at +0 (numerics §2). */
    public LinearOp(double[] weights, boolean hasBase, boolean divide, double divisor, double lambda) {
        this(weights, hasBase, divide, divisor, lambda, false);
    }

    /**
     * Slerp's {@code fma(c_2, x_2, c_1·x_1)}: the accumulator starts at −0, so the first term is
     * exactly the product {@code c_1·x_1}, a −0 product included (numerics §4).
     */
    public static LinearOp products(double[] coefficients) {
        return new LinearOp(coefficients, false, false, 1.0, 1.0, true);
    }

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
