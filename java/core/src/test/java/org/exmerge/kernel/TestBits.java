package org.exmerge.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.exmerge.format.DType;
import org.exmerge.numeric.Bf16;
import org.exmerge.numeric.F16;
import org.exmerge.numeric.F8E4M3;
import org.exmerge.numeric.F8E5M2;

/**
 * Seeded element data for the backend-vs-spec tests (KernelConformanceTest, the native ISA tests):
 * mostly weight-like values, plus raw bit patterns (every NaN payload, signalling NaNs, infinities,
 * subnormals, −0) and the values where rounding is decided (BF16/F16 ties, the F16 overflow edge 65504..65520, F16 subnormals).
 */
public final class TestBits {
    public static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final float[] EDGES = {
        0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.MIN_VALUE, -Float.MIN_VALUE,
        Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE, 65504f, 65519.996f, 65520f, -65520f, 0x1p-24f, 0x1p-25f,
        0x1.8p-25f, 0x1p-14f, 0x1.ff8p-15f, Float.intBitsToFloat(0x3F808000), Float.intBitsToFloat(0x3F818000),
        Float.intBitsToFloat(0x7F7F8000), Float.intBitsToFloat(0x00008000), Float.intBitsToFloat(0x3F801000),
        Float.intBitsToFloat(0x3F803000), Float.intBitsToFloat(0x7FA00001), Float.intBitsToFloat(0xFFC00123),
        Float.intBitsToFloat(0x7F800001), 1f, -1f, 0.5f,
    };

    private TestBits() {}

    /** One element value, as float bits, for a type-agnostic generator. */
    public static float value(SplittableRandom r) {
        int kind = r.nextInt(100);
        if (kind < 75) {
            return (float) (r.nextGaussian() * 0.02);
        }
        if (kind < 85) {
            return EDGES[r.nextInt(EDGES.length)];
        }
        if (kind < 92) {
            return (float) r.nextDouble(-70000, 70000);
        }
        return Float.intBitsToFloat(r.nextInt()); // any pattern at all
    }

    /**
     * {@code n} elements of {@code t} in a fresh native segment starting {@code offset} bytes into
     * its allocation (so misaligned for any offset not a multiple of the element size or 64).
     * 16-bit types get raw patterns a fifth of the time, so their own NaNs and subnormals occur.
     */
    public static Operand fill(Arena arena, DType t, int n, int offset, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        MemorySegment s = arena.allocate((long) n * t.size() + offset + 1, 64).asSlice(offset, (long) n * t.size());
        for (int j = 0; j < n; j++) {
            float v = value(r);
            switch (t) {
                case F32 -> s.set(ValueLayout.JAVA_FLOAT_UNALIGNED, 4L * j, v);
                case BF16 -> s.set(I16, 2L * j, r.nextInt(5) == 0 ? (short) r.nextInt() : Bf16.fromFloat(v));
                case F16 -> s.set(I16, 2L * j, r.nextInt(5) == 0 ? (short) r.nextInt() : F16.fromFloat(v));
                // Rarer types (the native backend hands them to the spec): raw patterns as well.
                case F64 -> s.set(I64, 8L * j, r.nextInt(5) == 0 ? r.nextLong() : Double.doubleToRawLongBits(v * (1 + 0x1p-40)));
                case F8_E4M3 -> s.set(ValueLayout.JAVA_BYTE, j, r.nextInt(5) == 0 ? (byte) r.nextInt() : F8E4M3.fromFloat(v));
                case F8_E5M2 -> s.set(ValueLayout.JAVA_BYTE, j, r.nextInt(5) == 0 ? (byte) r.nextInt() : F8E5M2.fromFloat(v));
                default -> throw new IllegalArgumentException(t.toString());
            }
        }
        return new Operand(s, t);
    }

    /** An output operand of {@code n} elements at {@code offset}, filled with a marker pattern. */
    public static Operand output(Arena arena, DType t, int n, int offset) {
        MemorySegment s = arena.allocate((long) n * t.size() + offset + 1, 64).asSlice(offset, (long) n * t.size());
        s.fill((byte) 0x5A);
        return new Operand(s, t);
    }

    /**
     * The first element where two outputs differ, or -1. F32 outputs may differ in a NaN's payload:
     * numerics §1 canonicalises NaN only when narrowing, and which NaN an x86 add/fma propagates when
     * two meet depends on instruction operand order, which neither javac's JIT nor a C compiler
     * promises; every other bit, and NaN-ness itself, must match.
     */
    public static long firstDifference(Operand expected, Operand actual, long n) {
        for (long j = 0; j < n; j++) {
            if (expected.type() == DType.F32) {
                int e = expected.segment().get(I32, 4 * j);
                int a = actual.segment().get(I32, 4 * j);
                boolean bothNaN = Float.isNaN(Float.intBitsToFloat(e)) && Float.isNaN(Float.intBitsToFloat(a));
                if (e != a && !bothNaN) {
                    return j;
                }
            } else if (expected.type() == DType.F64) {
                long e = expected.segment().get(I64, 8 * j);
                long a = actual.segment().get(I64, 8 * j);
                if (e != a && !(Double.isNaN(Double.longBitsToDouble(e)) && Double.isNaN(Double.longBitsToDouble(a)))) {
                    return j;
                }
            } else if (expected.type().size() == 1) {
                if (expected.segment().get(ValueLayout.JAVA_BYTE, j) != actual.segment().get(ValueLayout.JAVA_BYTE, j)) {
                    return j;
                }
            } else if (expected.segment().get(I16, 2 * j) != actual.segment().get(I16, 2 * j)) {
                return j;
            }
        }
        return -1;
    }

    public static String show(Operand o, long j) {
        return switch (o.type().size()) {
            case 8 -> String.format("0x%016X", o.segment().get(I64, 8 * j));
            case 4 -> String.format("0x%08X", o.segment().get(I32, 4 * j));
            case 1 -> String.format("0x%02X", o.segment().get(ValueLayout.JAVA_BYTE, j) & 0xFF);
            default -> String.format("0x%04X", o.segment().get(I16, 2 * j) & 0xFFFF);
        };
    }
}
