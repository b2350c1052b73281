package org.exmerge.numeric;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MagnitudeSelectTest {
    @Test
    void matchesSortingOnTieHeavyDataAtEveryEdgeOfK() {
        long seed = 0x5E1EC7L;
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Integer> sizes = new ArrayList<>();
        for (int n = 0; n <= 70; n++) {
            sizes.add(n);
        }
        for (int i = 0; i < 40; i++) {
            sizes.add(rnd.nextInt(71, 5001));
        }
        sizes.add(5000);
        for (int n : sizes) {
            float[] v = tieHeavy(n, rnd);
            long[] ks = {0, 1, 2, n - 1L, n, n + 1L, n / 2, rnd.nextLong(0, n + 1L), rnd.nextLong(0, n + 1L)};
            for (long k : ks) {
                if (k >= 0) {
                    checkAgainstSort(v, k, "n=" + n + " k=" + k + " seed " + seed);
                }
            }
        }
    }

    @Test
    void scopeModelOverSeveralSourcesEqualsOneConcatenatedSource() {
        long seed = 0x5C0BEL;
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] a = tieHeavy(1000, rnd);
        float[] b = tieHeavy(0, rnd);
        float[] c = tieHeavy(2345, rnd);
        float[] all = new float[a.length + b.length + c.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(c, 0, all, a.length, c.length);
        MagnitudeSource[] parts = {MagnitudeSource.of(a), MagnitudeSource.of(b), MagnitudeSource.of(c)};
        for (long k : new long[] {0, 1, 17, 1000, 3344, 3345, 3346}) {
            assertThat(MagnitudeSelect.thresholdKey(parts, k)).as("k=%d seed %d", k, seed)
                    .isEqualTo(MagnitudeSelect.thresholdKey(MagnitudeSource.of(all), k));
        }
    }

    @Test
    void chunkHistogramsMergedInAnyOrderSelectTheSameThreshold() {
        long seed = 0xC4A2L;
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] v = tieHeavy(4999, rnd);
        List<int[]> chunks = new ArrayList<>();
        for (int from = 0; from < v.length; ) {
            int to = Math.min(v.length, from + 1 + rnd.nextInt(700));
            chunks.add(new int[] {from, to});
            from = to;
        }
        for (long k : new long[] {1, 2, 777, 2500, 4998, 4999}) {
            Collections.shuffle(chunks, new Random(seed + k));
            long[] high = new long[MagnitudeSelect.HIGH_BUCKETS];
            for (int[] ch : chunks) {
                long[] part = new long[MagnitudeSelect.HIGH_BUCKETS];
                MagnitudeSelect.merge(high, MagnitudeSelect.histogramHigh(v, ch[0], ch[1], part));
            }
            int h = MagnitudeSelect.selectBucket(high, k);
            long rest = k - MagnitudeSelect.countAbove(high, h);
            long[] low = new long[MagnitudeSelect.LOW_BUCKETS];
            for (int[] ch : chunks) {
                long[] part = new long[MagnitudeSelect.LOW_BUCKETS];
                MagnitudeSelect.merge(low, MagnitudeSelect.histogramLow(v, ch[0], ch[1], h, part));
            }
            long t = MagnitudeSelect.combine(h, MagnitudeSelect.selectBucket(low, rest));
            assertThat(t).as("k=%d seed %d", k, seed).isEqualTo(MagnitudeSelect.thresholdKey(MagnitudeSource.of(v), k));
        }
    }

    @Test
    void keysOrderMagnitudesAndTieAllNaNsAboveInfinity() {
        assertThat(MagnitudeSelect.key(0f)).isZero();
        assertThat(MagnitudeSelect.key(-0f)).isZero();
        assertThat(MagnitudeSelect.key(-Float.MIN_VALUE)).isEqualTo(1);
        assertThat(MagnitudeSelect.key(Float.NEGATIVE_INFINITY)).isEqualTo(0x7F80_0000);
        for (int nan : new int[] {0x7F80_0001, 0x7FC0_0000, 0x7FFF_FFFF, 0xFF80_0001, 0xFFFF_FFFF}) {
            assertThat(MagnitudeSelect.key(Float.intBitsToFloat(nan))).isEqualTo(MagnitudeSelect.NAN_KEY);
        }
        long seed = 0x0EDE7L;
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < 100_000; i++) {
            float a = Float.intBitsToFloat(rnd.nextInt());
            float b = Float.intBitsToFloat(rnd.nextInt());
            if (!Float.isNaN(a) && !Float.isNaN(b)) {
                assertThat(Integer.signum(Integer.compare(MagnitudeSelect.key(a), MagnitudeSelect.key(b))))
                        .as("%s vs %s seed %d", a, b, seed)
                        .isEqualTo(Integer.signum(Float.compare(Math.abs(a), Math.abs(b))));
            }
        }
    }

    @Test
    void selectsBucketsFromTheTop() {
        long[] hist = {5, 0, 3, 2}; // keys: five in 0, three in 2, two in 3
        assertThat(MagnitudeSelect.selectBucket(hist, 1)).isEqualTo(3);
        assertThat(MagnitudeSelect.selectBucket(hist, 2)).isEqualTo(3);
        assertThat(MagnitudeSelect.selectBucket(hist, 3)).isEqualTo(2);
        assertThat(MagnitudeSelect.selectBucket(hist, 5)).isEqualTo(2);
        assertThat(MagnitudeSelect.selectBucket(hist, 6)).isEqualTo(0);
        assertThat(MagnitudeSelect.selectBucket(hist, 10)).isEqualTo(0);
        assertThat(MagnitudeSelect.countAbove(hist, 0)).isEqualTo(5);
        assertThat(MagnitudeSelect.countAbove(hist, 3)).isZero();
        assertThatThrownBy(() -> MagnitudeSelect.selectBucket(hist, 11)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MagnitudeSelect.selectBucket(hist, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MagnitudeSelect.thresholdKey(MagnitudeSource.of(new float[3]), -1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void edgeThresholdsKeepNoneOrAll() {
        float[] v = {Float.NaN, 1f, -0f, Float.POSITIVE_INFINITY};
        MagnitudeSource s = MagnitudeSource.of(v);
        assertThat(MagnitudeSelect.thresholdKey(s, 0)).isEqualTo(MagnitudeSelect.NONE);
        assertThat(MagnitudeSelect.threshold(s, 0)).isNaN();
        assertThat(MagnitudeSelect.thresholdKey(s, 5)).isZero();
        assertThat(MagnitudeSelect.threshold(s, 5)).isZero();
        assertThat(MagnitudeSelect.threshold(s, 1)).isNaN(); // NaN is the largest magnitude
        assertThat(MagnitudeSelect.threshold(s, 2)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(MagnitudeSelect.threshold(s, 3)).isEqualTo(1f);
        assertThat(MagnitudeSelect.threshold(s, 4)).isZero();
        for (float x : v) {
            assertThat(MagnitudeSelect.keeps(x, MagnitudeSelect.NONE)).isFalse();
            assertThat(MagnitudeSelect.keeps(x, 0)).isTrue();
        }
        assertThat(MagnitudeSelect.thresholdKey(MagnitudeSource.of(new float[0]), 0)).isEqualTo(MagnitudeSelect.NONE);
        assertThat(MagnitudeSelect.thresholdKey(MagnitudeSource.of(new float[0]), 1)).isZero();
    }

    // Expected by sorting |v| in Float.compare's total order (NaN last, i.e. largest).
    private static void checkAgainstSort(float[] v, long k, String at) {
        int n = v.length;
        float[] mags = new float[n];
        for (int i = 0; i < n; i++) {
            mags[i] = Math.abs(v[i]);
        }
        Arrays.sort(mags);
        long key = MagnitudeSelect.thresholdKey(MagnitudeSource.of(v), k);
        int kept = 0;
        int above = 0;
        for (float x : v) {
            kept += MagnitudeSelect.keeps(x, key) ? 1 : 0;
        }
        if (k == 0) {
            assertThat(kept).as(at).isZero();
            return;
        }
        if (k > n) {
            assertThat(kept).as(at).isEqualTo(n);
            return;
        }
        float t = mags[(int) (n - k)];
        float got = MagnitudeSelect.threshold(MagnitudeSource.of(v), k);
        assertThat(Float.compare(got, t)).as("%s: threshold %s, sorted says %s", at, got, t).isZero();
        for (float x : v) {
            boolean expected = Float.compare(Math.abs(x), t) >= 0;
            assertThat(MagnitudeSelect.keeps(x, key)).as("%s: element %s vs t=%s", at, x, t).isEqualTo(expected);
            above += Float.compare(Math.abs(x), t) > 0 ? 1 : 0;
        }
        assertThat(kept).as(at).isGreaterThanOrEqualTo((int) k);
        assertThat(above).as(at).isLessThan((int) k);
    }

    // Draws from a small pool (so ties are frequent) mixing zeros, subnormals, infinities, NaNs,
    // values sharing the high key bits (so the second pass decides) and arbitrary floats.
    private static float[] tieHeavy(int n, SplittableRandom rnd) {
        float[] pool = new float[24];
        float[] fixed = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 0x1p-140f, -0x3p-135f, Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY, Float.NaN, Float.intBitsToFloat(0xFFC0_0001), 1f, -1f};
        System.arraycopy(fixed, 0, pool, 0, fixed.length);
        for (int i = fixed.length; i < pool.length; i++) {
            float nearOne = Float.intBitsToFloat(0x3F80_0000 + rnd.nextInt(1 << 16)) * (rnd.nextBoolean() ? 1 : -1);
            pool[i] = i % 2 == 0 ? nearOne
                    : (float) rnd.nextGaussian();
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = rnd.nextInt(8) == 0 ? (float) rnd.nextGaussian() : pool[rnd.nextInt(pool.length)];
        }
        return v;
    }
}
