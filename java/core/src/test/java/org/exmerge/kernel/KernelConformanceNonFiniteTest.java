package org.exmerge.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.exmerge.format.DType;
import org.exmerge.kernel.KernelConformanceTest.Target;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The conformance suite's {@link Kernels#firstNonFinite} cases: every backend (the native one on
 * every ISA path) finds the element the test planted, as the spec does, for every float type
 * (F8_E4M3's only non-finite values are its NaNs, 0x7f and 0xff; its 0x7e..0x78 are finite), every
 * length around the SIMD steps, every byte offset of the run, and every kind of non-finite value,
 * with a second one planted later and bytes past the run that would read as non-finite.
 */
class KernelConformanceNonFiniteTest {
    private static final DType[] FLOATS = {DType.F64, DType.F32, DType.F16, DType.BF16, DType.F8_E5M2, DType.F8_E4M3};
    private static final int[] LENGTHS = {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255,
        256, 257, 1023, 4097};
    private static final JavaKernels SPEC = new JavaKernels();

    /** Non-finite bits of each type: +inf, -inf, quiet, signalling and negative NaNs (E4M3: its two NaNs). */
    private static long[] nonFinite(DType t) {
        return switch (t) {
            case F64 -> new long[] {0x7ff0_0000_0000_0000L, 0xfff0_0000_0000_0000L, 0x7ff8_0000_0000_0000L,
                0x7ff0_0000_0000_0001L, 0xffff_ffff_ffff_ffffL};
            case F32 -> new long[] {0x7f80_0000L, 0xff80_0000L, 0x7fc0_0000L, 0x7f80_0001L, 0xffff_ffffL};
            case F16 -> new long[] {0x7c00, 0xfc00, 0x7e00, 0x7c01, 0xffff};
            case BF16 -> new long[] {0x7f80, 0xff80, 0x7fc0, 0x7f81, 0xffff};
            case F8_E5M2 -> new long[] {0x7c, 0xfc, 0x7e, 0x7d, 0xff};
            case F8_E4M3 -> new long[] {0x7f, 0xff};
            default -> new long[0];
        };
    }

    /** Finite bits just below the non-finite ones (largest magnitudes, E4M3's 448 and its neighbours). */
    private static long[] nearMisses(DType t) {
        return switch (t) {
            case F64 -> new long[] {0x7fef_ffff_ffff_ffffL, 0xffef_ffff_ffff_ffffL};
            case F32 -> new long[] {0x7f7f_ffffL, 0xff7f_ffffL};
            case F16 -> new long[] {0x7bff, 0xfbff};
            case BF16 -> new long[] {0x7f7f, 0xff7f};
            case F8_E5M2 -> new long[] {0x7b, 0xfb};
            case F8_E4M3 -> new long[] {0x7e, 0xfe, 0x78, 0x7d};
            default -> new long[] {0};
        };
    }

    private static void put(MemorySegment s, int size, long i, long bits) {
        switch (size) {
            case 1 -> s.set(ValueLayout.JAVA_BYTE, i, (byte) bits);
            case 2 -> s.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 2 * i, (short) bits);
            case 4 -> s.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4 * i, (int) bits);
            default -> s.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8 * i, bits);
        }
    }

    /** n finite elements at byte offset off of a run followed by 64 bytes of 0xff; random bits, some near misses. */
    private static Operand finite(Arena arena, DType t, int n, int off, SplittableRandom r) {
        int size = t.size();
        MemorySegment all = arena.allocate((long) n * size + off + 64, 64);
        all.fill((byte) 0xff);
        MemorySegment s = all.asSlice(off);
        long lane = NonFinite.laneMask(t);
        long[] near = nearMisses(t);
        for (int i = 0; i < n; i++) {
            long bits = r.nextInt(8) == 0 ? near[r.nextInt(near.length)] : r.nextLong();
            if ((bits & lane) == lane) {
                bits &= ~(lane & -lane); // the lane's lowest bit off: finite
            }
            put(s, size, i, bits);
        }
        return new Operand(s, t);
    }

    private static void check(Target t, String at, Operand data, int n, long expected) {
        assertThat(SPEC.firstNonFinite(data, n)).as("%s: the spec", at).isEqualTo(expected);
        assertThat(t.kernels().firstNonFinite(data, n)).as("%s: %s", at, t).isEqualTo(expected);
    }

    @ParameterizedTest
    @MethodSource("org.exmerge.kernel.KernelConformanceTest#targets")
    void findsThePlantedElementForEveryTypeLengthOffsetAndPosition(Target t) {
        t.run(() -> {
            SplittableRandom r = new SplittableRandom(40_000);
            for (DType type : FLOATS) {
                long[] bad = nonFinite(type);
                for (int n : LENGTHS) {
                    for (int off = 0; off < 8; off++) {
                        try (Arena arena = Arena.ofConfined()) {
                            Operand data = finite(arena, type, n, off, r);
                            String at = String.format("%s n %d offset %d", type, n, off);
                            check(t, at + " all finite", data, n, -1);
                            // Every position for short runs; for long ones the ends, the SIMD step edges and a few more.
                            int[] positions = n <= 300 ? java.util.stream.IntStream.range(0, n).toArray()
                                    : new int[] {0, 1, 127, 128, 255, 256, n / 2, n - 2, n - 1, r.nextInt(n)};
                            for (int p : positions) {
                                long bits = bad[r.nextInt(bad.length)];
                                put(data.segment(), type.size(), p, bits);
                                int later = p + 1 + r.nextInt(Math.max(1, n - p));
                                if (later < n) {
                                    put(data.segment(), type.size(), later, bad[r.nextInt(bad.length)]);
                                }
                                check(t, String.format("%s at %d (%x), another at %d", at, p, bits, later), data, n, p);
                                if (p > 0) {
                                    check(t, at + " only the first " + p, data, p, -1); // the run ends before it
                                }
                                Operand clean = finite(arena, type, n, off, new SplittableRandom(p));
                                MemorySegment.copy(clean.segment(), 0, data.segment(), 0, (long) n * type.size());
                            }
                        }
                    }
                }
            }
        });
    }

    @ParameterizedTest
    @MethodSource("org.exmerge.kernel.KernelConformanceTest#targets")
    void integersHeapSegmentsAndEmptyRuns(Target t) {
        t.run(() -> {
            MemorySegment ones = MemorySegment.ofArray(new byte[64]);
            ones.fill((byte) 0xff);
            for (DType type : new DType[] {DType.I64, DType.I32, DType.I16, DType.I8, DType.U8, DType.BOOL}) {
                check(t, type + " all ones", new Operand(ones, type), 64 / type.size(), -1);
            }
            for (DType type : FLOATS) {
                MemorySegment heap = MemorySegment.ofArray(new byte[40 * type.size()]);
                put(heap, type.size(), 29, nonFinite(type)[0]);
                check(t, type + " heap", new Operand(heap, type), 40, 29);
                check(t, type + " empty", new Operand(heap, type), 0, -1);
            }
        });
    }
}
