package org.exmerge.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.exmerge.format.DType;
import org.exmerge.kernel.KernelConformanceTest.Target;
import org.exmerge.numeric.Bf16;
import org.exmerge.numeric.F16;
import org.exmerge.numeric.F8E4M3;
import org.exmerge.numeric.F8E5M2;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The conformance suite's geometric half (KernelConformanceTest has the targets and the rest): the
 * numerics §4 pair sums and the per-vector linear op of every backend against the Java spec, over
 * every type mix (F64 and F8 included), with and without a base, contiguous, strided and arbitrarily
 * strided vectors, spans starting at later blocks and ending in partial ones, vector lengths that are
 * not multiples of 64, misaligned operands, and data that is finite, small integers (exact sums, ±0)
 * or full of NaN/±∞/subnormal patterns. Sums compare bit for bit (any NaN equals any NaN).
 */
class KernelConformanceGeometricTest {
    static final DType[] TYPES = KernelConformanceTest.TYPES;
    private static final JavaKernels SPEC = new JavaKernels();

    /** Span shapes, each over a tensor of {@code elements} elements. */
    private record Shape(String name, VectorSpan span, long elements) { }

    private static List<Shape> shapes(long seed) {
        int n = KernelConformanceTest.TAILS[1 + (int) (seed % (KernelConformanceTest.TAILS.length - 1))];
        int blocks = (int) VectorSpan.blockCount(n);
        List<Shape> out = new ArrayList<>();
        out.add(new Shape("whole " + n, new VectorSpan(0, 1, n, 1, n, 0, blocks), n));
        // Rows of 100 (not a multiple of 64): rows 2..6 of 7.
        out.add(new Shape("rows", new VectorSpan(200, 1, 100, 5, 100, 0, 1), 700));
        // Columns of a [37, 300] tensor: columns 5..294, more than one group side by side.
        out.add(new Shape("columns", new VectorSpan(5, 300, 1, 290, 37, 0, 1), 37 * 300));
        // Any strides: element k of vector v at 7 + 3k + 2v.
        out.add(new Shape("strides", new VectorSpan(7, 3, 2, 4, 50, 0, 1), 7 + 3 * 49 + 2 * 3 + 1));
        if (seed % 4 == 0) { // the big ones for a quarter of the mixes: a later block alone, a partial block across
            out.add(new Shape("second block", new VectorSpan(3, 1, 65_636, 2, 65_636, 1, 1), 3 + 2 * 65_636));
            out.add(new Shape("columns over blocks", new VectorSpan(0, 2, 1, 2, 65_537, 0, 2), 2 * 65_537));
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("org.exmerge.kernel.KernelConformanceTest#targets")
    void pairSumsMatchTheSpecForEveryTypeMixShapeAndBase(Target t) {
        t.run(() -> {
            long seed = 20_000;
            List<DType> bases = new ArrayList<>(Arrays.asList(TYPES));
            bases.add(null);
            for (DType x1 : TYPES) {
                for (DType x2 : TYPES) {
                    for (DType b : bases) {
                        seed++;
                        pairSums(t, seed, new DType[] {x1, x2}, b, gram(2));
                    }
                }
            }
            for (int m = 1; m <= 4; m++) { // input counts, one type throughout, with pairs in any order
                DType ty = TYPES[m % TYPES.length];
                DType[] types = new DType[m];
                Arrays.fill(types, ty);
                int[][] pairs = gram(m);
                pairs[pairs.length - 1] = new int[] {m - 1, 0};
                pairSums(t, ++seed, types, m % 2 == 0 ? ty : null, pairs);
            }
        });
    }

    private static void pairSums(Target t, long seed, DType[] types, DType baseType, int[][] pairs) {
        for (Shape sh : shapes(seed)) {
            try (Arena arena = Arena.ofConfined()) {
                int len = Math.toIntExact(sh.elements());
                Operand[] xs = new Operand[types.length];
                for (int i = 0; i < xs.length; i++) {
                    xs[i] = data(arena, types[i], len, (int) (seed + i) % 5, seed * 31 + i);
                }
                Operand base = baseType == null ? null : data(arena, baseType, len, 3, seed * 31 + 7);
                VectorSpan s = sh.span();
                double[] want = new double[s.outputs(pairs.length) + 1];
                double[] got = new double[want.length];
                want[want.length - 1] = got[got.length - 1] = 42.0; // nothing written past the span's outputs
                String at = String.format("%s pairSums seed %d inputs %s base %s %s", t, seed, List.of(types), baseType,
                        sh.name());
                if (KernelConformanceTest.refusedAlike(at, () -> SPEC.pairSums(xs, base, pairs, s, want),
                        () -> t.kernels().pairSums(xs, base, pairs, s, got))) {
                    continue;
                }
                for (int k = 0; k < want.length; k++) {
                    boolean same = Double.doubleToRawLongBits(want[k]) == Double.doubleToRawLongBits(got[k])
                            || (Double.isNaN(want[k]) && Double.isNaN(got[k]));
                    assertThat(same).as("%s: out[%d] spec %s backend %s", at, k, want[k], got[k]).isTrue();
                }
                assertThat(KernelConformanceTest.OPS).as("%s: fallbacks are ops of Kernels", t)
                        .containsAll(t.kernels().fallbacks().keySet());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("org.exmerge.kernel.KernelConformanceTest#targets")
    void linearPerVectorMatchesTheSpecForEveryTypeMixLayoutAndChunk(Target t) {
        t.run(() -> {
            long seed = 30_000;
            List<DType> bases = new ArrayList<>(Arrays.asList(TYPES));
            bases.add(null);
            for (DType x1 : TYPES) {
                for (DType x2 : TYPES) {
                    for (DType b : bases) {
                        seed++;
                        DType out = TYPES[(int) (seed % TYPES.length)];
                        linearPerVector(t, seed, new DType[] {x1, x2}, b, out);
                    }
                }
            }
            for (int k = 0; k <= 3; k++) { // input counts around the two above, one type throughout
                for (DType x : TYPES) {
                    DType[] in = new DType[k];
                    Arrays.fill(in, x);
                    linearPerVector(t, ++seed, in, k % 2 == 0 ? x : null, x);
                }
            }
        });
    }

    private static void linearPerVector(Target t, long seed, DType[] types, DType baseType, DType outType) {
        SplittableRandom r = new SplittableRandom(seed);
        // {count, length, strided}: rows of 5 and of 100, columns of 37 and of 3 (with 1,500 vectors).
        long[][] layouts = {{60, 5, 0}, {9, 100, 0}, {40, 37, 1}, {1_500, 3, 1}};
        for (long[] l : layouts) {
            int count = (int) l[0];
            long length = l[1];
            boolean strided = l[2] == 1;
            int total = (int) (count * length);
            LinearOp[] ops = new LinearOp[count];
            for (int p = 0; p < count; p++) {
                ops[p] = KernelOpGen.linear(r, types.length, baseType != null);
            }
            VectorLinearOp v = new VectorLinearOp(ops, length, strided);
            // The whole tensor, a chunk that cuts vectors at both ends, short ones (across the last column back to the first).
            long[][] chunks = {{0, total}, {length / 2 + 1, total - length - 3}, {total - 2, 2}, {count / 3, 1}, {count - 1, 2}};
            for (long[] c : chunks) {
                long start = c[0];
                int n = (int) c[1];
                try (Arena arena = Arena.ofConfined()) {
                    Operand[] xs = new Operand[types.length];
                    for (int i = 0; i < xs.length; i++) {
                        xs[i] = data(arena, types[i], total, (int) (seed + i) % 5, seed * 31 + i);
                    }
                    Operand base = baseType == null ? null : data(arena, baseType, total, 3, seed * 31 + 7);
                    Operand want = TestBits.output(arena, outType, n, 0);
                    Operand got = TestBits.output(arena, outType, n, (int) (start % 7));
                    KernelConformanceTest.same(String.format("%s linearPerVector seed %d inputs %s base %s out %s"
                                    + " vectors %d of %d strided %b start %d n %d", t, seed, List.of(types), baseType,
                                    outType, count, length, strided, start, n), want, got, n,
                            () -> SPEC.linearPerVector(v, xs, base, want, start, n),
                            () -> t.kernels().linearPerVector(v, xs, base, got, start, n));
                }
            }
        }
    }

    /** Every pair {@code (i, j)}, {@code i ≤ j}, of {@code m} inputs. */
    static int[][] gram(int m) {
        List<int[]> pairs = new ArrayList<>();
        for (int i = 0; i < m; i++) {
            for (int j = i; j < m; j++) {
                pairs.add(new int[] {i, j});
            }
        }
        return pairs.toArray(new int[0][]);
    }

    /**
     * Seeded data of one of three kinds: TestBits' patterns (NaN, ±∞, subnormals: sums meet them
     * early), small integers (exact sums, ±0 and cancellation), or finite weight-like values with
     * finite specials, so long sums stay numbers and every bit of them is compared.
     */
    static Operand data(Arena arena, DType t, int n, int offset, long seed) {
        return switch ((int) (seed % 3)) {
            case 0 -> TestBits.fill(arena, t, n, offset, seed);
            case 1 -> KernelOpGen.integers(arena, t, n, offset, seed);
            default -> finite(arena, t, n, offset, seed);
        };
    }

    private static final float[] FINITE_EDGES = {0f, -0f, Float.MIN_VALUE, -Float.MIN_NORMAL, 0x1p-24f, 0x1p-130f, 1f,
        -1f, 65504f, 0x1p-14f};

    private static Operand finite(Arena arena, DType t, int n, int offset, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        MemorySegment s = arena.allocate((long) n * t.size() + offset + 1, 64).asSlice(offset, (long) n * t.size());
        for (int j = 0; j < n; j++) {
            float v = r.nextInt(20) == 0 ? FINITE_EDGES[r.nextInt(FINITE_EDGES.length)] : (float) (r.nextGaussian() * 0.02);
            switch (t) {
                case F32 -> s.set(ValueLayout.JAVA_FLOAT_UNALIGNED, 4L * j, v);
                case BF16 -> s.set(TestBits.I16, 2L * j, Bf16.fromFloat(v));
                case F16 -> s.set(TestBits.I16, 2L * j, F16.fromFloat(v));
                case F64 -> s.set(TestBits.I64, 8L * j, Double.doubleToRawLongBits(v * (1 + 0x1p-40)));
                case F8_E4M3 -> s.set(ValueLayout.JAVA_BYTE, j, F8E4M3.fromFloat(Math.min(400f, v * 100)));
                case F8_E5M2 -> s.set(ValueLayout.JAVA_BYTE, j, F8E5M2.fromFloat(Math.min(400f, v * 100)));
                default -> throw new IllegalArgumentException(t.toString());
            }
        }
        return new Operand(s, t);
    }
}
