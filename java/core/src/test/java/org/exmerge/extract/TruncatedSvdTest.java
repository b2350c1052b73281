package org.exmerge.extract;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.ArrayList;
import java.util.List;
import org.exmerge.method.Parallel;
import org.exmerge.numeric.Philox4x32;
import org.junit.jupiter.api.Test;

/** The truncated SVD against matrices of known singular values, on both of its paths, and its bits across thread counts. */
class TruncatedSvdTest {
    /** A random orthonormal len × k basis (columns), from Philox so the test matrix is the same every run. */
    private static double[] orthogonal(int len, int k, int stream) {
        double[] a = new double[len * k];
        for (int i = 0; i < a.length; i++) {
            a[i] = 2.0 * Philox4x32.uniform(7, i, stream, 1) - 1.0;
        }
        return TruncatedSvd.orthonormal(a, len, k);
    }

    /** U·diag(s)·Vᵀ as float32, m × n. */
    private static float[] matrix(int m, int n, double[] s) {
        int k = s.length;
        double[] u = orthogonal(m, k, 1);
        double[] v = orthogonal(n, k, 2);
        float[] d = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int c = 0; c < k; c++) {
                    sum += u[i * k + c] * s[c] * v[j * k + c];
                }
                d[i * n + j] = (float) sum;
            }
        }
        return d;
    }

    private static void checkFactors(TruncatedSvd.Result r, int m, int n, double[] expected, double tol) {
        int k = r.rank();
        for (int c = 0; c < k; c++) {
            assertThat(r.s()[c]).as("s[%d]", c).isCloseTo(expected[c], org.assertj.core.data.Offset.offset(tol * expected[0]));
        }
        // U and V have orthonormal columns to float32 precision at least.
        for (int a = 0; a < k; a++) {
            for (int b = a; b < k; b++) {
                double uu = 0;
                double vv = 0;
                for (int i = 0; i < m; i++) {
                    uu += r.u()[i * k + a] * r.u()[i * k + b];
                }
                for (int j = 0; j < n; j++) {
                    vv += r.v()[j * k + a] * r.v()[j * k + b];
                }
                double want = a == b ? 1 : 0;
                assertThat(Math.abs(uu - want)).as("UᵀU[%d][%d]", a, b).isLessThan(1e-6);
                assertThat(Math.abs(vv - want)).as("VᵀV[%d][%d]", a, b).isLessThan(1e-6);
            }
        }
    }

    /** ‖D − U·S·Vᵀ‖ / ‖D‖ */
    private static double residual(float[] d, int m, int n, TruncatedSvd.Result r) {
        int k = r.rank();
        double err = 0;
        double all = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int c = 0; c < k; c++) {
                    sum += r.u()[i * k + c] * r.s()[c] * r.v()[j * k + c];
                }
                err += (d[i * n + j] - sum) * (d[i * n + j] - sum);
                all += (double) d[i * n + j] * d[i * n + j];
            }
        }
        return Math.sqrt(err / all);
    }

    @Test
    void anExactLowRankMatrixIsRecoveredOnTheSubspacePath() {
        int m = 300;
        int n = 200;
        double[] s = {9, 5, 5, 5, 2, 1, 0.5, 1e-3}; // repeated and tiny ones
        float[] d = matrix(m, n, s);
        TruncatedSvd.Result r = TruncatedSvd.of(d, m, n, 8, 0, 0, 1, Parallel.SERIAL);
        assertThat(r.rounds()).as("the subspace path").isPositive();
        checkFactors(r, m, n, s, 1e-6);
        assertThat(residual(d, m, n, r)).isLessThan(1e-6); // float32's own rounding of D is the floor
        assertThat(r.captured()).isCloseTo(1, org.assertj.core.data.Offset.offset(1e-6));
    }

    @Test
    void theTopOfADecayingSpectrumIsFoundToFloatPrecision() {
        int m = 240;
        int n = 320;
        double[] s = new double[120];
        for (int c = 0; c < s.length; c++) {
            s[c] = Math.pow(0.9, c);
        }
        float[] d = matrix(m, n, s);
        TruncatedSvd.Result r = TruncatedSvd.of(d, m, n, 16, 0, 0, 2, Parallel.SERIAL);
        assertThat(r.rounds()).isPositive().isLessThan(TruncatedSvd.MAX_ROUNDS);
        checkFactors(r, m, n, s, 1e-6);
        double kept = 0;
        double total = 0;
        for (int c = 0; c < s.length; c++) {
            total += s[c] * s[c];
            kept += c < 16 ? s[c] * s[c] : 0;
        }
        assertThat(r.captured()).isCloseTo(kept / total, org.assertj.core.data.Offset.offset(1e-5));
    }

    @Test
    void theDensePathIsExactForSmallMatricesAndHighRanks() {
        int m = 40;
        int n = 60; // wider than tall: Jacobi on Dᵀ
        double[] s = {3, 3, 1, 1e-4, 1e-6};
        float[] d = matrix(m, n, s);
        TruncatedSvd.Result r = TruncatedSvd.of(d, m, n, 5, 0, 0, 3, Parallel.SERIAL);
        assertThat(r.rounds()).as("the dense path").isZero();
        checkFactors(r, m, n, s, 1e-6);
        assertThat(residual(d, m, n, r)).isLessThan(1e-6);
        // --sv-epsilon drops what is at or below it, as mergekit does.
        assertThat(TruncatedSvd.of(d, m, n, 5, 1e-3, 0, 3, Parallel.SERIAL).rank()).isEqualTo(3);
        assertThat(TruncatedSvd.of(new float[m * n], m, n, 5, 1e-9, 0, 3, Parallel.SERIAL).rank()).isZero();
    }

    /** Noise has no gap: the iteration stops at its cap, yet what it keeps is within a hair of the exact SVD's. */
    @Test
    void onNoiseTheCappedIterationKeepsNearlyTheOptimalEnergy() {
        int m = 200;
        int n = 160;
        float[] d = new float[m * n];
        for (int i = 0; i < d.length; i++) {
            d[i] = Philox4x32.uniform(3, i, 9, 9) - 0.5f;
        }
        TruncatedSvd.Result sub = TruncatedSvd.of(d, m, n, 20, 0, 0, 4, Parallel.SERIAL);
        TruncatedSvd.Result exact = TruncatedSvd.of(d, m, n, 80, 0, 0, 4, Parallel.SERIAL); // 2r ≥ 160: dense
        assertThat(exact.rounds()).isZero();
        double best = 0;
        for (int c = 0; c < 20; c++) {
            best += exact.s()[c] * exact.s()[c];
        }
        assertThat(sub.kept() / best).isGreaterThan(0.995).isLessThanOrEqualTo(1 + 1e-9);
        assertThat(sub.s()[0]).isCloseTo(exact.s()[0], org.assertj.core.data.Offset.offset(1e-4 * exact.s()[0]));
    }

    @Test
    void theBitsDoNotDependOnTheThreadCount() throws Exception {
        int m = 260;
        int n = 180;
        double[] s = new double[60];
        for (int c = 0; c < s.length; c++) {
            s[c] = 1.0 / (1 + c);
        }
        float[] d = matrix(m, n, s);
        TruncatedSvd.Result serial = TruncatedSvd.of(d, m, n, 12, 0, 0, 5, Parallel.SERIAL);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            Parallel threads = new Parallel() {
                @Override
                public void run(int pieces, java.util.function.IntConsumer piece) {
                    List<Future<?>> all = new ArrayList<>();
                    for (int i = pieces - 1; i >= 0; i--) { // in reverse, on three threads
                        int p = i;
                        all.add(pool.submit(() -> piece.accept(p)));
                    }
                    for (Future<?> f : all) {
                        try {
                            f.get();
                        } catch (Exception e) {
                            throw new AssertionError(e);
                        }
                    }
                }

                @Override
                public int width() {
                    return 3;
                }
            };
            TruncatedSvd.Result parallel = TruncatedSvd.of(d, m, n, 12, 0, 0, 5, threads);
            assertThat(parallel.u()).isEqualTo(serial.u());
            assertThat(parallel.v()).isEqualTo(serial.v());
            assertThat(parallel.s()).isEqualTo(serial.s());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void eachPairHasItsCanonicalSign() {
        float[] d = matrix(120, 90, new double[] {4, 2, 1});
        float[] negated = d.clone();
        for (int i = 0; i < negated.length; i++) {
            negated[i] = -negated[i];
        }
        TruncatedSvd.Result a = TruncatedSvd.of(d, 120, 90, 3, 0, 0, 6, Parallel.SERIAL);
        TruncatedSvd.Result b = TruncatedSvd.of(negated, 120, 90, 3, 0, 0, 6, Parallel.SERIAL);
        for (int c = 0; c < 3; c++) {
            int at = 0;
            for (int i = 0; i < 120; i++) {
                if (Math.abs(a.u()[i * 3 + c]) > Math.abs(a.u()[at * 3 + c])) {
                    at = i;
                }
            }
            assertThat(a.u()[at * 3 + c]).as("largest entry of u_%d", c).isPositive();
            // -D = U·S·(-V)ᵀ: the same U, V negated.
            assertThat(b.u()[at * 3 + c]).isCloseTo(a.u()[at * 3 + c], org.assertj.core.data.Offset.offset(1e-6));
            assertThat(b.v()[c]).isCloseTo(-a.v()[c], org.assertj.core.data.Offset.offset(1e-6));
        }
    }
}
