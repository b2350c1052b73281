package org.exmerge.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.exmerge.format.DType;
import org.exmerge.kernel.Operand;
import org.exmerge.numeric.Bf16;
import org.exmerge.numeric.F16;

/** Weight-like benchmark operands: Gaussian values with σ = 0.02, seeded per operand, 64-byte aligned. */
final class WeightData {
    private WeightData() {}

    static Operand gaussian(Arena arena, DType t, long elements, int seed) {
        SplittableRandom r = new SplittableRandom(seed);
        MemorySegment s = arena.allocate(elements * t.size(), 64);
        for (long i = 0; i < elements; i++) {
            float v = (float) (r.nextGaussian() * 0.02);
            switch (t) {
                case F32 -> s.setAtIndex(ValueLayout.JAVA_FLOAT, i, v);
                case BF16 -> s.setAtIndex(ValueLayout.JAVA_SHORT, i, Bf16.fromFloat(v));
                case F16 -> s.setAtIndex(ValueLayout.JAVA_SHORT, i, F16.fromFloat(v));
                default -> throw new IllegalArgumentException("no Gaussian fill for " + t);
            }
        }
        return new Operand(s, t);
    }

    /**
     * A BF16 fine-tune of {@code base}: each weight a few ulps away (−3 … 3, zero included), as
     * 16-bit fine-tunes are, so the task vector has few distinct magnitudes, each repeated often.
     */
    static Operand fineTune(Arena arena, Operand base, int seed) {
        long n = base.segment().byteSize() / 2;
        SplittableRandom r = new SplittableRandom(seed);
        MemorySegment s = arena.allocate(2 * n, 64);
        for (long i = 0; i < n; i++) {
            short bits = base.segment().getAtIndex(ValueLayout.JAVA_SHORT, i);
            s.setAtIndex(ValueLayout.JAVA_SHORT, i, (short) (bits + r.nextInt(-3, 4)));
        }
        return new Operand(s, DType.BF16);
    }
}
