package org.exmerge.kernel.ffm;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.exmerge.format.DType;
import org.exmerge.kernel.JavaKernels;
import org.exmerge.kernel.KernelOpGen;
import org.exmerge.kernel.LinearOp;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.TestBits;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * numerics §2's fused kernel: every ISA path of the C library against JavaKernels, byte for byte, over
 * every mix of input, base and output types, sizes that hit every vector and tile tail, misaligned
 * offsets, and NaN/Inf/subnormal/−0 data. Seeds are in every failure message.
 */
class NativeLinearTest {
    static final DType[] TYPES = {DType.BF16, DType.F16, DType.F32};
    static final int[] SIZES = {0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 1023, 1024, 1025, 2049, 4097};
    static final int[] LARGE = {65535, 65537};
    private final JavaKernels spec = new JavaKernels();
    private static NativeKernels nat;

    @BeforeEach
    void load() {
        NativeTestSupport.requireNative(); // per test, so a machine without the library shows each one skipped
        nat = NativeKernels.instance();
    }

    private void check(int isa, long seed, DType[] inTypes, DType baseType, DType outType, int n, int offset) {
        SplittableRandom r = new SplittableRandom(seed);
        LinearOp op = KernelOpGen.linear(r, inTypes.length, baseType != null);
        try (Arena arena = Arena.ofConfined()) {
            Operand[] xs = new Operand[inTypes.length];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = TestBits.fill(arena, inTypes[i], n, offset + i, seed * 31 + i);
            }
            Operand base = baseType == null ? null : TestBits.fill(arena, baseType, n, offset + 3, seed * 31 + 7);
            Operand want = TestBits.output(arena, outType, n, 0);
            Operand got = TestBits.output(arena, outType, n, offset);
            spec.linear(op, xs, base, want, n);
            nat.linear(op, xs, base, got, n);
            long j = TestBits.firstDifference(want, got, n);
            assertThat(j).as("isa %s seed %d inputs %s base %s out %s n %d offset %d: element %d java %s native %s",
                    CpuFeatures.isaName(isa), seed, List.of(inTypes), baseType, outType, n, offset, j,
                    j < 0 ? "" : TestBits.show(want, j), j < 0 ? "" : TestBits.show(got, j)).isEqualTo(-1);
        }
    }

    @Test
    void everyTypeMixSizeAndOffsetMatchesTheJavaKernelsOnEveryIsa() throws Exception {
        for (int isa : NativeTestSupport.isas()) {
            NativeTestSupport.onIsa(isa, () -> {
                long seed = 1000L * isa;
                for (DType x1 : TYPES) {
                    for (DType x2 : TYPES) {
                        for (DType out : TYPES) {
                            List<DType> bases = new ArrayList<>(List.of(TYPES));
                            bases.add(null);
                            for (DType b : bases) {
                                for (int n : SIZES) {
                                    check(isa, ++seed, new DType[] {x1, x2}, b, out, n, (int) (seed % 5));
                                }
                            }
                        }
                    }
                }
            });
        }
    }

    @Test
    void largeSizesCrossManyTilesOnEveryIsa() throws Exception {
        for (int isa : NativeTestSupport.isas()) {
            NativeTestSupport.onIsa(isa, () -> {
                long seed = 50_000L + 100L * isa;
                for (DType t : TYPES) {
                    for (int n : LARGE) {
                        check(isa, ++seed, new DType[] {DType.BF16, t}, t, DType.BF16, n, 1);
                        check(isa, ++seed, new DType[] {t, DType.F16, DType.F32}, DType.BF16, t, n, 3);
                        check(isa, ++seed, new DType[] {t}, null, DType.F16, n, 2);
                    }
                }
            });
        }
    }

    @Test
    void outputsBigEnoughForStreamingStoresMatchAtEveryAlignment() throws Exception {
        // At 1 MiB of output the AVX2 and AVX-512 paths stream (non-temporal stores from the first
        // 64-byte boundary; the head before it is stored as usual). Byte offsets 0, 2, 4, 62, 32, 48
        // give 16-bit heads of 0, 31, 30, 1, 16, 8 elements and F32 heads of 0, 15, 8, 4 (13 at 12):
        // whole vectors, vectors and a scalar rest, scalars only. Offset 1 (and 2 or 62 for F32)
        // leaves no element on a line boundary, so nothing streams. The tail after varies too.
        for (int isa : NativeTestSupport.isas()) {
            NativeTestSupport.onIsa(isa, () -> {
                long seed = 90_000L + 100L * isa;
                for (DType t : TYPES) {
                    int n = (1 << 20) / t.size() + 37;
                    for (int offset : new int[] {0, 2, 4, 62, 32, 48, 1}) {
                        check(isa, ++seed, new DType[] {t, t}, t, t, n, offset);
                    }
                    // Three inputs and none: the unrolled and the generic loops stream too.
                    for (int offset : new int[] {0, 2, 48}) {
                        check(isa, ++seed, new DType[] {t, t, t}, t, t, n, offset);
                        check(isa, ++seed, new DType[] {t, t, t}, null, t, n, offset);
                        check(isa, ++seed, new DType[] {t, t, t, t, t}, t, t, n, offset);
                    }
                    check(isa, ++seed, new DType[] {t}, null, DType.F32, n, 12);
                }
            });
        }
    }

    @Test
    void inputCountsFromZeroToSixMatch() throws Exception {
        for (int isa : NativeTestSupport.isas()) {
            NativeTestSupport.onIsa(isa, () -> {
                long seed = 70_000L + 100L * isa;
                for (int k = 0; k <= 6; k++) {
                    DType[] in = new DType[k];
                    for (int i = 0; i < k; i++) {
                        in[i] = TYPES[(i + k) % 3];
                    }
                    check(isa, ++seed, in, DType.F32, DType.BF16, 1031, 1);
                    check(isa, ++seed, in, null, DType.F32, 1031, 2);
                    // One type throughout: the register-resident path (linear_direct) rather than tiles.
                    for (DType t : TYPES) {
                        DType[] same = new DType[k];
                        java.util.Arrays.fill(same, t);
                        check(isa, ++seed, same, t, TYPES[k % 3], 1031 + k, k % 4);
                        check(isa, ++seed, same, null, t, 1031 + k, 1);
                    }
                }
            });
        }
    }

    @Test
    void heapSegmentsAreStagedAndGiveTheSameBytes() {
        float[] x = {1.5f, -2f, Float.NaN, 3e-39f, 65520f};
        float[] b = {0.25f, 1f, 2f, -0f, 1f};
        LinearOp op = new LinearOp(new double[] {1.25}, true, false, 1, 0.5);
        Operand xs = new Operand(MemorySegment.ofArray(x.clone()), DType.F32);
        Operand bs = new Operand(MemorySegment.ofArray(b.clone()), DType.F32);
        Operand want = new Operand(MemorySegment.ofArray(new short[5]), DType.F16);
        Operand got = new Operand(MemorySegment.ofArray(new short[5]), DType.F16);
        spec.linear(op, new Operand[] {xs}, bs, want, 5);
        nat.linear(op, new Operand[] {xs}, bs, got, 5);
        assertThat(TestBits.firstDifference(want, got, 5)).isEqualTo(-1);
        assertThat(got.segment().toArray(java.lang.foreign.ValueLayout.JAVA_SHORT)).isNotEqualTo(new short[5]);
    }
}
