package org.exmerge.kernel.ffm;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.exmerge.format.DType;
import org.exmerge.kernel.JavaKernels;
import org.exmerge.kernel.KernelOpGen;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.TestBits;
import org.exmerge.numeric.MagnitudeSelect;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code Kernels.tauHistogram} (MagnitudeSelect's two passes over τ = x − b, operands at element 0
 * of the tensor, counts over [start, start + n)) on every ISA path against JavaKernels, bucket for
 * bucket, counts added to what the histogram already holds.
 */
class NativeTauHistogramTest {
    static final DType[] TYPES = {DType.BF16, DType.F16, DType.F32};
    static final int[] SIZES = {0, 1, 15, 16, 17, 33, 63, 64, 65, 1025, 4097};
    private final JavaKernels spec = new JavaKernels();
    private static NativeKernels nat;

    @BeforeEach
    void load() {
        NativeTestSupport.requireNative(); // per test, so a machine without the library shows each one skipped
        nat = NativeKernels.instance();
    }

    static long[] prefilled(int buckets, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        long[] h = new long[buckets];
        for (int i = 0; i < 50; i++) {
            h[r.nextInt(buckets)] += 1 + r.nextInt(1000);
        }
        return h;
    }

    @Test
    void bothPassesMatchTheJavaKernelsAtEveryStartOnEveryIsa() throws Exception {
        for (int isa : NativeTestSupport.isas()) {
            NativeTestSupport.onIsa(isa, () -> {
                long seed = 7_000L * (isa + 1);
                for (DType tx : TYPES) {
                    for (DType tb : TYPES) {
                        for (int n : SIZES) {
                            seed++;
                            int start = (int) (seed % 41);
                            try (Arena arena = Arena.ofConfined()) {
                                Operand x = TestBits.fill(arena, tx, start + n, (int) (seed % 3), seed);
                                Operand b = TestBits.fill(arena, tb, start + n, 1, seed + 1);
                                String at = String.format("isa %s seed %d x %s base %s start %d n %d",
                                        CpuFeatures.isaName(isa), seed, tx, tb, start, n);
                                long[] want = prefilled(MagnitudeSelect.HIGH_BUCKETS, seed);
                                long[] got = want.clone();
                                spec.tauHistogram(x, b, start, n, -1, want);
                                nat.tauHistogram(x, b, start, n, -1, got);
                                assertThat(Arrays.mismatch(want, got)).as(at + " high").isEqualTo(-1);
                                // The low pass on the bucket of a real element (so it counts something),
                                // on an empty bucket, and on the top bucket NaN and infinity share.
                                int h = n == 0 ? 0 : MagnitudeSelect.key(KernelOpGen.tau(x, b, start + seed % n)) >>> 16;
                                for (int high : new int[] {h, 0x7F80, 12345}) {
                                    long[] lowWant = prefilled(MagnitudeSelect.LOW_BUCKETS, seed + high);
                                    long[] low = lowWant.clone();
                                    spec.tauHistogram(x, b, start, n, high, lowWant);
                                    nat.tauHistogram(x, b, start, n, high, low);
                                    assertThat(Arrays.mismatch(lowWant, low)).as(at + " low " + high).isEqualTo(-1);
                                }
                            }
                        }
                    }
                }
            });
        }
    }

    /**
     * A high pass long enough for the C to count in interleaved copies of the table (from 65,536
     * elements), on a fine-tune-like task vector whose keys crowd into a few buckets, neighbours
     * often in one: every bucket as the spec counts it, and nothing lost (the sum is n plus what
     * the histogram held). The length is no multiple of the four copies.
     */
    @Test
    void aLongHighPassOnCrowdedKeysCountsEveryKeyOnEveryIsa() throws Exception {
        int n = 4 * 65_536 + 7;
        int start = 5;
        try (Arena arena = Arena.ofConfined()) {
            SplittableRandom r = new SplittableRandom(42);
            Operand x = new Operand(arena.allocate(4L * (start + n)), DType.F32);
            Operand b = new Operand(arena.allocate(4L * (start + n)), DType.F32);
            for (int j = 0; j < start + n; j++) {
                float base = 0.01f * (1 + r.nextInt(4));
                int ulps = r.nextInt(8) < 6 ? 1 : r.nextInt(-3, 4); // runs of one value, some others
                x.segment().setAtIndex(ValueLayout.JAVA_FLOAT, j, Math.nextUp(base) + ulps * Math.ulp(base));
                b.segment().setAtIndex(ValueLayout.JAVA_FLOAT, j, base);
            }
            long[] want = prefilled(MagnitudeSelect.HIGH_BUCKETS, 3);
            long held = Arrays.stream(want).sum();
            spec.tauHistogram(x, b, start, n, -1, want);
            for (int isa : NativeTestSupport.isas()) {
                NativeTestSupport.onIsa(isa, () -> {
                    long[] got = prefilled(MagnitudeSelect.HIGH_BUCKETS, 3);
                    nat.tauHistogram(x, b, start, n, -1, got);
                    assertThat(Arrays.mismatch(want, got)).as("isa %s", CpuFeatures.isaName(isa)).isEqualTo(-1);
                    assertThat(Arrays.stream(got).sum()).isEqualTo(held + n);
                });
            }
        }
    }

    @Test
    void bucketsOutsideTheTableCountNothingAsInTheSpec() {
        try (Arena arena = Arena.ofConfined()) {
            Operand x = TestBits.fill(arena, DType.BF16, 100, 0, 1);
            Operand b = TestBits.fill(arena, DType.BF16, 100, 0, 2);
            long[] want = new long[MagnitudeSelect.LOW_BUCKETS];
            long[] got = new long[MagnitudeSelect.LOW_BUCKETS];
            spec.tauHistogram(x, b, 3, 90, 1 << 15, want);
            nat.tauHistogram(x, b, 3, 90, 1 << 15, got);
            assertThat(got).isEqualTo(want).containsOnly(0L);
        }
    }
}
