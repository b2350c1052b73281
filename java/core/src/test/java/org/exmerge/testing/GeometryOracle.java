package org.exmerge.testing;

/**
 * A deliberately plain re-statement of numerics §4 for tests, sharing no code with the library: sums in
 * the numerics §4 order over float64 terms, slerp's coefficients from docs/numerics.md, and the per-element
 * combination {@code fma(c₂, x₂, c₁·x₁)} in float32.
 */
public final class GeometryOracle {
    private GeometryOracle() {}

    /** numerics §4: blocks of 65,536; in a block lane l adds terms l, l+64, … from +0.0; lanes fold 32, 16, …, 1; blocks added left to right. */
    public static double specSum(double[] terms) {
        double total = 0.0;
        for (int b = 0; b < terms.length; b += 65_536) {
            double[] p = new double[64];
            int end = Math.min(b + 65_536, terms.length);
            for (int i = b; i < end; i++) {
                p[(i - b) % 64] += terms[i];
            }
            for (int s = 32; s >= 1; s /= 2) {
                for (int l = 0; l < s; l++) {
                    p[l] = p[l] + p[l + s];
                }
            }
            total += p[0];
        }
        return total;
    }

    /** {@code Σ a_i·b_i} in the numerics §4 order, each product formed in float64. */
    public static double dot(float[] a, float[] b) {
        double[] terms = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            terms[i] = (double) a[i] * (double) b[i];
        }
        return specSum(terms);
    }

    /** The task vector {@code x − b} in float32, as numerics §1 forms it. */
    public static float[] minus(float[] x, float[] b) {
        float[] d = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i] - b[i];
        }
        return d;
    }

    /** Slerp's coefficients {@code (c₁, c₂)} exactly as numerics §4 words them. */
    public static double[] slerpCoefficients(double t, float[] x1, float[] x2) {
        double n1 = StrictMath.sqrt(dot(x1, x1));
        double n2 = StrictMath.sqrt(dot(x2, x2));
        double dot = dot(x1, x2) / ((n1 > 1e-8 ? n1 : 1) * (n2 > 1e-8 ? n2 : 1));
        if (Math.abs(dot) > 0.9995) {
            return new double[] {1 - t, t};
        }
        double theta = StrictMath.acos(dot);
        return new double[] {StrictMath.sin((1 - t) * theta) / StrictMath.sin(theta), StrictMath.sin(t * theta) / StrictMath.sin(theta)};
    }

    /** numerics §4's per-element output: {@code fma(c₂, x₂, c₁·x₁)} with both coefficients rounded once to float32. */
    public static float combine(double c1, double c2, float x1, float x2) {
        return Math.fma((float) c2, x2, (float) c1 * x1);
    }

    /** Reads a slice of an array. */
    public static float[] slice(float[] v, int from, int len) {
        return java.util.Arrays.copyOfRange(v, from, from + len);
    }
}
