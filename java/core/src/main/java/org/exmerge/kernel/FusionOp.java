package org.exmerge.kernel;

/**
 * The per-tensor coefficients of mergekit's {@code arcee_fusion} (methods.md "arcee_fusion") for
 * {@link Kernels#fusionHistogram} and {@link Kernels#fusionMerge}. Per element {@code e} in row
 * {@code r = e / rowLength}, in float32:
 * <pre>
 *   τ   = x[e] − b[e]
 *   imp = |τ| · rowKl[r]                        (the importance; plain multiply)
 *   out[e] = narrow(b[e] + (imp ≥ threshold ? τ : +0))
 * </pre>
 * The row KL divergences and the threshold are computed once per tensor in Java (float64,
 * {@code StrictMath}) and rounded once to float32, so backends never evaluate exp or log.
 *
 * @param rowKl one KL divergence per row, ≥ 0 or NaN
 * @param rowLength elements per row (the last dimension; 1 for a scalar)
 * @param threshold the importance an element needs to take the model's value (NaN: none does)
 */
public record FusionOp(float[] rowKl, int rowLength, float threshold) {
    public FusionOp {
        if (rowLength < 1) {
            throw new IllegalArgumentException("row length " + rowLength + " must be ≥ 1");
        }
        rowKl = rowKl.clone();
    }

    /** The importance of an element with task-vector value {@code tau} in row {@code row}. */
    public float importance(float tau, long row) {
        return Math.abs(tau) * rowKl[(int) row];
    }
}
