package org.exmerge.numeric;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.exmerge.format.DType;

/**
 * Seeded random tensors written little-endian into deliberately misaligned native segments, with
 * their exact float64 values kept beside them. Values are decoded here independently of the code
 * under test (bit fields for the 8- and 16-bit types), never NaN or infinite.
 */
final class TestTensors {
    record Tensor(DType type, MemorySegment segment, double[] values) {}

    private static final SmallFloatOracle.Format BF16 =
            new SmallFloatOracle.Format("bf16", 16, 8, 7, true, 0, null, null);
    private static final SmallFloatOracle.Format F16 =
            new SmallFloatOracle.Format("f16", 16, 5, 10, true, 0, null, null);
    private static final SmallFloatOracle.Format E4M3 =
            new SmallFloatOracle.Format("e4m3fn", 8, 4, 3, false, 0, null, null);
    private static final SmallFloatOracle.Format E5M2 =
            new SmallFloatOracle.Format("e5m2", 8, 5, 2, true, 0, null, null);

    private TestTensors() {}

    static Tensor random(DType t, int n, SplittableRandom rnd) {
        double[] values = new double[n];
        ByteBuffer buf = ByteBuffer.allocate(n * t.size()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            switch (t) {
                case F64 -> {
                    double v = wide(rnd);
                    buf.putDouble(v);
                    values[i] = v;
                }
                case F32 -> {
                    float v = (float) wide(rnd);
                    buf.putFloat(v);
                    values[i] = v;
                }
                case BF16, F16 -> {
                    SmallFloatOracle.Format f = t == DType.BF16 ? BF16 : F16;
                    int p = finitePattern(f, rnd);
                    buf.putShort((short) p);
                    values[i] = f.decodeAsIfFinite(p);
                }
                case F8_E4M3, F8_E5M2 -> {
                    SmallFloatOracle.Format f = t == DType.F8_E4M3 ? E4M3 : E5M2;
                    int p = finitePattern(f, rnd);
                    buf.put((byte) p);
                    values[i] = f.decodeAsIfFinite(p);
                }
                default -> throw new IllegalArgumentException(t.toString());
            }
        }
        return new Tensor(t, misaligned(buf.array(), 1 + rnd.nextInt(7)), values);
    }

    /** The bytes copied into fresh native memory starting {@code offset} bytes past an 8-aligned address. */
    static MemorySegment misaligned(byte[] bytes, int offset) {
        MemorySegment base = Arena.ofAuto().allocate(bytes.length + offset, 8);
        MemorySegment seg = base.asSlice(offset, bytes.length);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, seg, 0, bytes.length);
        return seg;
    }

    // Gaussian with a random binary exponent, so that sums lose bits and the order shows.
    private static double wide(SplittableRandom rnd) {
        return Math.scalb(rnd.nextGaussian(), rnd.nextInt(-30, 31));
    }

    private static int finitePattern(SmallFloatOracle.Format f, SplittableRandom rnd) {
        while (true) {
            int p = rnd.nextInt(1 << f.bits());
            if (!f.isNaN(p) && !f.isInf(p)) {
                return p;
            }
        }
    }
}
