package org.exmerge.method.geometric;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.exmerge.format.DType;
import org.exmerge.kernel.JavaKernels;
import org.exmerge.kernel.LinearOp;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.VectorLinearOp;
import org.exmerge.method.PlanRunner;
import org.exmerge.testing.TestModels;
import org.junit.jupiter.api.Test;

/** The per-vector op must give exactly the bytes of the linear kernel called per row. */
class VectorLinearMergeTest {
    static final long SEED = 0x7ec7035L;

    @Test
    void elementwisePathEqualsTheKernelPerRow() {
        SplittableRandom r = new SplittableRandom(SEED);
        int rows = 7;
        int len = VectorLinearMerge.SHORT_ROW + 45; // long enough for the kernel path
        int n = rows * len;
        Vectors v = Vectors.lastDim(new long[] {rows, len});
        for (DType in : new DType[] {DType.BF16, DType.F32, DType.F64}) {
            for (DType outType : in == DType.F64 ? new DType[] {DType.F64, DType.F32} : new DType[] {DType.BF16, DType.F16, DType.F32}) {
                for (boolean withBase : new boolean[] {false, true}) {
                    Operand[] xs = {operand(in, TestModels.random(SEED + 1, n, 0.5f)), operand(in, TestModels.random(SEED + 2, n, 0.5f))};
                    Operand base = withBase ? operand(in, TestModels.random(SEED + 3, n, 0.5f)) : null;
                    LinearOp[] ops = new LinearOp[rows];
                    for (int p = 0; p < rows; p++) {
                        boolean divide = r.nextBoolean();
                        ops[p] = new LinearOp(new double[] {r.nextDouble(-2, 2), r.nextDouble(-2, 2)}, withBase, divide,
                                r.nextDouble(0.5, 3), r.nextDouble(-1, 2));
                    }
                    VectorLinearMerge kernelPath = new VectorLinearMerge(new JavaKernels(), xs, base, v, ops);
                    VectorLinearOp perVector = new VectorLinearOp(ops, len, false);
                    MemorySegment a = MemorySegment.ofArray(new byte[n * outType.size()]);
                    MemorySegment b = MemorySegment.ofArray(new byte[n * outType.size()]);
                    for (int s = 0; s < n; s += 1000) {
                        int c = Math.min(1000, n - s);
                        kernelPath.compute(s, c, new Operand(a.asSlice((long) s * outType.size()), outType));
                        new JavaKernels().linearPerVector(perVector, xs, base, new Operand(b.asSlice((long) s * outType.size()), outType), s, c);
                    }
                    assertThat(b.mismatch(a)).as("%s -> %s base=%s seed %x", in, outType, withBase, SEED).isEqualTo(-1L);
                }
            }
        }
    }

    static Operand operand(DType t, float[] v) {
        if (t != DType.F64) {
            return PlanRunner.operand(t, v);
        }
        MemorySegment s = MemorySegment.ofArray(new byte[v.length * 8]);
        for (int i = 0; i < v.length; i++) {
            // A value float32 cannot hold, so the float64 path is really exercised.
            s.set(java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 8L * i, v[i] + 1e-12 * i);
        }
        return new Operand(s, t);
    }
}
