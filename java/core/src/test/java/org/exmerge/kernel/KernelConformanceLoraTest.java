package org.exmerge.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.exmerge.format.DType;
import org.exmerge.kernel.KernelConformanceTest.Target;
import org.exmerge.numeric.Narrow;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The conformance suite's LoRA half ({@link Kernels#loraRows}, numerics §12): every backend, the native
 * one on every ISA path, against {@link LoraOracle} (not the spec), bit for bit: ranks 0 to 21 and a few
 * past a panel of columns, column counts 1 to 67 (tails of every vector width), 1 to 9 rows (blocks of 4
 * and the rows after them; 8 and up pack the factor), every pair of float types, misaligned weights and
 * outputs, and values from weight-like to NaN, infinities, overflowing products and exact cancellations;
 * the rounding edges of every output type (ties, subnormals, float32's subnormal range, overflow); the
 * order and the rounding of each step; rows cut into calls or run on threads; refused arguments.
 */
class KernelConformanceLoraTest {
    static final DType[] TYPES = KernelConformanceTest.TYPES;
    private static final ValueLayout.OfDouble F64 = LoraKernels.FACTOR;
    private static final int[] COLUMNS = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 19, 23, 24, 31, 32, 33,
        40, 47, 48, 49, 63, 64, 65, 67};
    private static final double[] SCALINGS = {2.0, 0.5, 1 / 3.0, 16 / Math.sqrt(8), -1.25, 1e-3, 0.0, -0.0, 3e300};
    private static final double[] SPECIAL = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1e300, -1e300,
        1e-300, Double.MIN_VALUE, 0x1p53, -0x1p53, 0x1p-140, 3.4e38, -65520.0, 1.0, -1.0};

    /** One call's data: the factors as arrays (for the oracle) and as native segments (for the backend). */
    private record Case(String label, Operand w, double[] left, double[] right, MemorySegment l, MemorySegment r, int rank,
                        int columns, int count, double s) {}

    private static MemorySegment segment(Arena arena, double[] v) {
        return segment(arena, v, 0);
    }

    /** {@code v} in native memory from byte {@code offset} of a 64-byte aligned block. */
    private static MemorySegment segment(Arena arena, double[] v, int offset) {
        MemorySegment s = arena.allocate(v.length * 8L + offset + 1, 64).asSlice(offset, v.length * 8L);
        MemorySegment.copy(v, 0, s, F64, 0, v.length);
        return s;
    }

    /** A factor value: mostly a widened float32 or a full float64, some small exact values, zeros and, at {@code special}, the rest. */
    private static double factor(SplittableRandom r, double special) {
        if (r.nextDouble() < special) {
            return SPECIAL[r.nextInt(SPECIAL.length)];
        }
        int c = r.nextInt(100);
        if (c < 55) {
            return (float) (r.nextGaussian() * 0.05);
        }
        if (c < 80) {
            return r.nextGaussian() * 0.05;
        }
        if (c < 94) {
            return Math.scalb((double) (r.nextInt(17) - 8), r.nextInt(-4, 4)); // exact sums: ties and zeros
        }
        return r.nextBoolean() ? 0.0 : -0.0;
    }

    private static Case randomCase(Arena arena, String label, long seed, DType wType, int rank, int columns, int count,
                                   int offset) {
        SplittableRandom r = new SplittableRandom(seed);
        double special = new double[] {0, 0.002, 0.03}[r.nextInt(3)];
        double[] left = new double[count * rank];
        double[] right = new double[rank * columns];
        for (int i = 0; i < left.length; i++) {
            left[i] = factor(r, special);
        }
        for (int i = 0; i < right.length; i++) {
            right[i] = factor(r, special);
        }
        double s = SCALINGS[r.nextInt(SCALINGS.length - (special == 0 ? 1 : 0))];
        Operand w = TestBits.fill(arena, wType, count * columns, offset, seed * 31 + 1);
        int factorOffset = seed % 5 == 0 ? 4 : 0; // misaligned factors now and then
        return new Case(String.format("%s seed %d rank %d columns %d rows %d s %s factors at +%d", label, seed, rank, columns,
                count, s, factorOffset), w, left, right, segment(arena, left, factorOffset), segment(arena, right, factorOffset),
                rank, columns, count, s);
    }

    /** Runs {@code c} on the target into {@code outType} and checks every element and the bytes around against the oracle. */
    private static void check(Target t, Arena arena, Case c, DType outType, int offset) {
        long n = (long) c.count() * c.columns();
        long bytes = n * outType.size();
        MemorySegment all = arena.allocate(bytes + offset + 8, 64);
        all.fill((byte) 0x5A);
        Operand out = new Operand(all.asSlice(offset, bytes), outType);
        t.kernels().loraRows(c.w(), c.l(), c.r(), c.rank(), c.columns(), c.count(), c.s(), out);
        for (int row = 0; row < c.count(); row++) {
            for (int j = 0; j < c.columns(); j++) {
                long e = (long) row * c.columns() + j;
                double v = LoraOracle.value(LoraOracle.widen(c.w(), e), c.left(), row, c.right(), c.rank(), c.columns(), j, c.s());
                long got = LoraOracle.stored(out, e);
                if (!LoraOracle.matches(got, v, outType)) {
                    throw new AssertionError(String.format("%s: %s %s -> %s, row %d column %d: v = %s (%s), oracle 0x%X, backend 0x%X",
                            t, c.label(), c.w().type(), outType, row, j, v, Double.toHexString(v), LoraOracle.bits(v, outType), got));
                }
            }
        }
        for (long b = 0; b < offset; b++) {
            assertThat(all.get(ValueLayout.JAVA_BYTE, b)).as("%s: %s: byte %d before the output", t, c.label(), b).isEqualTo((byte) 0x5A);
        }
        for (long b = offset + bytes; b < all.byteSize(); b++) {
            assertThat(all.get(ValueLayout.JAVA_BYTE, b)).as("%s: %s: byte %d after the output", t, c.label(), b - offset - bytes)
                    .isEqualTo((byte) 0x5A);
        }
        assertThat(KernelConformanceTest.OPS).as("%s: fallbacks are ops of Kernels", t).containsAll(t.kernels().fallbacks().keySet());
    }

    @ParameterizedTest
    @MethodSource("org.exmerge.kernel.KernelConformanceTest#targets")
    void everyRankColumnCountRowCountAndTypePairMatchesTheOracle(Target t) {
        t.run(() -> {
            long seed = 70_000;
            int pair = 0;
            try (Arena arena = Arena.ofConfined()) {
                for (int rank = 0; rank <= 21; rank++) {
                    for (int columns : COLUMNS) {
                        seed++;
                        DType wType = TYPES[pair % TYPES.length];
                        DType outType = TYPES[(pair / TYPES.length) % TYPES.length];
                        pair++;
                        int count = 1 + (int) (seed % 9);
                        int offset = (int) (seed % 7);
                        check(t, arena, randomCase(arena, "shape", seed, wType, rank, columns, count, offset), outType, offset + 1);
                    }
                }
            }
        });
    }

    @ParameterizedTest
    @MethodSource("org.exmerge.kernel.KernelConformanceTest#targets")
    void widePanelsAndLargeRanksMatchTheOracleForEveryTypePair(Target t) {
        // Ranks that cut the columns into several panels (and a tail), and a rank whose panel is one vector group.
        int[][] shapes = {{16, 203, 9}, {40, 700, 11}, {64, 401, 9}, {100, 250, 13}, {1500, 41, 9}, {3, 2100, 6}, {33, 129, 37}};
        t.run(() -> {
            long seed = 80_000;
            try (Arena arena = Arena.ofConfined()) {
                for (DType wType : TYPES) {
                    for (DType outType : TYPES) {
                        int[] sh = shapes[(int) (seed % shapes.length)];
                        seed++;
                        check(t, arena, randomCase(arena, "wide", seed, wType, sh[0], sh[1], sh[2], (int) (seed % 3)), outType, 0);
                    }
                }
            }
        });
    }

    /**
     * Values of {@code v} at each output type's rounding edges: ties between neighbours (and a float64
     * ulp or a few float32 ulps either side, where rounding through float32 to nearest would land on the
     * tie), the subnormals, float32's subnormal range below 2^-126, the largest finite value and overflow.
     */
    private static List<Double> edges(DType t) {
        List<Double> anchors = new ArrayList<>(List.of(1.0, 1.5, 3.0, 0x1p-126, 0x1p-125, 0x1p-127, 0x1p-133, 0x1.8p-131,
                0x1p-140, 0x1p-149, 0x1p-126 - 0x1p-149, 0x1p-14, 0x1p-24, 0x1.8p-20, 0x1p-6, 0x1p-9, 0x1p-16, 65504.0, 448.0,
                57344.0, 0x1.FEp127, (double) Float.MAX_VALUE, 0x1p-30));
        List<Double> out = new ArrayList<>(List.of(0.0, -0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
                Double.MIN_VALUE, 0x1p-150, 0x1.0000000000001p-150, 0x1p-151));
        for (double x : anchors) {
            double fx = LoraOracle.round(x, t);
            if (Double.isInfinite(fx)) {
                continue;
            }
            double mid = fx + (LoraOracle.next(fx, t) - fx) / 2; // exact below F64: neighbours of at most 24 significant bits
            for (double m : new double[] {mid, fx}) {
                for (double eps : new double[] {0, Math.ulp(m), -Math.ulp(m), m * 0x1p-30, -m * 0x1p-30, m * 0x1p-25, -m * 0x1p-25}) {
                    if (!Double.isInfinite(m + eps)) {
                        out.add(m + eps);
                        out.add(-(m + eps));
                    }
                }
            }
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("org.exmerge.kernel.KernelConformanceTest#targets")
    void theRoundingEdgesOfEveryOutputTypeMatchTheOracle(Target t) {
        // v = +0 + 1·(+0 + v·1): rank 1, the value in right, so every row holds every edge, in vector lanes and tails.
        t.run(() -> {
            try (Arena arena = Arena.ofConfined()) {
                for (DType outType : TYPES) {
                    List<Double> values = edges(outType);
                    for (int shift = 0; shift < 3; shift++) {
                        int columns = values.size() - shift;
                        double[] right = new double[columns];
                        for (int j = 0; j < columns; j++) {
                            right[j] = values.get((j + 7 * shift) % values.size());
                        }
                        int count = 9;
                        double[] left = new double[count];
                        java.util.Arrays.fill(left, 1.0);
                        for (DType wType : new DType[] {DType.BF16, DType.F32}) {
                            Operand w = new Operand(arena.allocate((long) count * columns * wType.size()), wType); // +0
                            Case c = new Case("edges of " + outType + " shift " + shift, w, left, right, segment(arena, left),
                                    segment(arena, right), 1, columns, count, 1.0);
                            check(t, arena, c, outType, shift);
                        }
                    }
                }
            }
        });
    }

    @ParameterizedTest
    @MethodSource("org.exmerge.kernel.KernelConformanceTest#targets")
    void eachStepRoundsOnItsOwnInKOrder(Target t) {
        t.run(() -> {
            try (Arena arena = Arena.ofConfined()) {
                for (int rank : new int[] {4, 5, 8, 9, 17, 20}) {
                    for (int at = 0; at + 4 <= rank; at += 3) {
                        // k order: 2^53 + 1 rounds back to 2^53, - 2^53 leaves 0, + 1 gives 1. Another order gives
                        // 0 or 2; one fma gives 2.
                        int count = 9;
                        int columns = 19;
                        double[] left = new double[count * rank];
                        double[] right = new double[rank * columns];
                        java.util.Arrays.fill(right, 1.0);
                        for (int row = 0; row < count; row++) {
                            left[row * rank + at] = 0x1p53;
                            left[row * rank + at + 1] = 1;
                            left[row * rank + at + 2] = -0x1p53;
                            left[row * rank + at + 3] = 1;
                        }
                        Operand w = new Operand(arena.allocate((long) count * columns * 4), DType.F32);
                        Case c = new Case("cancellation rank " + rank + " at " + at, w, left, right, segment(arena, left),
                                segment(arena, right), rank, columns, count, 1.0);
                        check(t, arena, c, DType.F32, 0);
                        Operand out = new Operand(arena.allocate((long) count * columns * 4), DType.F32);
                        t.kernels().loraRows(w, c.l(), c.r(), rank, columns, count, 1.0, out);
                        assertThat(out.segment().get(TestBits.I32, 4L * (count * columns - 1))).as("%s", c.label())
                                .isEqualTo(Float.floatToRawIntBits(1f));
                    }
                }
                // A product rounds before its add: -(1 + 2^-29) + (1 + 2^-30)^2 is 0 (an fma keeps 2^-60). And s·d
                // rounds before w is added: s·d = (1 + 2^-27)(1 + 2^-27 + 2^-34) rounds to 1 + 2^-26 + 2^-34, so
                // v = -1 + s·d = 2^-26 (1 + 2^-8), a bfloat16 tie that goes to even (an fma puts it past the tie).
                double a = 1 + 0x1p-30;
                double b = 1 + 0x1p-27;
                double d = 1 + 0x1p-27 + 0x1p-34;
                int count = 9;
                int columns = 35;
                double[] left = new double[count * 2];
                double[] right = new double[2 * columns];
                for (int row = 0; row < count; row++) {
                    left[row * 2] = row % 2 == 0 ? -(1 + 0x1p-29) : 0;
                    left[row * 2 + 1] = row % 2 == 0 ? a : d;
                }
                for (int j = 0; j < columns; j++) {
                    right[j] = 1;
                    right[columns + j] = 1;
                }
                Operand w = TestBits.fill(arena, DType.F32, count * columns, 0, 5);
                for (int row = 0; row < count; row++) {
                    for (int j = 0; j < columns; j++) {
                        w.segment().setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, (long) row * columns + j, row % 2 == 0 ? 0f : -1f);
                    }
                }
                for (int j = 0; j < columns; j++) {
                    right[columns + j] = j % 2 == 0 ? a : 1;
                }
                for (DType outType : new DType[] {DType.F32, DType.BF16, DType.F16}) {
                    Case c = new Case("rounding of each step", w, left, right, segment(arena, left), segment(arena, right), 2,
                            columns, count, b);
                    check(t, arena, c, outType, 0);
                }
            }
        });
    }

    @ParameterizedTest
    @MethodSource("org.exmerge.kernel.KernelConformanceTest#targets")
    void rowsCutIntoCallsOrRunOnThreadsWriteTheBytesOfOneCall(Target t) {
        t.run(() -> {
            try (Arena arena = Arena.ofShared()) {
                int rank = 19;
                int columns = 83;
                int count = 37;
                Case c = randomCase(arena, "cuts", 90_001, DType.BF16, rank, columns, count, 0);
                for (DType outType : new DType[] {DType.BF16, DType.F16, DType.F32}) {
                    long rowBytes = (long) columns * outType.size();
                    Operand whole = new Operand(arena.allocate(count * rowBytes), outType);
                    t.kernels().loraRows(c.w(), c.l(), c.r(), rank, columns, count, c.s(), whole);
                    Operand cut = new Operand(arena.allocate(count * rowBytes), outType);
                    int first = 0;
                    for (int n : new int[] {1, 3, 8, 4, 9, 12}) {
                        call(t, c, first, n, cut);
                        first += n;
                    }
                    assertThat(cut.segment().mismatch(whole.segment())).as("%s: cuts of %s", t, outType).isEqualTo(-1);
                    Operand threaded = new Operand(arena.allocate(count * rowBytes), outType);
                    try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
                        List<Future<?>> done = new ArrayList<>();
                        for (int f = 0; f < count; f += 5) {
                            int from = f;
                            // Each thread on the same path: the native ISA is process-wide, forced by the target.
                            done.add(pool.submit(() -> call(t, c, from, Math.min(5, count - from), threaded)));
                        }
                        for (Future<?> d : done) {
                            d.get();
                        }
                    }
                    assertThat(threaded.segment().mismatch(whole.segment())).as("%s: threads, %s", t, outType).isEqualTo(-1);
                }
            }
        });
    }

    /** Rows {@code first .. first+n-1} of {@code c} into the same rows of {@code out}, sharing {@code c}'s right factor. */
    private static void call(Target t, Case c, int first, int n, Operand out) {
        long cols = c.columns();
        t.kernels().loraRows(c.w().skip(first * cols), c.l().asSlice((long) first * c.rank() * 8, (long) n * c.rank() * 8), c.r(),
                c.rank(), cols, n, c.s(), out.skip(first * cols));
    }

    @ParameterizedTest
    @MethodSource("org.exmerge.kernel.KernelConformanceTest#targets")
    void argumentsTheSpecRefusesAreRefusedAlike(Target t) {
        t.run(() -> {
            try (Arena arena = Arena.ofConfined()) {
                Case c = randomCase(arena, "refused", 5, DType.BF16, 3, 10, 4, 0);
                Operand out = new Operand(arena.allocate(80), DType.BF16);
                Kernels k = t.kernels();
                JavaKernels spec = new JavaKernels();
                for (int[] bad : new int[][] {{-1, 10, 4}, {3, -10, 4}, {3, 10, -4}}) {
                    KernelConformanceTest.refusedAlike(t + " negative " + java.util.Arrays.toString(bad),
                            () -> spec.loraRows(c.w(), c.l(), c.r(), bad[0], bad[1], bad[2], 1, out),
                            () -> k.loraRows(c.w(), c.l(), c.r(), bad[0], bad[1], bad[2], 1, out));
                }
                Operand ints = new Operand(c.w().segment(), DType.I32);
                KernelConformanceTest.refusedAlike(t + " integers", () -> spec.loraRows(ints, c.l(), c.r(), 3, 10, 4, 1, out),
                        () -> k.loraRows(ints, c.l(), c.r(), 3, 10, 4, 1, out));
                assertThatThrownBy(() -> k.loraRows(c.w(), c.l(), c.r().asSlice(0, 8), 3, 10, 4, 1, out))
                        .as("%s: right too short", t).isInstanceOf(IndexOutOfBoundsException.class);
                assertThatThrownBy(() -> k.loraRows(c.w(), c.l(), c.r(), 3, 10, 5, 1, out))
                        .as("%s: a row more than the segments hold", t).isInstanceOf(IndexOutOfBoundsException.class);
                // No rows, no columns: nothing to read or write.
                k.loraRows(c.w(), c.l(), c.r(), 3, 0, 4, 1, out);
                k.loraRows(c.w(), c.l(), c.r(), 3, 10, 0, 1, out);
            }
        });
    }

    /** The oracle's rounding is Narrow's round-to-odd float32 then RNE, on random and edge values: the two readings agree. */
    @Test
    void theOraclesRoundingIsNarrows() {
        SplittableRandom r = new SplittableRandom(11);
        MemorySegment one = MemorySegment.ofArray(new long[1]);
        for (DType t : TYPES) {
            List<Double> values = new ArrayList<>(edges(t));
            for (int i = 0; i < 200_000; i++) {
                values.add(Double.longBitsToDouble(r.nextLong()));
                values.add(r.nextGaussian() * Math.scalb(1.0, r.nextInt(-160, 140)));
            }
            for (double v : values) {
                Narrow.store(new double[] {v}, 1, t, one, 0);
                Operand o = new Operand(one, t);
                assertThat(LoraOracle.matches(LoraOracle.stored(o, 0), v, t)).as("%s %s", t, Double.toHexString(v)).isTrue();
            }
        }
    }
}
