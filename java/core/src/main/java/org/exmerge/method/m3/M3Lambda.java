package org.exmerge.method.m3;

import org.exmerge.numeric.Fnv1a;
import org.exmerge.numeric.Philox4x32;

/**
 * M3's interpolation weight (seed 002, numerics §6): {@code λ ~ Beta(a, a)}, drawn from the run's seed
 * alone by the exact algorithm below, so any candidate can be rebuilt and a search can print λ
 * before merging. All arithmetic is float64 with {@link StrictMath}, evaluated in the order
 * written (no fma), so the value is the same on every JVM.
 *
 * <p><b>Uniforms.</b> {@code U(s, t)} for stream s and draw number t is a Philox4x32-10 block (numerics
 * §5's generator) with key = (seed low 32 bits, seed high 32 bits) and counter = (t low 32 bits,
 * t high 32 bits, {@link #STREAM_ID}, s); of its output words r0 and r1,
 * {@code m = (r0 >>> 6)·2^26 + (r1 >>> 6)} (52 bits) gives {@code U = (m + 0.5)·2^-52}, exactly,
 * strictly inside (0, 1).
 *
 * <p><b>Gamma.</b> {@code G(shape, s)} is Marsaglia and Tsang's method (ACM TOMS 26(3), 2000), no
 * squeeze: {@code d = shape − 1/3, c = 1/sqrt(9d)}; for t = 0, 1, 2, …: {@code z = sqrt(−2·log U(s,3t))
 * · cos(2π·U(s,3t+1))} (Box–Muller, 2π = {@code 2·Math.PI}), {@code v = 1 + c·z}; if {@code v ≤ 0}
 * go on to the next t; {@code v = v·v·v}; accept when {@code log U(s,3t+2) < 0.5·z·z + d − d·v + d·log v}
 * (left to right), returning {@code d·v}. For {@code a ≥ 1}, {@code log X_s = log G(a, s)}; for
 * {@code a < 1} (the boost), {@code log X_s = log G(a + 1, s) + log U(s + 2, 0) / a}.
 *
 * <p><b>Beta.</b> With streams 0 and 1 for X and Y: {@code λ = 1 / (1 + exp(log Y − log X))}, which is
 * {@code X / (X + Y)} computed in logs so small shapes cannot underflow to 0/0.
 */
public final class M3Lambda {
    /** Counter word 2 of every M3 draw, apart from any tensor's id by construction of its name. */
    public static final int STREAM_ID = Fnv1a.hash32("exmerge.m3.lambda");
    /** The paper's default shape (the authors' scripts use alpha 0.5). */
    public static final double DEFAULT_ALPHA = 0.5;
    static final double MIN_ALPHA = 0.01;
    static final double MAX_ALPHA = 1000;

    private M3Lambda() {}

    /** λ ~ Beta(alpha, alpha) for this seed; alpha in [0.01, 1000]. */
    public static double draw(long seed, double alpha) {
        if (!(alpha >= MIN_ALPHA && alpha <= MAX_ALPHA)) {
            throw new IllegalArgumentException("alpha must be in [" + MIN_ALPHA + ", " + MAX_ALPHA + "], got " + alpha);
        }
        double logX = logGamma(seed, alpha, 0);
        double logY = logGamma(seed, alpha, 1);
        return 1.0 / (1.0 + StrictMath.exp(logY - logX));
    }

    static double logGamma(long seed, double a, int stream) {
        if (a < 1) {
            return StrictMath.log(gamma(seed, a + 1, stream)) + StrictMath.log(uniform(seed, stream + 2, 0)) / a;
        }
        return StrictMath.log(gamma(seed, a, stream));
    }

    static double gamma(long seed, double shape, int stream) {
        double d = shape - 1.0 / 3.0;
        double c = 1.0 / StrictMath.sqrt(9.0 * d);
        for (long t = 0; ; t++) {
            double u1 = uniform(seed, stream, 3 * t);
            double u2 = uniform(seed, stream, 3 * t + 1);
            double z = StrictMath.sqrt(-2.0 * StrictMath.log(u1)) * StrictMath.cos(2.0 * Math.PI * u2);
            double v = 1.0 + c * z;
            if (v <= 0) {
                continue;
            }
            v = v * v * v;
            double u = uniform(seed, stream, 3 * t + 2);
            if (StrictMath.log(u) < 0.5 * z * z + d - d * v + d * StrictMath.log(v)) {
                return d * v;
            }
        }
    }

    /** {@code U(stream, t)} of the class comment: a float64 strictly inside (0, 1). */
    static double uniform(long seed, int stream, long t) {
        int[] r = new int[4];
        Philox4x32.block((int) seed, (int) (seed >>> 32), (int) t, (int) (t >>> 32), STREAM_ID, stream, r);
        long m = ((long) (r[0] >>> 6) << 26) | (r[1] >>> 6);
        return (m + 0.5) * 0x1p-52;
    }
}
