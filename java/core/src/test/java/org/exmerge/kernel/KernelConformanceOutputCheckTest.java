package org.exmerge.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.exmerge.format.DType;
import org.exmerge.numeric.Bf16;
import org.exmerge.numeric.F16;
import org.exmerge.kernel.KernelConformanceTest.Target;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The output check {@link Kernels#linear} and {@link Kernels#sparseMerge} return: on every backend
 * (the native one on every ISA path) it is the index {@link Kernels#firstNonFinite} finds in what
 * the op wrote, with one non-finite output planted at the places a fused check could miss — the
 * scalar head before a streamed output's first aligned vector, the streamed body, the last vector,
 * the scalar tail — made by an infinite input, by a float32 overflow and by a finite float32 that
 * only the narrowing rounds to infinity; and -1 when every output is finite. Sizes cover the tile
 * path, the plain direct loop and the streamed one (outputs of 1 MiB and more).
 */
class KernelConformanceOutputCheckTest {
    private static final JavaKernels SPEC = new JavaKernels();
    private static final DType[] FLOATS = {DType.BF16, DType.F16, DType.F32};
    /** Short (tiles and tails) and one tile-and-a-bit, for every type pair and output offset. */
    private static final int[] SIZES = {1, 9, 17, 1_029};
    /** Over 1 MiB of output in every type: the streamed path, for the type pairs of {@link #LARGE_PAIRS}. */
    private static final int LARGE = 524_309;
    /** One type throughout, and F32 inputs narrowed (the only way a finite float32 rounds to infinity). */
    private static final DType[][] LARGE_PAIRS = {{DType.BF16, DType.BF16}, {DType.F16, DType.F16},
        {DType.F32, DType.F32}, {DType.F32, DType.BF16}, {DType.F32, DType.F16}};

    /** The ways a finite run of inputs gets one non-finite output at element p. */
    private enum Cause { INFINITE_INPUT, F32_OVERFLOW, NARROWING_OVERFLOW }

    @ParameterizedTest
    @MethodSource("org.exmerge.kernel.KernelConformanceTest#targets")
    void linearReportsTheFirstNonFiniteElementItWrote(Target t) {
        // ExMe's shape: two fine-tunes and the base, weights 2 and 0.25 (2·x overflows where x is large).
        LinearOp op = new LinearOp(new double[] {2.0, 0.25}, true, false, 1.0, 1.0);
        t.run(() -> forEachCase((in, out, n, cause, p) -> {
            Operand[] xs = {in[0], in[1]};
            long want = SPEC.linear(op, xs, in[2], out[0], n);
            long got = t.kernels().linear(op, xs, in[2], out[1], n);
            check(t, "linear", in[0].type(), out, n, cause, p, want, got);
        }));
    }

    @ParameterizedTest
    @MethodSource("org.exmerge.kernel.KernelConformanceTest#targets")
    void sparseMergeReportsTheFirstNonFiniteElementItWrote(Target t) {
        SparseOp op = SparseOp.plain(new float[] {2f, 0.25f}, SparseOp.ELECT_SUM, false, 1f, 1f, 7, 3);
        t.run(() -> forEachCase((in, out, n, cause, p) -> {
            Operand[] xs = {in[0], in[1]};
            long want = SPEC.sparseMerge(op, xs, in[2], out[0], 0, n);
            long got = t.kernels().sparseMerge(op, xs, in[2], out[1], 0, n);
            check(t, "sparseMerge", in[0].type(), out, n, cause, p, want, got);
        }));
    }

    private static void check(Target t, String op, DType in, Operand[] out, int n, Cause cause, long p, long want,
                              long got) {
        String at = String.format("%s %s, in %s out %s, n %d, %s at %d", t, op, in, out[1].type(), n,
                cause == null ? "nothing" : cause, p);
        assertThat(TestBits.firstDifference(out[0], out[1], n)).as("%s: same output", at).isEqualTo(-1);
        assertThat(want).as("%s: the spec", at).isEqualTo(p).isEqualTo(SPEC.firstNonFinite(out[0], n));
        assertThat(got).as("%s: the backend's check", at).isEqualTo(p);
    }

    private interface Case {
        void run(Operand[] in, Operand[] out, int n, Cause cause, long p);
    }

    /**
     * Every input type × output type × short size × output offset, and the large streamed size for
     * {@link #LARGE_PAIRS} at offset 6 (a head of scalar elements before the first streamed line):
     * first all finite, then one cause at each place in turn.
     */
    private static void forEachCase(Case c) {
        for (DType inType : FLOATS) {
            for (DType outType : FLOATS) {
                for (int n : SIZES) {
                    for (int offset : new int[] {0, 6}) {
                        run(c, inType, outType, n, offset);
                    }
                }
            }
        }
        for (DType[] pair : LARGE_PAIRS) {
            run(c, pair[0], pair[1], LARGE, 6);
        }
    }

    private static void run(Case c, DType inType, DType outType, int n, int offset) {
        try (Arena arena = Arena.ofConfined()) {
            Operand[] in = new Operand[3];
            for (int i = 0; i < 3; i++) {
                in[i] = finite(arena, inType, n, i * 2, 31L * n + i);
            }
            Operand[] out = {TestBits.output(arena, outType, n, 0), TestBits.output(arena, outType, n, offset)};
            c.run(in, out, n, null, -1);
            for (long p : places(n)) {
                for (Cause cause : Cause.values()) {
                    if (plant(in[0], p, cause, outType)) {
                        c.run(in, out, n, cause, p);
                        put(in[0], p, 0.01f); // finite again for the next place
                    }
                }
            }
        }
    }

    /** The first element, one in the head, the middle, the last full vector, the last element. */
    private static long[] places(int n) {
        return java.util.stream.LongStream.of(0, 5, n / 2, n - 9, n - 1).filter(p -> p >= 0 && p < n).distinct()
                .toArray();
    }

    /**
     * Sets x[p] so that 2·x − ... yields a non-finite output of {@code outType}; false when {@code cause}
     * cannot arise for these types (a 16-bit input cannot hold a float32 that only narrowing overflows).
     */
    private static boolean plant(Operand x, long p, Cause cause, DType outType) {
        switch (cause) {
            case INFINITE_INPUT -> put(x, p, Float.POSITIVE_INFINITY);
            case F32_OVERFLOW -> {
                if (x.type() == DType.F16) {
                    return false; // F16 holds at most 65504: 2·x stays finite in float32
                }
                put(x, p, 3.0e38f);
            }
            case NARROWING_OVERFLOW -> {
                // 2·x ≈ 3.401e38 is finite in float32 but rounds to BF16's infinity; 2·x = 80000 to F16's
                if (outType == DType.F32 || x.type() != DType.F32) {
                    return false;
                }
                put(x, p, outType == DType.BF16 ? 1.7005e38f : 40_000f);
            }
        }
        return true;
    }

    /** n small finite values of t (|v| < 0.1) at a misaligned offset. */
    private static Operand finite(Arena arena, DType t, int n, int offset, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        MemorySegment s = arena.allocate((long) n * t.size() + offset + 1, 64).asSlice(offset, (long) n * t.size());
        Operand o = new Operand(s, t);
        for (long j = 0; j < n; j++) {
            put(o, j, (float) (r.nextGaussian() * 0.02));
        }
        return o;
    }

    private static void put(Operand o, long j, float v) {
        switch (o.type()) {
            case F32 -> o.segment().set(ValueLayout.JAVA_FLOAT_UNALIGNED, 4 * j, v);
            case BF16 -> o.segment().set(TestBits.I16, 2 * j, Bf16.fromFloat(v));
            default -> o.segment().set(TestBits.I16, 2 * j, F16.fromFloat(v));
        }
    }
}
