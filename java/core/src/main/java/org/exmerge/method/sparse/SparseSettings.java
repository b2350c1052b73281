package org.exmerge.method.sparse;

import java.util.Arrays;

/**
 * One tensor's parameters of a sparsify-and-elect method, read and checked from the config before
 * any data is read. Arrays hold one entry per model (base excluded); unused ones hold defaults.
 *
 * @param election a {@link org.exmerge.kernel.SparseOp} {@code ELECT_*} mode
 * @param rescaleNorm 0, or a {@link org.exmerge.kernel.SparseOp} {@code NORM_*} kind to match
 * @param modelScope whether the magnitude trim's threshold is taken over the whole model
 */
record SparseSettings(String method, Sparsifier sparsifier, double[] weights, double[] density, double[] gamma,
                      double[] epsilon, int election, boolean normalize, double lambda, boolean rescale,
                      int rescaleNorm, boolean modelScope) {

    /** How each task vector is thinned before weighting (numerics §3). */
    enum Sparsifier {
        /** TIES: keep {@code |τ| ≥ t}, t the k-th largest. */
        MAGNITUDE,
        /** DARE: keep with probability density (Philox). */
        RANDOM,
        /** breadcrumbs: keep {@code t_lo ≤ |τ| < t_hi}. */
        OUTLIERS,
        /** DELLA: keep with a probability rising with the magnitude's rank in its row. */
        RANKED
    }

    int models() {
        return weights.length;
    }

    String describe() {
        StringBuilder sb = new StringBuilder(method).append(" w=").append(Arrays.toString(f32(weights)));
        sb.append(" density=").append(Arrays.toString(f32(density)));
        if (sparsifier == Sparsifier.OUTLIERS) {
            sb.append(" gamma=").append(Arrays.toString(f32(gamma)));
        }
        if (sparsifier == Sparsifier.RANKED) {
            sb.append(" epsilon=").append(Arrays.toString(f32(epsilon)));
        }
        sb.append(switch (election) {
            case 1 -> " elect=sum";
            case 2 -> " elect=count";
            default -> "";
        });
        if (normalize) {
            sb.append(" normalize");
        }
        if (rescaleNorm != 0) {
            sb.append(" rescale=").append(new String[] {"", "l1", "l2", "linf"}[rescaleNorm]);
        } else if (rescale) {
            sb.append(" rescale");
        }
        if (modelScope) {
            sb.append(" scope=model");
        }
        return sb.append(" λ=").append((float) lambda).toString();
    }

    static float[] f32(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }
}
