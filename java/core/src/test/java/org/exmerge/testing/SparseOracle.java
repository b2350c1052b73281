package org.exmerge.testing;

import java.util.Arrays;
import java.util.Comparator;
import org.exmerge.numeric.Philox4x32;

/**
 * numerics §3 written the plain way, element by element, for tests: thresholds by sorting the
 * magnitudes, DELLA ranks by sorting indices, norms by a direct transcription of §4's lanes. Shares
 * no code with the kernels (only the §5 generator, which has its own tests), so agreement between
 * the two is evidence, not tautology.
 */
public final class SparseOracle {
    public enum Kind { MAGNITUDE, RANDOM, OUTLIERS, RANKED }

    /**
     * @param election 0 none, 1 sum, 2 count
     * @param rescaleNorm 0 none, 1 l1, 2 l2, 3 linf
     * @param modelThreshold null: thresholds per tensor; else per model the magnitude t of a
     *     model-wide trim (keep |τ| ≥ t; NaN keeps nothing)
     */
    public record Config(Kind kind, double[] w, double[] density, double[] gamma, double[] epsilon, int election,
                         boolean normalize, double lambda, boolean rescale, int rescaleNorm, float[] modelThreshold) {

        public static Config of(Kind kind, double[] w, double[] density) {
            int m = w.length;
            double[] g = new double[m];
            double[] e = new double[m];
            Arrays.fill(g, 0.01);
            Arrays.fill(e, 0.15);
            return new Config(kind, w, density, g, e, 0, false, 1.0, false, 0, null);
        }

        public Config elect(int e) {
            return new Config(kind, w, density, gamma, epsilon, e, normalize, lambda, rescale, rescaleNorm, modelThreshold);
        }

        public Config normalize(boolean nz) {
            return new Config(kind, w, density, gamma, epsilon, election, nz, lambda, rescale, rescaleNorm, modelThreshold);
        }

        public Config lambda(double l) {
            return new Config(kind, w, density, gamma, epsilon, election, normalize, l, rescale, rescaleNorm, modelThreshold);
        }

        public Config rescale(boolean r, int norm) {
            return new Config(kind, w, density, gamma, epsilon, election, normalize, lambda, r, norm, modelThreshold);
        }

        public Config gamma(double... g) {
            return new Config(kind, w, density, g, epsilon, election, normalize, lambda, rescale, rescaleNorm, modelThreshold);
        }

        public Config epsilon(double... e) {
            return new Config(kind, w, density, gamma, e, election, normalize, lambda, rescale, rescaleNorm, modelThreshold);
        }

        public Config modelThreshold(float... t) {
            return new Config(kind, w, density, gamma, epsilon, election, normalize, lambda, rescale, rescaleNorm, t);
        }
    }

    private SparseOracle() {}

    /** The merged values (float32, before narrowing to the output type). */
    public static float[] merge(Config c, float[] b, float[][] x, int rowLength, long seed, int tensorId) {
        int n = b.length;
        int m = x.length;
        float[][] tau = new float[m][n];
        boolean[][] keep = new boolean[m][n];
        float[][] p = new float[m][n];
        float[] q = new float[m];
        for (int i = 0; i < m; i++) {
            for (int e = 0; e < n; e++) {
                tau[i][e] = x[i][e] - b[e];
            }
            mask(c, i, tau[i], rowLength, seed, tensorId, keep[i], p[i]);
            q[i] = divisor(c, i, tau[i], keep[i]);
        }
        boolean byProb = c.rescaleNorm() == 0 && c.rescale() && c.kind() == Kind.RANKED;
        float[] out = new float[n];
        for (int e = 0; e < n; e++) {
            float[] v = new float[m];
            for (int i = 0; i < m; i++) {
                float hat = keep[i][e] ? tau[i][e] / (byProb ? p[i][e] : q[i]) : 0f;
                v[i] = (float) c.w()[i] * hat;
            }
            out[e] = Math.fma((float) c.lambda(), combine(c, v), b[e]);
        }
        return out;
    }

    static float combine(Config c, float[] v) {
        int m = v.length;
        float mix = 0f;
        if (c.election() == 0) {
            for (float vi : v) {
                mix += vi;
            }
            if (c.normalize()) {
                double s = 0;
                for (double wi : c.w()) {
                    s += (float) wi;
                }
                mix /= Math.abs(s) >= 1e-8 ? (float) s : 1f;
            }
            return mix;
        }
        int sigma;
        if (c.election() == 1) {
            float s = 0f;
            for (float vi : v) {
                s += vi;
            }
            sigma = s >= 0 ? 1 : -1;
        } else {
            int cnt = 0;
            for (float vi : v) {
                cnt += (int) Math.signum(vi);
            }
            sigma = cnt >= 0 ? 1 : -1;
        }
        float d = 0f;
        for (int i = 0; i < m; i++) {
            if (v[i] != 0 && Math.signum(v[i]) == sigma) {
                mix += v[i];
                d += (float) c.w()[i];
            }
        }
        if (c.normalize()) {
            mix /= d == 0f ? 1f : d;
        }
        return mix;
    }

    static void mask(Config c, int i, float[] tau, int rowLength, long seed, int tensorId, boolean[] keep, float[] p) {
        int n = tau.length;
        double d = c.density()[i];
        float[] desc = new float[n];
        for (int e = 0; e < n; e++) {
            desc[e] = Math.abs(tau[e]);
        }
        Arrays.sort(desc);
        reverse(desc);
        switch (c.kind()) {
            case MAGNITUDE -> {
                float t;
                if (c.modelThreshold() != null) {
                    t = c.modelThreshold()[i];
                } else {
                    long k = (long) Math.floor(d * n);
                    t = d >= 1 ? 0f : k == 0 ? Float.NaN : desc[(int) k - 1];
                }
                for (int e = 0; e < n; e++) {
                    keep[e] = !Float.isNaN(t) && Math.abs(tau[e]) >= t;
                }
            }
            case OUTLIERS -> {
                long k = (long) Math.floor(d * n);
                long top = Math.min((long) Math.floor(c.gamma()[i] * n), n - k);
                for (int e = 0; e < n; e++) {
                    float a = Math.abs(tau[e]);
                    if (d >= 1) {
                        keep[e] = true;
                    } else if (top + k == 0) {
                        keep[e] = false;
                    } else {
                        keep[e] = a >= desc[(int) (top + k) - 1] && (top == 0 || a < desc[(int) top - 1]);
                    }
                }
            }
            case RANDOM -> {
                float pi = d >= 1 ? 1f : (float) Math.max(0, d);
                for (int e = 0; e < n; e++) {
                    p[e] = pi;
                    keep[e] = Philox4x32.uniform(seed, e, tensorId, i) < pi;
                }
            }
            case RANKED -> {
                double eps = c.epsilon()[i];
                for (int row = 0; row * rowLength < n; row++) {
                    int from = row * rowLength;
                    Integer[] idx = new Integer[rowLength];
                    for (int j = 0; j < rowLength; j++) {
                        idx[j] = j;
                    }
                    Arrays.sort(idx, Comparator.<Integer>comparingDouble(j -> Math.abs(tau[from + j])).thenComparingInt(j -> j));
                    for (int r = 1; r <= rowLength; r++) {
                        int e = from + idx[r - 1];
                        p[e] = d >= 1 ? 1f : rowLength == 1 ? (float) (d + eps)
                                : (float) ((d - eps) + 2 * eps * (r - 1) / (rowLength - 1));
                        keep[e] = Philox4x32.uniform(seed, e, tensorId, i) < p[e];
                    }
                }
            }
        }
    }

    static float divisor(Config c, int i, float[] tau, boolean[] keep) {
        if (c.rescaleNorm() != 0) {
            double before = norm(tau, null, c.rescaleNorm());
            double after = norm(tau, keep, c.rescaleNorm());
            return before < 1e-7 || after < 1e-7 ? 1f : (float) (after / before);
        }
        double d = c.density()[i];
        return c.rescale() && d > 0 && d < 1 ? (float) d : 1f;
    }

    /** numerics §4, transcribed: blocks of 65,536; lane = index in block mod 64; pairwise fold; blocks left to right. */
    public static double norm(float[] tau, boolean[] keep, int kind) {
        int n = tau.length;
        if (kind == 3) {
            double max = 0;
            for (int e = 0; e < n; e++) {
                if (keep == null || keep[e]) {
                    max = Math.max(max, Math.abs((double) tau[e]));
                }
            }
            return max;
        }
        double total = 0;
        for (int block = 0; block < n; block += 65536) {
            double[] lanes = new double[64];
            for (int e = block; e < Math.min(n, block + 65536); e++) {
                if (keep == null || keep[e]) {
                    double t = tau[e];
                    lanes[(e - block) % 64] += kind == 1 ? Math.abs(t) : t * t;
                }
            }
            for (int s = 32; s >= 1; s /= 2) {
                for (int l = 0; l < s; l++) {
                    lanes[l] += lanes[l + s];
                }
            }
            total += lanes[0];
        }
        return kind == 2 ? Math.sqrt(total) : total;
    }

    private static void reverse(float[] a) {
        for (int i = 0, j = a.length - 1; i < j; i++, j--) {
            float t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
