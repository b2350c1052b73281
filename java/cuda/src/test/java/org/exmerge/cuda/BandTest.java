package org.exmerge.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.exmerge.format.DType;
import org.exmerge.kernel.JavaKernels;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.TestBits;
import org.exmerge.numeric.MagnitudeSelect;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * tauBand on the emulated device against the spec. The device appends the band's keys in whatever
 * order its threads take slots, so the band is compared as a sorted multiset; the counts and the
 * total between must be the spec's exactly, also when the band overflows (then the band must hold
 * as many of the keys between as fit, and nothing past them). Each case runs with roomy lanes and
 * with lanes so small that a call is cut into many sub-chunks over both halves.
 */
class BandTest {
    private static final JavaKernels SPEC = new JavaKernels();
    private static final int NAN_KEY = MagnitudeSelect.NAN_KEY;
    private static final int UNTOUCHED = -1;
    /** A band length for {@link #check}: three more than the keys between, as a caller that sized it right. */
    private static final int FIT = -1;

    /**
     * Roomy lanes (64 KiB halves, one kernel for every call, so its lanes grow as bands need), and
     * small ones made afresh for each call: a lane grows only as far as 64 elements and the band
     * take, so a call of thousands of elements is cut into dozens of sub-chunks over both halves.
     */
    private record Target(String name, Supplier<CudaKernels> kernels) {}

    private static Target[] targets() {
        EmulatedDevice d = EmulatedDevice.get();
        Assumptions.assumeTrue(d != null, () -> "emulator not built here: " + EmulatedDevice.unavailable());
        CudaKernels roomy = new CudaKernels(d, 1L << 24, 1L << 16);
        return new Target[] {new Target("roomy", () -> roomy), new Target("small", () -> new CudaKernels(d, 1L << 20, 4096))};
    }

    @Test
    void countsAndBandMatchTheSpecForEveryMixStartAndLength() {
        DType[][] mixes = {{DType.BF16, DType.BF16}, {DType.F16, DType.BF16}, {DType.F32, DType.F16},
            {DType.BF16, DType.F32}, {DType.F32, DType.F32}, {DType.F16, DType.F16}, {DType.F8_E4M3, DType.F8_E5M2}};
        int n = 40_000; // several sub-chunks of a fresh 64 KiB half (until a wide band grows the roomy lanes)
        Target[] ts = targets();
        try (Arena arena = Arena.ofConfined()) {
            for (int m = 0; m < mixes.length; m++) {
                Operand x = TestBits.fill(arena, mixes[m][0], n, m % 2, 100 + m);
                Operand base = TestBits.fill(arena, mixes[m][1], n, 0, 200 + m);
                int[] keys = between(x, base, n, 0, NAN_KEY);
                int[][] bands = {{keys[keys.length / 2], keys[keys.length / 2 + keys.length / 20]}, // a narrow band
                    {keys[keys.length / 10], keys[keys.length * 9 / 10]}, {0, NAN_KEY}, {0, keys[keys.length / 3]},
                    {keys[keys.length / 3], NAN_KEY}, {keys[keys.length / 4], keys[keys.length / 4]}, {0, 0},
                    {NAN_KEY, NAN_KEY}};
                for (Target k : ts) {
                    for (int[] b : bands) {
                        for (long[] range : new long[][] {{0, n}, {0, 0}, {7, 0}, {0, 1}, {5, 1}, {3, 255}, {1, 257},
                            {1_000, n - 1_000}, {n - 301, 301}, {n - 1, 1}}) {
                            check(k, x, base, range[0], range[1], b[0], b[1], FIT);
                        }
                    }
                }
            }
        }
    }

    @Test
    void nansInfinitiesAndSignedZerosCountAtTheirKeys() {
        float[] specials = {Float.NaN, Float.intBitsToFloat(0xFFC00123), Float.intBitsToFloat(0x7FA00001),
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE,
            Float.MAX_VALUE, -Float.MAX_VALUE, 1f, -1f};
        int n = 9_000;
        SplittableRandom r = new SplittableRandom(5);
        float[] xv = new float[n];
        float[] bv = new float[n];
        for (int j = 0; j < n; j++) {
            xv[j] = r.nextInt(3) == 0 ? specials[r.nextInt(specials.length)] : (float) r.nextGaussian();
            bv[j] = r.nextInt(3) == 0 ? specials[r.nextInt(specials.length)] : (float) r.nextGaussian();
        }
        Target[] ts = targets();
        try (Arena arena = Arena.ofConfined()) {
            Operand x = f32(arena, xv);
            Operand base = f32(arena, bv);
            int inf = Float.floatToRawIntBits(Float.POSITIVE_INFINITY);
            int one = Float.floatToRawIntBits(1f);
            for (Target k : ts) {
                for (int[] b : new int[][] {{0, NAN_KEY}, {0, inf}, {inf, NAN_KEY}, {inf, inf}, {0, 0}, {NAN_KEY, NAN_KEY},
                    {one, inf}, {1, one}}) {
                    check(k, x, base, 0, n, b[0], b[1], FIT);
                    check(k, x, base, 11, n - 11, b[0], b[1], 64);
                }
            }
        }
    }

    @Test
    void anOverflowingBandStillReturnsTheExactTotalAndFillsTheBand() {
        int n = 30_000;
        Target[] ts = targets();
        try (Arena arena = Arena.ofConfined()) {
            Operand x = TestBits.fill(arena, DType.BF16, n, 0, 31);
            Operand base = TestBits.fill(arena, DType.F16, n, 0, 32);
            int[] keys = between(x, base, n, 0, NAN_KEY);
            int lo = keys[keys.length / 5];
            int hi = keys[keys.length * 4 / 5];
            int total = between(x, base, n, lo, hi).length;
            assertThat(total).isGreaterThan(1_000);
            for (Target k : ts) {
                for (int length : new int[] {0, 1, 7, 1_000, total - 1, total, total + 1}) {
                    check(k, x, base, 0, n, lo, hi, length);
                    check(k, x, base, 13, n - 13, lo, hi, length);
                }
            }
        }
    }

    @Test
    void whatTheKernelDoesNotTakeGoesToTheSpecAndBadArgumentsAreRefusedAlike() {
        CudaKernels k = targets()[0].kernels().get();
        try (Arena arena = Arena.ofConfined()) {
            int n = 100;
            Operand x = TestBits.fill(arena, DType.BF16, n, 0, 41);
            Operand base = TestBits.fill(arena, DType.BF16, n, 0, 42);
            Operand f64 = TestBits.fill(arena, DType.F64, n, 0, 43);
            long[] counts = new long[3];
            int[] band = new int[n];
            assertThatThrownBy(() -> k.tauBand(x, null, 0, n, 0, NAN_KEY, counts, band))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("need a base");
            assertThatThrownBy(() -> k.tauBand(f64, base, 0, n, 0, NAN_KEY, counts, band))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("F64 inputs are not supported");
            for (Runnable bad : new Runnable[] {() -> k.tauBand(x, base, 0, n, -1, 5, counts, band),
                () -> k.tauBand(x, base, 0, n, 6, 5, counts, band), () -> k.tauBand(x, base, 0, n, 0, NAN_KEY + 1, counts, band),
                () -> k.tauBand(x, base, 0, n, 0, 5, new long[2], band), () -> k.tauBand(x, base, -1, n, 0, 5, counts, band),
                () -> k.tauBand(x, base, 0, -1, 0, 5, counts, band)}) {
                assertThatThrownBy(bad::run).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("tauBand: keys");
            }
            assertThat(counts).containsOnly(0L);
            assertThat(k.fallbacks()).containsExactly(Map.entry("tauBand", 8L));
        }
    }

    /**
     * One call on both backends, from counts that are not zero (the op adds to them) and a band of
     * {@code bandLength} (or {@link #FIT}) marked entries; the device's stored keys must be the spec's as a multiset, or
     * when the band overflows, as many keys of the full multiset between as the band holds. The
     * call must run on the device: nothing may reach the spec through a fallback.
     */
    private static void check(Target t, Operand x, Operand base, long start, long n, int lo, int hi, int bandLength) {
        int length = bandLength != FIT ? bandLength : (int) SPEC.tauBand(x, base, start, n, lo, hi, new long[3], new int[0]) + 3;
        String what = String.format("%s - %s, elements %d + %d, keys 0x%08X to 0x%08X, band %d, %s lanes", x.type(),
                base.type(), start, n, lo, hi, length, t.name());
        CudaKernels k = t.kernels().get();
        long[] want = {3, 5, 7};
        long[] got = want.clone();
        int[] wantBand = new int[length];
        int[] gotBand = new int[length];
        Arrays.fill(wantBand, UNTOUCHED);
        Arrays.fill(gotBand, UNTOUCHED);
        long wantBetween = SPEC.tauBand(x, base, start, n, lo, hi, want, wantBand);
        long gotBetween = k.tauBand(x, base, start, n, lo, hi, got, gotBand);
        assertThat(gotBetween).as(what).isEqualTo(wantBetween);
        assertThat(got).as(what).isEqualTo(want);
        int stored = (int) Math.min(wantBetween, length);
        int[] gotKeys = sorted(Arrays.copyOf(gotBand, stored));
        if (wantBetween <= length) {
            assertThat(gotKeys).as(what).isEqualTo(sorted(Arrays.copyOf(wantBand, stored)));
        } else {
            int[] all = new int[(int) wantBetween];
            SPEC.tauBand(x, base, start, n, lo, hi, new long[3], all);
            assertThat(subMultiset(gotKeys, sorted(all))).as(what).isTrue();
        }
        int[] untouched = new int[length - stored];
        Arrays.fill(untouched, UNTOUCHED);
        assertThat(Arrays.copyOfRange(gotBand, stored, length)).as(what).isEqualTo(untouched);
        assertThat(k.fallbacks()).as(what).isEmpty();
    }

    /** The spec's keys strictly between {@code lo} and {@code hi} over {@code [0, n)}, ascending. */
    private static int[] between(Operand x, Operand base, int n, int lo, int hi) {
        int[] band = new int[n];
        long count = SPEC.tauBand(x, base, 0, n, lo, hi, new long[3], band);
        return sorted(Arrays.copyOf(band, (int) count));
    }

    private static int[] sorted(int[] keys) {
        int[] s = keys.clone();
        Arrays.sort(s);
        return s;
    }

    /** Whether every key of ascending {@code part} is in ascending {@code all}, as often as it occurs. */
    private static boolean subMultiset(int[] part, int[] all) {
        int a = 0;
        for (int key : part) {
            while (a < all.length && all[a] < key) {
                a++;
            }
            if (a == all.length || all[a] != key) {
                return false;
            }
            a++;
        }
        return true;
    }

    private static Operand f32(Arena arena, float[] values) {
        MemorySegment s = arena.allocate(4L * values.length, 64);
        MemorySegment.copy(values, 0, s, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, values.length);
        return new Operand(s, DType.F32);
    }
}
