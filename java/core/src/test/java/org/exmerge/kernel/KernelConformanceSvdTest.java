package org.exmerge.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.exmerge.kernel.KernelConformanceTest.Target;
import org.exmerge.method.Parallel;
import org.exmerge.extract.SvdKernels;
import org.exmerge.extract.TruncatedSvd;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The conformance suite's truncated-SVD half ({@link Kernels#svdTimes}, {@link Kernels#svdTransposeTimes},
 * numerics §13): every backend, the native one on every ISA path, against a plain fma chain per element
 * (the definition, not the spec's blocked loops), bit for bit: k from 0 to 50 (every vector width's
 * tiles and tails), row counts across the 4-row tiles, term counts across the 128-term blocks, row ranges
 * anywhere, values whose sums round differently in any other order; rows outside the range untouched;
 * refused arguments; and a whole decomposition through the backend equal to the Java one.
 */
class KernelConformanceSvdTest {
    private static final int[] KS = {0, 1, 2, 3, 4, 5, 7, 8, 9, 11, 12, 13, 15, 16, 17, 23, 24, 25, 31, 32, 36, 47, 48, 50};
    /** Marks the rows a call must leave alone. */
    private static final double UNTOUCHED = -0x1.5a5a5a5a5a5ap-3;

    /** A value with a wide exponent range and now and then an exact small one, so sums cancel and round by order. */
    private static double value(SplittableRandom r) {
        int c = r.nextInt(10);
        if (c < 6) {
            return Math.scalb(r.nextGaussian(), r.nextInt(-40, 41));
        }
        if (c < 9) {
            return Math.scalb((double) (r.nextInt(17) - 8), r.nextInt(-3, 4));
        }
        return r.nextBoolean() ? 0.0 : -0.0;
    }

    private static float[] matrix(SplittableRandom r, int m, int n) {
        float[] d = new float[m * n];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) value(r);
        }
        return d;
    }

    private static double[] block(SplittableRandom r, int rows, int k) {
        double[] b = new double[rows * k];
        for (int i = 0; i < b.length; i++) {
            b[i] = value(r);
        }
        return b;
    }

    /** One call checked element by element against its fma chain; the rows outside [from, to) keep their mark. */
    private static void check(Target t, long seed, int m, int n, int k, boolean transpose) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] d = matrix(r, m, n);
        int outRows = transpose ? n : m;
        int terms = transpose ? m : n;
        double[] b = block(r, terms, k);
        int from = outRows == 0 ? 0 : r.nextInt(outRows + 1) / 2;
        int to = from + (outRows == from ? 0 : r.nextInt(outRows - from + 1));
        double[] out = new double[outRows * k];
        java.util.Arrays.fill(out, UNTOUCHED);
        if (transpose) {
            t.kernels().svdTransposeTimes(d, m, n, b, k, from, to, out);
        } else {
            t.kernels().svdTimes(d, m, n, b, k, from, to, out);
        }
        for (int row = 0; row < outRows; row++) {
            for (int c = 0; c < k; c++) {
                double want = UNTOUCHED;
                if (row >= from && row < to) {
                    want = 0.0;
                    for (int s = 0; s < terms; s++) {
                        double a = transpose ? d[s * n + row] : d[row * n + s];
                        want = Math.fma(a, b[s * k + c], want);
                    }
                }
                double got = out[row * k + c];
                if (Double.doubleToRawLongBits(got) != Double.doubleToRawLongBits(want)) {
                    throw new AssertionError(String.format("%s: %s seed %d, %d x %d, k %d, rows [%d, %d): element (%d, %d) is %s, want %s",
                            t, transpose ? "svdTransposeTimes" : "svdTimes", seed, m, n, k, from, to, row, c,
                            Double.toHexString(got), Double.toHexString(want)));
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("org.exmerge.kernel.KernelConformanceTest#targets")
    void everyBlockWidthRowCountAndTermCountMatchesTheFmaChain(Target t) {
        t.run(() -> {
            long seed = 90_000;
            int[] sizes = {0, 1, 2, 3, 4, 5, 7, 9, 130, 257};
            for (int k : KS) {
                for (int shape = 0; shape < 6; shape++) {
                    seed++;
                    int m = sizes[(int) (seed % sizes.length)];
                    int n = sizes[(int) ((seed / 3 + shape) % sizes.length)];
                    check(t, seed, m, n, k, false);
                    check(t, seed, m, n, k, true);
                }
            }
            assertThat(KernelConformanceTest.OPS).as("%s: fallbacks are ops of Kernels", t).containsAll(t.kernels().fallbacks().keySet());
        });
    }

    @ParameterizedTest
    @MethodSource("org.exmerge.kernel.KernelConformanceTest#targets")
    void badArgumentsAreRefusedAsTheSpecRefusesThem(Target t) {
        t.run(() -> {
            Kernels k = t.kernels();
            float[] d = new float[6];
            assertThatThrownBy(() -> k.svdTimes(d, 2, 3, new double[6], 2, 1, 3, new double[4])).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> k.svdTimes(d, 2, 3, new double[6], 2, 2, 1, new double[4])).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> k.svdTimes(d, 2, 3, new double[5], 2, 0, 2, new double[4])).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> k.svdTransposeTimes(d, 2, 3, new double[4], 2, 0, 3, new double[5]))
                    .isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> k.svdTransposeTimes(new float[5], 2, 3, new double[4], 2, 0, 3, new double[6]))
                    .isInstanceOf(IndexOutOfBoundsException.class);
        });
    }

    /** A decomposition whose products run on the backend: the same bits as on the spec, pieces and all. */
    @ParameterizedTest
    @MethodSource("org.exmerge.kernel.KernelConformanceTest#targets")
    void aTruncatedSvdThroughTheBackendHasTheSpecsBits(Target t) {
        t.run(() -> {
            SplittableRandom r = new SplittableRandom(5);
            int m = 300;
            int n = 170;
            float[] d = new float[m * n];
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) (r.nextGaussian() / (1 + i % 37));
            }
            TruncatedSvd.Products on = SvdKernels.on(t.kernels());
            TruncatedSvd.Result spec = TruncatedSvd.of(d, m, n, 13, 0, 0, 9, Parallel.SERIAL);
            TruncatedSvd.Result got = TruncatedSvd.of(d, m, n, 13, 0, 0, 9, Parallel.SERIAL, on, () -> { });
            assertThat(got.rounds()).isEqualTo(spec.rounds()).isPositive();
            assertThat(got.s()).isEqualTo(spec.s());
            assertThat(got.u()).isEqualTo(spec.u());
            assertThat(got.v()).isEqualTo(spec.v());
        });
    }
}
