package org.exmerge.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.exmerge.format.DType;
import org.exmerge.kernel.KernelConformanceTest.Target;
import org.exmerge.numeric.MagnitudeSelect;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The conformance suite's sce and arcee_fusion half (KernelConformanceTest has the targets): the
 * variance and importance histograms, sce's squares and both merges of every backend against the
 * Java spec, over every type mix (F64 and F8 included), tails, absolute starts, misaligned operands
 * and special values (integers make equal task vectors: zero variances, exact ties).
 */
class KernelConformanceSceFusionTest {
    static final DType[] TYPES = KernelConformanceTest.TYPES;
    static final int[] TAILS = KernelConformanceTest.TAILS;
    private static final JavaKernels SPEC = new JavaKernels();

    private static Operand[] inputs(Arena arena, DType[] types, int end, long seed, boolean integers) {
        Operand[] xs = new Operand[types.length];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = integers ? KernelOpGen.integers(arena, types[i], end, i + 1, seed * 31 + i)
                    : TestBits.fill(arena, types[i], end, (int) ((seed + i) % 5), seed * 31 + i);
        }
        return xs;
    }

    /** A variance key from the data (ties certain), or a corner: 0 (keep all), KEEP_NONE, NaN's key. */
    private static long keepFrom(SplittableRandom r, Operand[] xs, Operand b, long end) {
        int c = r.nextInt(8);
        if (c == 0 || end == 0) {
            return 0;
        }
        if (c == 1) {
            return SceOp.KEEP_NONE;
        }
        if (c == 2) {
            return MagnitudeSelect.NAN_KEY;
        }
        long e = r.nextLong(end);
        float[] tau = new float[xs.length];
        for (int i = 0; i < xs.length; i++) {
            tau[i] = KernelOpGen.tau(xs[i], b, e);
        }
        return MagnitudeSelect.key(SceOp.variance(tau, xs.length));
    }

    private static SceOp sceOp(SplittableRandom r, Operand[] xs, Operand b, long end) {
        float[] w = new float[xs.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = r.nextInt(6) == 0 ? 0f : (float) r.nextDouble(0, 1);
        }
        return new SceOp(w, keepFrom(r, xs, b, end));
    }

    @ParameterizedTest
    @MethodSource("org.exmerge.kernel.KernelConformanceTest#targets")
    void sceOpsMatchTheSpecForEveryTypeMixTailAndStart(Target t) {
        t.run(() -> {
            long seed = 20_000;
            for (DType x1 : TYPES) {
                for (DType x2 : TYPES) {
                    for (DType b : new DType[] {DType.BF16, DType.F32, TYPES[(int) (seed % TYPES.length)]}) {
                        seed++;
                        sce(t, seed, new DType[] {x1, x2}, b, TYPES[(int) (seed % TYPES.length)],
                                (int) (seed % 37), TAILS[(int) (seed % TAILS.length)], seed % 4 == 0);
                    }
                }
            }
            for (int m = 1; m <= 9; m++) { // model counts, past the native stack tiles (8)
                DType ty = TYPES[m % 3];
                DType[] types = new DType[m];
                Arrays.fill(types, ty);
                sce(t, ++seed, types, ty, ty, 5, 1023, m % 2 == 0);
            }
        });
    }

    private static void sce(Target t, long seed, DType[] types, DType baseType, DType outType, int start, int n,
                            boolean integers) {
        SplittableRandom r = new SplittableRandom(seed);
        int end = start + n;
        try (Arena arena = Arena.ofConfined()) {
            Operand[] xs = inputs(arena, types, end, seed, integers);
            Operand base = integers ? KernelOpGen.integers(arena, baseType, end, 3, seed * 31 + 7)
                    : TestBits.fill(arena, baseType, end, 3, seed * 31 + 7);
            SceOp op = sceOp(r, xs, base, end);
            String at = String.format("%s sce seed %d inputs %s base %s out %s start %d n %d integers %b keepFrom %d", t,
                    seed, Arrays.toString(types), baseType, outType, start, n, integers, op.keepFrom());
            Operand want = TestBits.output(arena, outType, n, 0);
            Operand got = TestBits.output(arena, outType, n, start % 7);
            KernelConformanceTest.same(at, want, got, n, () -> SPEC.sceMerge(op, xs, base, want, start, n),
                    () -> t.kernels().sceMerge(op, xs, base, got, start, n));
            if (n <= 4097) { // a histogram is per element: the long tail adds nothing but time
                for (int high : new int[] {-1, 0x3E80, 0x7F80}) {
                    int buckets = high < 0 ? MagnitudeSelect.HIGH_BUCKETS : MagnitudeSelect.LOW_BUCKETS;
                    long[] hw = new long[buckets];
                    hw[(int) (seed % buckets)] = 7; // counts add to what is there
                    long[] hg = hw.clone();
                    int h = high;
                    if (!KernelConformanceTest.refusedAlike(at + " high " + high,
                            () -> SPEC.sceHistogram(xs, base, start, n, h, hw),
                            () -> t.kernels().sceHistogram(xs, base, start, n, h, hg))) {
                        assertThat(Arrays.mismatch(hw, hg)).as(at + " high " + high).isEqualTo(-1);
                    }
                }
            }
            for (long block = 0; block < end; block += 65_536) {
                double[] sw = new double[xs.length];
                double[] sg = new double[xs.length];
                long bl = block;
                if (!KernelConformanceTest.refusedAlike(at + " squares", () -> SPEC.sceSquares(op, xs, base, bl, end, sw),
                        () -> t.kernels().sceSquares(op, xs, base, bl, end, sg))) {
                    for (int i = 0; i < sw.length; i++) {
                        boolean same = Double.doubleToRawLongBits(sw[i]) == Double.doubleToRawLongBits(sg[i])
                                || (Double.isNaN(sw[i]) && Double.isNaN(sg[i])); // any NaN equals any NaN in a sum
                        assertThat(same).as("%s squares block %d model %d: spec %s backend %s", at, block, i, sw[i], sg[i])
                                .isTrue();
                    }
                }
            }
            assertThat(KernelConformanceTest.OPS).as("%s: fallbacks are ops of Kernels", t)
                    .containsAll(t.kernels().fallbacks().keySet());
        }
    }

    @ParameterizedTest
    @MethodSource("org.exmerge.kernel.KernelConformanceTest#targets")
    void fusionOpsMatchTheSpecForEveryTypeMixTailAndStart(Target t) {
        t.run(() -> {
            long seed = 30_000;
            for (DType tx : TYPES) {
                for (DType tb : TYPES) {
                    seed++;
                    fusion(t, seed, tx, tb, TYPES[(int) (seed % TYPES.length)], (int) (seed % 29),
                            TAILS[(int) (seed % TAILS.length)], 1 + (int) (seed % 40));
                }
            }
        });
    }

    private static void fusion(Target t, long seed, DType tx, DType tb, DType outType, int start, int n, int row) {
        SplittableRandom r = new SplittableRandom(seed);
        int end = start + n;
        int rows = (end + row - 1) / row;
        try (Arena arena = Arena.ofConfined()) {
            Operand x = TestBits.fill(arena, tx, rows * row, (int) (seed % 3), seed);
            Operand b = TestBits.fill(arena, tb, rows * row, 1, seed + 1);
            float[] kl = new float[rows];
            for (int i = 0; i < rows; i++) {
                int c = r.nextInt(10);
                kl[i] = c == 0 ? 0f : c == 1 ? Float.NaN : c == 2 ? Float.POSITIVE_INFINITY : (float) r.nextDouble(0, 3);
            }
            float thr = switch (r.nextInt(5)) {
                case 0 -> 0f;
                case 1 -> Float.NaN;
                case 2 -> end == 0 ? 1f : Math.abs(KernelOpGen.tau(x, b, r.nextLong(end))) * kl[0]; // ties certain
                default -> (float) r.nextDouble(0, 0.5);
            };
            FusionOp op = new FusionOp(kl, row, thr);
            String at = String.format("%s fusion seed %d x %s base %s out %s start %d n %d row %d threshold %s", t, seed,
                    tx, tb, outType, start, n, row, thr);
            Operand want = TestBits.output(arena, outType, n, 0);
            Operand got = TestBits.output(arena, outType, n, start % 5);
            KernelConformanceTest.same(at, want, got, n, () -> SPEC.fusionMerge(op, x, b, want, start, n),
                    () -> t.kernels().fusionMerge(op, x, b, got, start, n));
            if (n <= 4097) {
                for (int high : new int[] {-1, 0x3E80, 0x7F80}) {
                    int buckets = high < 0 ? MagnitudeSelect.HIGH_BUCKETS : MagnitudeSelect.LOW_BUCKETS;
                    long[] hw = new long[buckets];
                    long[] hg = new long[buckets];
                    int h = high;
                    if (!KernelConformanceTest.refusedAlike(at + " high " + high,
                            () -> SPEC.fusionHistogram(op, x, b, start, n, h, hw),
                            () -> t.kernels().fusionHistogram(op, x, b, start, n, h, hg))) {
                        assertThat(Arrays.mismatch(hw, hg)).as(at + " high " + high).isEqualTo(-1);
                    }
                }
            }
        }
    }
}
