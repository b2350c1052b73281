package org.exmerge.kernel.ffm;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.util.Arrays;
import org.exmerge.format.DType;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.TestBits;
import org.exmerge.numeric.MagnitudeSelect;
import org.exmerge.numeric.MagnitudeSource;
import org.exmerge.testing.TestModels;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The two MagnitudeSelect passes over task vectors τ = x − b (and over x alone) on every ISA path:
 * histograms equal numeric.MagnitudeSelect's bucket for bucket, and the threshold they give is the
 * exact one MagnitudeSelect.thresholdKey finds.
 */
class NativeMagnitudeTest {
    static final DType[] TYPES = {DType.BF16, DType.F16, DType.F32};
    private static NativeKernels nat;

    @BeforeEach
    void load() {
        NativeTestSupport.requireNative(); // per test, so a machine without the library shows each one skipped
        nat = NativeKernels.instance();
    }

    /** τ_j as the spec computes it: both widened to float32, one float32 subtraction. */
    static MagnitudeSource tau(Operand x, Operand b, int n) {
        return new MagnitudeSource() {
            @Override
            public long size() {
                return n;
            }

            @Override
            public float get(long i) {
                float xv = TestModels.get(x.segment(), x.type(), i);
                return b == null ? xv : xv - TestModels.get(b.segment(), b.type(), i);
            }
        };
    }

    @Test
    void histogramsAndThresholdsMatchMagnitudeSelectOnEveryIsa() throws Exception {
        for (int isa : NativeTestSupport.isas()) {
            NativeTestSupport.onIsa(isa, () -> {
                long seed = 500L * (isa + 1);
                for (DType tx : TYPES) {
                    for (DType tb : new DType[] {null, DType.BF16, DType.F16, DType.F32}) {
                        for (int n : new int[] {0, 1, 7, 17, 1023, 1025, 5003}) {
                            seed++;
                            try (Arena arena = Arena.ofConfined()) {
                                Operand x = TestBits.fill(arena, tx, n, (int) (seed % 3), seed);
                                Operand b = tb == null ? null : TestBits.fill(arena, tb, n, 1, seed + 1);
                                MagnitudeSource src = tau(x, b, n);
                                String at = String.format("isa %s seed %d x %s base %s n %d", CpuFeatures.isaName(isa),
                                        seed, tx, tb, n);
                                long[] want = MagnitudeSelect.histogramHigh(src, 0, n, new long[MagnitudeSelect.HIGH_BUCKETS]);
                                long[] got = new long[MagnitudeSelect.HIGH_BUCKETS];
                                got[7] = 3; // counts are added to what is there
                                nat.histogramHigh(x, b, n, got);
                                got[7] -= 3;
                                assertThat(Arrays.mismatch(want, got)).as(at + " high").isEqualTo(-1);
                                if (n == 0) {
                                    continue;
                                }
                                long k = 1 + seed % n;
                                int h = MagnitudeSelect.selectBucket(got, k);
                                long[] lowWant = MagnitudeSelect.histogramLow(src, 0, n, h, new long[MagnitudeSelect.LOW_BUCKETS]);
                                long[] low = new long[MagnitudeSelect.LOW_BUCKETS];
                                nat.histogramLow(x, b, n, h, low);
                                assertThat(Arrays.mismatch(lowWant, low)).as(at + " low").isEqualTo(-1);
                                long t = MagnitudeSelect.combine(h, MagnitudeSelect.selectBucket(low, k - MagnitudeSelect.countAbove(got, h)));
                                assertThat(t).as(at + " threshold for k=" + k).isEqualTo(MagnitudeSelect.thresholdKey(src, k));
                            }
                        }
                    }
                }
            });
        }
    }

    @Test
    void fineTuneLikeTaskVectorsWithCrowdedBucketsMatchOnEveryIsa() throws Exception {
        // A BF16 fine-tune a few ulps from its base: τ takes few distinct values, so the bucket at the
        // threshold holds a large share of the elements, scattered (the low pass's masked path).
        for (int isa : NativeTestSupport.isas()) {
            NativeTestSupport.onIsa(isa, () -> {
                for (int n : new int[] {16, 31, 4099, 20011}) {
                    long seed = 9_000L + n + 100L * isa;
                    java.util.Random r = new java.util.Random(seed);
                    try (Arena arena = Arena.ofConfined()) {
                        Operand b = new Operand(arena.allocate(2L * n, 2), DType.BF16);
                        Operand x = new Operand(arena.allocate(2L * n, 2), DType.BF16);
                        for (int j = 0; j < n; j++) {
                            short base = (short) (0x3C00 + r.nextInt(64)); // values near 2^-7
                            b.segment().setAtIndex(java.lang.foreign.ValueLayout.JAVA_SHORT, j, base);
                            x.segment().setAtIndex(java.lang.foreign.ValueLayout.JAVA_SHORT, j, (short) (base + r.nextInt(7) - 3));
                        }
                        MagnitudeSource src = tau(x, b, n);
                        String at = String.format("isa %s seed %d n %d", CpuFeatures.isaName(isa), seed, n);
                        long[] high = new long[MagnitudeSelect.HIGH_BUCKETS];
                        nat.histogramHigh(x, b, n, high);
                        assertThat(Arrays.mismatch(MagnitudeSelect.histogramHigh(src, 0, n,
                                new long[MagnitudeSelect.HIGH_BUCKETS]), high)).as(at + " high").isEqualTo(-1);
                        long k = (long) (0.3 * n) + 1;
                        int h = MagnitudeSelect.selectBucket(high, k);
                        assertThat(high[h]).as(at + ": the threshold bucket is crowded").isGreaterThan(n / 20);
                        long[] low = new long[MagnitudeSelect.LOW_BUCKETS];
                        nat.histogramLow(x, b, n, h, low);
                        assertThat(Arrays.mismatch(MagnitudeSelect.histogramLow(src, 0, n, h,
                                new long[MagnitudeSelect.LOW_BUCKETS]), low)).as(at + " low").isEqualTo(-1);
                    }
                }
            });
        }
    }
}
