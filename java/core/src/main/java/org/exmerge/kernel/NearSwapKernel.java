package org.exmerge.kernel;

/**
 * The spec of {@link Kernels#nearswap} (numerics §10). Every operation is its own rounding step,
 * in the order mergekit's torch code runs them on a float32 tensor (torch's {@code t / x} is
 * {@code x.reciprocal() * t}), so a float32 merge gives mergekit's float32 bytes. The comparisons
 * are written so that a NaN falls through them unchanged, as x86 {@code maxps(floor, a)} and torch's
 * {@code clamp} do; the native kernels use exactly those instructions.
 */
final class NearSwapKernel {
    /** mergekit's floor under {@code |v0 − v1|}, rounded to float32. */
    static final float FLOOR = 1e-6f;
    static final double FLOOR64 = 1e-6;

    private NearSwapKernel() {}

    static void apply(double t, Operand base, Operand x, Operand out, long n) {
        if (Lanes.anyF64(new Operand[] {x}, base, out)) {
            apply64(t, base, x, out, n);
            return;
        }
        float tf = (float) t;
        float[] v0 = new float[JavaKernels.BLOCK];
        float[] v1 = new float[JavaKernels.BLOCK];
        for (long from = 0; from < n; from += JavaKernels.BLOCK) {
            int len = (int) Math.min(JavaKernels.BLOCK, n - from);
            Lanes.load(base, from, len, v0);
            Lanes.load(x, from, len, v1);
            for (int j = 0; j < len; j++) {
                v0[j] = of(tf, v0[j], v1[j]);
            }
            Lanes.store(v0, len, out, from);
        }
    }

    private static void apply64(double t, Operand base, Operand x, Operand out, long n) {
        double[] v0 = new double[JavaKernels.BLOCK];
        double[] v1 = new double[JavaKernels.BLOCK];
        for (long from = 0; from < n; from += JavaKernels.BLOCK) {
            int len = (int) Math.min(JavaKernels.BLOCK, n - from);
            Lanes.load(base, from, len, v0);
            Lanes.load(x, from, len, v1);
            for (int j = 0; j < len; j++) {
                v0[j] = of(t, v0[j], v1[j]);
            }
            Lanes.store(v0, len, out, from);
        }
    }

    /** One element in float32: numerics §10 step by step. */
    static float of(float t, float v0, float v1) {
        float a = Math.abs(v0 - v1);
        float m = FLOOR > a ? FLOOR : a;
        float q = (1.0f / m) * t;
        float lo = 0.0f > q ? 0.0f : q;
        float w = 1.0f < lo ? 1.0f : lo;
        return w * v1 + (1.0f - w) * v0;
    }

    /** The same steps in float64, for F64 operands (numerics §1). */
    static double of(double t, double v0, double v1) {
        double a = Math.abs(v0 - v1);
        double m = FLOOR64 > a ? FLOOR64 : a;
        double q = (1.0 / m) * t;
        double lo = 0.0 > q ? 0.0 : q;
        double w = 1.0 < lo ? 1.0 : lo;
        return w * v1 + (1.0 - w) * v0;
    }
}
