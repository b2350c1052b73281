package org.exmerge.numeric;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.exmerge.format.DType;
import org.exmerge.testing.RoundOracle;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** One rounding from float64 (numerics §12) against an exact nearest-value search, double-rounding traps included. */
class NarrowTest {

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "F16", "F8_E4M3", "F8_E5M2"})
    void roundsOnceToNearestEven(DType t) {
        List<Double> values = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(t.ordinal());
        for (int i = 0; i < 20_000; i++) {
            values.add(Math.scalb(r.nextDouble(-2, 2), r.nextInt(-30, 20)));
            values.add(Double.longBitsToDouble(r.nextLong())); // anything, NaN and infinities included
        }
        // Midpoints between neighbours, and a hair either side: a float32 in between would round
        // the hair onto the midpoint, and ties-to-even would then go the wrong way.
        int patterns = t.size() == 2 ? 1 << 15 : 1 << 7;
        for (int bits = 0; bits + 1 < patterns; bits += t.size() == 2 ? 7 : 1) {
            double lo = widen(t, bits);
            double hi = widen(t, bits + 1);
            if (!Double.isFinite(lo) || !Double.isFinite(hi)) {
                continue;
            }
            double mid = (lo + hi) / 2;
            for (double v : new double[] {mid, Math.nextUp(mid), Math.nextDown(mid), mid + Math.ulp(mid) * 1e6, mid - Math.ulp(mid) * 1e6}) {
                values.add(v);
                values.add(-v);
            }
        }
        values.addAll(List.of(0.0, -0.0, 1e-300, -1e-300, 1e300, -1e300, Double.MIN_VALUE, Double.MAX_VALUE,
                Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN, 464.0, 464.0000001, 480.0, 65520.0, 65519.999));
        double[] v = values.stream().mapToDouble(Double::doubleValue).toArray();
        MemorySegment out = MemorySegment.ofArray(new byte[v.length * t.size()]);
        Narrow.store(v, v.length, t, out, 0);
        for (int i = 0; i < v.length; i++) {
            int got = t.size() == 2 ? out.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 2L * i) & 0xFFFF
                    : out.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
            assertThat(Integer.toHexString(got)).as("%s of %s (%s)", t, v[i], Double.toHexString(v[i]))
                    .isEqualTo(Integer.toHexString(RoundOracle.bits(t, v[i])));
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void wideTypesAreTheCastAndTheValue(DType t) {
        double[] v = {0.1, -1e-40, 3.4028235677973366e38, Math.PI, -0.0};
        MemorySegment out = MemorySegment.ofArray(new byte[v.length * t.size()]);
        Narrow.store(v, v.length, t, out, 0);
        for (int i = 0; i < v.length; i++) {
            double got = t == DType.F32 ? out.get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4L * i)
                    : out.get(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8L * i);
            assertThat(Double.doubleToRawLongBits(got)).isEqualTo(Double.doubleToRawLongBits(t == DType.F32 ? (float) v[i] : v[i]));
        }
    }

    private static double widen(DType t, int bits) {
        return switch (t) {
            case BF16 -> Bf16.toFloat((short) bits);
            case F16 -> F16.toFloat((short) bits);
            case F8_E4M3 -> F8E4M3.toFloat((byte) bits);
            default -> F8E5M2.toFloat((byte) bits);
        };
    }
}
