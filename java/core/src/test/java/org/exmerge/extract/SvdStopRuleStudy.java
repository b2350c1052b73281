package org.exmerge.extract;

import org.exmerge.method.Parallel;
import org.exmerge.numeric.Philox4x32;

/**
 * The measurement behind extract-lora's stop rule (docs/numerics.md §13): on 512 × 1536 matrices
 * small enough for the exact Jacobi SVD, subspace iteration and block Krylov are run pass by pass
 * and each prints the passes over D it took and ‖D − D_r‖_F against the optimum. Not a test: run by
 * hand, {@code java -cp java/core/target/classes:java/core/target/test-classes org.exmerge.extract.SvdStopRuleStudy}.
 */
public final class SvdStopRuleStudy {
    private static final int M = 512;
    private static final int N = 1536;

    private SvdStopRuleStudy() {}

    public static void main(String[] args) {
        int r = args.length > 0 ? Integer.parseInt(args[0]) : 16;
        study("noise", noise(), r);
        study("i^-0.5", spectrum(i -> Math.pow(i + 1, -0.5)), r);
        study("i^-1", spectrum(i -> 1.0 / (i + 1)), r);
        study("rank 16 + noise", spectrum(i -> i < 16 ? 10.0 - 0.5 * i : 0.05), r);
    }

    private static float[] noise() {
        float[] d = new float[M * N];
        for (int i = 0; i < d.length; i++) {
            d[i] = Philox4x32.uniform(11, i, 1, 1) - 0.5f;
        }
        return d;
    }

    private static float[] spectrum(java.util.function.IntToDoubleFunction s) {
        int k = M;
        double[] u = basis(M, k, 1);
        double[] v = basis(N, k, 2);
        float[] d = new float[M * N];
        double[] sv = new double[k];
        for (int c = 0; c < k; c++) {
            sv[c] = s.applyAsDouble(c);
        }
        for (int i = 0; i < M; i++) {
            for (int j = 0; j < N; j++) {
                double sum = 0;
                for (int c = 0; c < k; c++) {
                    sum += u[i * k + c] * sv[c] * v[j * k + c];
                }
                d[i * N + j] = (float) sum;
            }
        }
        return d;
    }

    private static double[] basis(int len, int k, int stream) {
        double[] a = new double[len * k];
        for (int i = 0; i < a.length; i++) {
            a[i] = 2.0 * Philox4x32.uniform(5, i, stream, 2) - 1.0;
        }
        return TruncatedSvd.orthonormal(a, len, k);
    }

    private static void study(String name, float[] d, int r) {
        TruncatedSvd.Result exact = TruncatedSvd.of(d, M, N, M, 0, 0, 1, Parallel.SERIAL);
        double total = exact.total();
        double best = 0;
        for (int c = 0; c < r; c++) {
            best += exact.s()[c] * exact.s()[c];
        }
        double bestErr = Math.sqrt(Math.max(0, total - best));
        System.out.printf("%s, r = %d: optimal ‖D − D_r‖/‖D‖ = %.6f%n", name, r, bestErr / Math.sqrt(total));
        int k = r + Math.max(8, r / 2);
        for (int rounds = 1; rounds <= 12; rounds++) {
            TruncatedSvd.Iteration it = TruncatedSvd.subspaceRounds(d, M, N, r, k, rounds, 0, 1, Parallel.SERIAL);
            report("  subspace", rounds, 2 * rounds, it, total, best, bestErr, exact, r);
        }
        for (int q = 1; q <= 6; q++) {
            TruncatedSvd.Iteration it = TruncatedSvd.krylov(d, M, N, r, k, q, 0, 1, Parallel.SERIAL);
            report("  krylov", q, 3 * q + 2, it, total, best, bestErr, exact, r); // the Ritz step's DᵀQ is (q + 1)·k wide
        }
        TruncatedSvd.Result rule = TruncatedSvd.of(d, M, N, r, 0, 0, 1, Parallel.SERIAL);
        report("  stop rule", rule.rounds(), 2 * rule.rounds(), new TruncatedSvd.Iteration(rule.s()), total, best, bestErr, exact, r);
    }

    private static void report(String how, int steps, int passes, TruncatedSvd.Iteration it, double total, double best, double bestErr,
                               TruncatedSvd.Result exact, int r) {
        double kept = 0;
        double worstSv = 0;
        for (int c = 0; c < r; c++) {
            kept += it.s()[c] * it.s()[c];
            worstSv = Math.max(worstSv, Math.abs(it.s()[c] - exact.s()[c]) / exact.s()[0]);
        }
        double err = Math.sqrt(Math.max(0, total - kept));
        System.out.printf("%s %2d: %2d k-wide passes, ‖D − D_r‖ / optimal − 1 = %.2e, energy kept/optimal − 1 = %.2e, max |Δs|/s0 = %.1e%n",
                how, steps, passes, err / bestErr - 1, kept / best - 1, worstSv);
    }
}
