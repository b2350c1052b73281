package org.exmerge.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.exmerge.format.DType;
import org.exmerge.kernel.ffm.NativeTestSupport;
import org.exmerge.numeric.F8E4M3;
import org.exmerge.numeric.F8E5M2;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The one conformance suite every backend runs (numerics §1: every backend writes the Java spec's
 * bytes): each {@link Kernels} op on seeded data over every type mix (F64 and F8 included, which a
 * backend may hand to the spec), tails from 0 to 65,537, misaligned operands and special values,
 * compared with {@link JavaKernels} byte for byte; where the spec refuses (F64 narrowed to 16 bits),
 * the backend must refuse the same way. Targets are the providers of {@link Backends#providers()}; a
 * backend with several code paths runs on each (native: every ISA path this CPU has). Seeds, types
 * and sizes are in every message. KernelConformanceSparseTest (numerics §3) and
 * KernelConformanceGeometricTest (numerics §4's pair sums, the per-vector linear op) hold the other ops.
 * The ISA-specific corners (streaming stores, tile edges, DELLA row cuts) stay in kernel/ffm's Native*Test.
 * Other modules' tests add targets through {@link ConformanceTargets}.
 */
class KernelConformanceTest {
    static final DType[] TYPES = {DType.BF16, DType.F16, DType.F32, DType.F64, DType.F8_E4M3, DType.F8_E5M2};
    static final int[] TAILS = {0, 1, 15, 16, 17, 33, 1023, 4097, 65537};
    static final Set<String> OPS = Set.of("linear", "linearPerVector", "convert", "pairSums", "tauHistogram",
            "tauBand", "tauKeys", "kthLargestKey", "sparseNorms", "sparseMerge", "keptCounts", "nearswap", "sceHistogram", "sceSquares", "sceMerge", "fusionHistogram",
            "fusionMerge", "loraRows", "svdTimes", "svdTransposeTimes", "firstNonFinite");
    private static final JavaKernels SPEC = new JavaKernels();

    /** One backend on one of its code paths; {@code kernels} is null when the backend cannot run here. */
    record Target(String label, Kernels kernels, String unavailable, Consumer<NativeTestSupport.Body> onPath) {
        @Override
        public String toString() {
            return label;
        }

        void run(NativeTestSupport.Body body) {
            Assumptions.assumeTrue(kernels != null, () -> label + " unavailable here: " + unavailable);
            onPath.accept(body);
        }
    }

    static Stream<Target> targets() {
        List<Target> out = new ArrayList<>();
        for (KernelProvider p : Backends.providers()) {
            if (!p.available()) {
                if (wanted(p.name())) {
                    out.add(new Target(p.name(), null, p.unavailableReason(), b -> { }));
                }
            } else if (p.name().equals("native")) {
                // The native backend picks an ISA path at load; each one this CPU runs must conform
                // (a prefix such as native/avx512 picks one path alone).
                for (int isa : NativeTestSupport.isas()) {
                    String label = "native/" + NativeTestSupport.isaName(isa);
                    if (wanted(label)) {
                        out.add(new Target(label, p.kernels(), null,
                                b -> NativeTestSupport.unchecked(() -> NativeTestSupport.onIsa(isa, b))));
                    }
                }
            } else if (wanted(p.name())) {
                out.add(new Target(p.name(), p.kernels(), null, b -> NativeTestSupport.unchecked(b)));
            }
        }
        for (ConformanceTargets more : ServiceLoader.load(ConformanceTargets.class)) {
            for (ConformanceTargets.Extra e : more.targets()) {
                if (wanted(e.label())) {
                    out.add(new Target(e.label(), e.kernels(), e.unavailable(), b -> NativeTestSupport.unchecked(b)));
                }
            }
        }
        return out.stream();
    }

    /** Whether {@code label} starts with a prefix of {@code -Dexmerge.conformance.targets} (all when unset). */
    private static boolean wanted(String label) {
        String only = System.getProperty("exmerge.conformance.targets");
        return only == null || only.isBlank() || Arrays.stream(only.split(",")).anyMatch(p -> label.startsWith(p.trim()));
    }

    /** Runs the spec and the backend; both must refuse alike, or write the same bytes into {@code want}/{@code got}. */
    static void same(String context, Operand want, Operand got, long n, Runnable spec, Runnable backend) {
        if (refusedAlike(context, spec, backend)) {
            return;
        }
        long j = TestBits.firstDifference(want, got, n);
        assertThat(j).as("%s: element %d spec %s backend %s", context, j, j < 0 ? "" : TestBits.show(want, j),
                j < 0 ? "" : TestBits.show(got, j)).isEqualTo(-1);
    }

    /**
     * Runs the spec, then the backend; true when the spec refused the arguments (types it does not
     * take yet), after checking the backend refuses with the same exception and message.
     */
    static boolean refusedAlike(String context, Runnable spec, Runnable backend) {
        try {
            spec.run();
        } catch (IllegalArgumentException e) {
            assertThatThrownBy(backend::run).as(context).isInstanceOf(e.getClass()).hasMessage(e.getMessage());
            return true;
        }
        backend.run();
        return false;
    }

    @ParameterizedTest
    @MethodSource("targets")
    void linearMatchesTheSpecOverEveryTypeMixTailAndOffset(Target t) {
        t.run(() -> {
            long seed = 100;
            List<DType> bases = new ArrayList<>(Arrays.asList(TYPES));
            bases.add(null);
            for (DType x1 : TYPES) {
                for (DType x2 : TYPES) {
                    for (DType b : bases) {
                        seed++;
                        DType out = TYPES[(int) (seed % TYPES.length)];
                        int n = TAILS[(int) (seed % TAILS.length)];
                        linear(t, seed, new DType[] {x1, x2}, b, out, n, (int) (seed % 5));
                    }
                }
            }
            for (int k = 0; k <= 3; k++) { // input counts around the two above, one type throughout
                for (DType x : TYPES) {
                    DType[] in = new DType[k];
                    Arrays.fill(in, x);
                    linear(t, ++seed, in, k % 2 == 0 ? x : null, x, 1023 + k, k);
                }
            }
        });
    }

    private static void linear(Target t, long seed, DType[] types, DType baseType, DType outType, int n, int offset) {
        SplittableRandom r = new SplittableRandom(seed);
        LinearOp op = KernelOpGen.linear(r, types.length, baseType != null);
        try (Arena arena = Arena.ofConfined()) {
            Operand[] xs = new Operand[types.length];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = TestBits.fill(arena, types[i], n, offset + i, seed * 31 + i);
            }
            Operand base = baseType == null ? null : TestBits.fill(arena, baseType, n, offset + 3, seed * 31 + 7);
            Operand want = TestBits.output(arena, outType, n, 0);
            Operand got = TestBits.output(arena, outType, n, offset);
            String context = String.format("%s linear seed %d inputs %s base %s out %s n %d offset %d", t, seed,
                    List.of(types), baseType, outType, n, offset);
            long[] check = {-2};
            same(context, want, got, n, () -> SPEC.linear(op, xs, base, want, n),
                    () -> check[0] = t.kernels().linear(op, xs, base, got, n));
            checkedAsWritten(context, got, n, check[0]);
        }
    }

    /**
     * An op's output check (a backend that ran it; -2 where it refused) is what firstNonFinite finds
     * in what the op wrote; KernelConformanceOutputCheckTest places the non-finite element on purpose.
     */
    static void checkedAsWritten(String context, Operand got, long n, long check) {
        if (check != -2) {
            assertThat(check).as("%s: the op's output check", context).isEqualTo(SPEC.firstNonFinite(got, n));
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void convertMatchesTheSpecForEveryTypePairAndCopiesIntegers(Target t) {
        t.run(() -> {
            long seed = 9000;
            List<DType[]> pairs = new ArrayList<>();
            for (DType from : TYPES) {
                for (DType to : TYPES) {
                    pairs.add(new DType[] {from, to});
                }
            }
            for (DType[] p : pairs) {
                for (int rep = 0; rep < 2; rep++) {
                    seed++;
                    int n = TAILS[(int) (seed % TAILS.length)];
                    int offset = (int) (seed % 7);
                    try (Arena arena = Arena.ofConfined()) {
                        Operand in = TestBits.fill(arena, p[0], n, offset, seed);
                        Operand want = TestBits.output(arena, p[1], n, 0);
                        Operand got = TestBits.output(arena, p[1], n, offset + 1);
                        same(String.format("%s convert seed %d %s->%s n %d offset %d", t, seed, p[0], p[1], n, offset),
                                want, got, n, () -> SPEC.convert(in, want, n), () -> t.kernels().convert(in, got, n));
                    }
                }
            }
            // Integer tensors are copied, never computed on (numerics §1).
            try (Arena arena = Arena.ofConfined()) {
                Operand in = new Operand(TestBits.fill(arena, DType.F32, 33, 3, 5).segment(), DType.I32);
                Operand got = TestBits.output(arena, DType.I32, 33, 1);
                t.kernels().convert(in, got, 33);
                assertThat(got.segment().mismatch(in.segment())).as("%s I32 copy", t).isEqualTo(-1);
            }
        });
    }

    /** Thresholds for nearswap: 0, below and around the 1e-6 floor, typical, past 1 and huge. */
    static final double[] NEARSWAP_T = {0.0, 1e-7, 1e-6, 1e-4, 0.01, 0.5, 3.0, 1e30};

    @ParameterizedTest
    @MethodSource("targets")
    void nearswapMatchesTheSpecOverEveryTypeMixTailAndOffset(Target t) {
        t.run(() -> {
            long seed = 12_000;
            for (DType tb : TYPES) {
                for (DType tx : TYPES) {
                    seed++;
                    DType out = TYPES[(int) (seed % TYPES.length)];
                    int n = TAILS[(int) (seed % TAILS.length)];
                    int offset = (int) (seed % 5);
                    double th = NEARSWAP_T[(int) (seed % NEARSWAP_T.length)];
                    try (Arena arena = Arena.ofConfined()) {
                        Operand b = TestBits.fill(arena, tb, n, offset, seed);
                        // Every third case the other model is the base's own data: v0 == v1 throughout.
                        Operand x = seed % 3 == 0 && tb == tx ? b : TestBits.fill(arena, tx, n, offset + 1, seed + 1);
                        nearswap(t, String.format("seed %d base %s x %s out %s n %d offset %d t %s", seed, tb, tx, out, n,
                                offset, th), th, b, x, out, n, offset, arena);
                    }
                }
            }
        });
    }

    @ParameterizedTest
    @MethodSource("targets")
    void nearswapMatchesTheSpecOnEveryPairOfSpecialValues(Target t) {
        float[] special = {0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 1f, -1f, 1e-6f, 1e-7f,
            Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE, 0.02f, Math.nextUp(0.02f), 3e-5f, -2.5e-5f, 65504f};
        int k = special.length;
        float[] v0 = new float[k * k];
        float[] v1 = new float[k * k];
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                v0[i * k + j] = special[i];
                v1[i * k + j] = special[j];
            }
        }
        t.run(() -> {
            for (DType type : TYPES) {
                for (double th : NEARSWAP_T) {
                    try (Arena arena = Arena.ofConfined()) {
                        Operand b = encoded(arena, type, v0, 1);
                        Operand x = encoded(arena, type, v1, 2);
                        DType out = type == DType.F64 ? DType.F64 : type == DType.F32 ? DType.F32 : DType.BF16;
                        nearswap(t, "special values " + type + " t " + th, th, b, x, out, v0.length, 3, arena);
                        nearswap(t, "special values " + type + " t " + th + " out F32", th, b, x, DType.F32, v0.length, 0,
                                arena);
                    }
                }
            }
        });
    }

    private static void nearswap(Target t, String context, double th, Operand b, Operand x, DType outType, int n,
                                 int offset, Arena arena) {
        Operand want = TestBits.output(arena, outType, n, 0);
        Operand got = TestBits.output(arena, outType, n, offset);
        same(t + " nearswap " + context, want, got, n, () -> SPEC.nearswap(th, b, x, want, n),
                () -> t.kernels().nearswap(th, b, x, got, n));
    }

    /** {@code v} stored in {@code type} (rounded as the type's encoder rounds), {@code offset} bytes into its allocation. */
    static Operand encoded(Arena arena, DType type, float[] v, int offset) {
        MemorySegment s = arena.allocate((long) v.length * type.size() + offset + 1, 64).asSlice(offset,
                (long) v.length * type.size());
        for (int j = 0; j < v.length; j++) {
            switch (type) {
                case F64 -> s.set(TestBits.I64, 8L * j, Double.doubleToRawLongBits(v[j]));
                case F32 -> s.set(TestBits.I32, 4L * j, Float.floatToRawIntBits(v[j]));
                case F8_E4M3 -> s.set(ValueLayout.JAVA_BYTE, j, F8E4M3.fromFloat(v[j]));
                case F8_E5M2 -> s.set(ValueLayout.JAVA_BYTE, j, F8E5M2.fromFloat(v[j]));
                default -> MemorySegment.copy(org.exmerge.testing.TestModels.encode(type, new float[] {v[j]}), 0, s,
                        (long) j * type.size(), type.size());
            }
        }
        return new Operand(s, type);
    }
}
