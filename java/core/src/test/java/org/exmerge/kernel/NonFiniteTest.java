package org.exmerge.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.exmerge.format.DType;
import org.junit.jupiter.api.Test;

/** The word-at-a-time scan finds exactly the elements whose exponent is all ones, at every position and length. */
class NonFiniteTest {
    private static final DType[] FLOATS = {DType.F64, DType.F32, DType.F16, DType.BF16, DType.F8_E5M2, DType.F8_E4M3};

    /** The element-by-element definition. */
    private static boolean nonFinite(DType t, long bits) {
        return switch (t) {
            case F64 -> !Double.isFinite(Double.longBitsToDouble(bits));
            case F32 -> !Float.isFinite(Float.intBitsToFloat((int) bits));
            case BF16 -> !Float.isFinite(Float.intBitsToFloat((int) bits << 16));
            case F16 -> !Float.isFinite(Float.float16ToFloat((short) bits));
            case F8_E5M2 -> (bits & 0x7c) == 0x7c;
            case F8_E4M3 -> (bits & 0x7f) == 0x7f;
            default -> false;
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

    @Test
    void agreesWithTheDefinitionOnRandomBits() {
        SplittableRandom r = new SplittableRandom(7);
        for (DType t : FLOATS) {
            int size = t.size();
            for (int trial = 0; trial < 3000; trial++) {
                int n = 1 + r.nextInt(40);
                MemorySegment s = MemorySegment.ofArray(new byte[n * size + 16]);
                long expected = -1;
                for (int i = 0; i < n; i++) {
                    long bits;
                    do {
                        bits = r.nextLong() & (size == 8 ? -1L : (1L << (8 * size)) - 1);
                    } while (nonFinite(t, bits) && r.nextInt(4) != 0); // mostly finite
                    put(s, size, i, bits);
                    if (expected < 0 && nonFinite(t, bits)) {
                        expected = i;
                    }
                }
                // Bytes past n are never looked at, whatever they hold.
                for (int k = n * size; k < n * size + 16; k++) {
                    s.set(ValueLayout.JAVA_BYTE, k, (byte) 0xff);
                }
                assertThat(NonFinite.first(s, t, n)).as("%s n=%d", t, n).isEqualTo(expected);
            }
        }
    }

    @Test
    void findsOneValueAnywhereAndNamesIt() {
        for (DType t : FLOATS) {
            int size = t.size();
            for (int n = 1; n <= 33; n++) {
                for (int at = 0; at < n; at++) {
                    MemorySegment s = MemorySegment.ofArray(new byte[n * size]);
                    long lane = NonFinite.laneMask(t);
                    put(s, size, at, lane); // +inf (NaN for E4M3)
                    assertThat(NonFinite.first(s, t, n)).isEqualTo(at);
                    assertThat(NonFinite.describe(t, lane)).isEqualTo(t == DType.F8_E4M3 ? "NaN" : "+inf");
                }
            }
        }
        assertThat(NonFinite.describe(DType.BF16, 0xff80)).isEqualTo("-inf");
        assertThat(NonFinite.describe(DType.BF16, 0x7fc0)).isEqualTo("NaN");
        assertThat(NonFinite.describe(DType.F32, Float.floatToRawIntBits(Float.NaN))).isEqualTo("NaN");
    }

    @Test
    void integerTypesAreNeverNonFinite() {
        MemorySegment s = MemorySegment.ofArray(new byte[64]);
        s.fill((byte) 0xff);
        for (DType t : new DType[] {DType.I64, DType.I32, DType.I16, DType.I8, DType.U8, DType.BOOL}) {
            assertThat(NonFinite.first(s, t, 64 / t.size())).isEqualTo(-1);
        }
    }
}
