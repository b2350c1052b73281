package org.exmerge.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.exmerge.kernel.LinearOp;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.VectorLinearOp;

/**
 * numerics §2 per vector on the device: mkcu_vlinear32 / mkcu_vlinear64
 * (cuda/include/mkcu_linear_vectors.cuh). Each sub-chunk stages, besides its slices, the
 * coefficients of the vectors it touches: the rows it spans when vectors are contiguous, every
 * vector when they are strided (a tensor's columns, where each element is the next vector).
 */
final class VectorLinearLaunch {
    static final long SIZE = 288;
    private static final long INPUTS = 0;
    private static final long TYPES = 128;
    private static final long BASE = 192;
    private static final long OUT = 200;
    private static final long COEF64 = 208;
    private static final long COEF32 = 216;
    private static final long FLAGS = 224;
    private static final long N = 232;
    private static final long FIRST = 240;
    private static final long LENGTH = 248;
    private static final long VECTORS = 256;
    private static final long FIRST_VECTOR = 264;
    private static final long N_INPUTS = 272;
    private static final long BASE_TYPE = 276;
    private static final long OUT_TYPE = 280;
    private static final long STRIDED = 284;
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);

    private VectorLinearLaunch() {}

    static void run(Device device, Lane lane, VectorLinearOp v, Operand[] xs, Operand base, Operand out, long start,
                    long n, boolean wide) {
        int k = xs.length;
        LinearOp[] ops = v.ops();
        long rowBytes = 12L * (k + 2) + 4; // one vector's coefficients: float64 and float32, and its flags
        long perElement = out.type().size() + (base == null ? 0 : base.type().size()) + (v.strided() ? 0 : rowBytes);
        for (Operand x : xs) {
            perElement += x.type().size();
        }
        long fixed = (v.strided() ? ops.length : 2) * rowBytes;
        int operands = k + 5;
        lane.ensure(ChunkPlan.bytesFor(64, 1, fixed, perElement, operands));
        ChunkPlan plan = ChunkPlan.of(lane.capacity(), fixed, perElement, operands, 1);
        Kernel kernel = wide ? Kernel.VLINEAR64 : Kernel.VLINEAR32;
        try (Arena arena = Arena.ofConfined()) {
            Params p = new Params(arena, SIZE).i64(LENGTH, v.length()).i64(VECTORS, ops.length).i32(N_INPUTS, k)
                    .i32(BASE_TYPE, base == null ? 0 : CudaTypes.code(base.type())).i32(OUT_TYPE, CudaTypes.code(out.type()))
                    .i32(STRIDED, v.strided() ? 1 : 0);
            for (int i = 0; i < k; i++) {
                p.i32(TYPES + 4L * i, CudaTypes.code(xs[i].type()));
            }
            Pipeline.run(lane, plan.count(n), (c, half) -> {
                long from = start + plan.from(c);
                long len = plan.length(c, n);
                for (int i = 0; i < k; i++) {
                    int s = xs[i].type().size();
                    p.i64(INPUTS + 8L * i, half.upload(xs[i].segment(), from * s, len * s));
                }
                if (base != null) {
                    int s = base.type().size();
                    p.i64(BASE, half.upload(base.segment(), from * s, len * s));
                } else {
                    p.i64(BASE, 0);
                }
                int first = v.strided() ? 0 : (int) v.vectorOf(from);
                int rows = v.strided() ? ops.length : (int) v.vectorOf(from + len - 1) - first + 1;
                p.i64(COEF64, half.stage(8L * rows * (k + 2), dst -> {
                    for (int r = 0; r < rows; r++) {
                        LinearOp op = ops[first + r];
                        for (int i = 0; i < k; i++) {
                            dst.setAtIndex(F64, (long) r * (k + 2) + i, op.weights()[i]);
                        }
                        dst.setAtIndex(F64, (long) r * (k + 2) + k, op.divisor());
                        dst.setAtIndex(F64, (long) r * (k + 2) + k + 1, op.lambda());
                    }
                }));
                p.i64(COEF32, half.stage(4L * rows * (k + 2), dst -> {
                    for (int r = 0; r < rows; r++) {
                        LinearOp op = ops[first + r];
                        for (int i = 0; i < k; i++) {
                            dst.setAtIndex(F32, (long) r * (k + 2) + i, (float) op.weights()[i]);
                        }
                        dst.setAtIndex(F32, (long) r * (k + 2) + k, op.divisorF32());
                        dst.setAtIndex(F32, (long) r * (k + 2) + k + 1, op.lambdaF32());
                    }
                }));
                p.i64(FLAGS, half.stage(4L * rows, dst -> flags(ops, first, rows, dst)));
                int os = out.type().size();
                long at = half.reserve(len * os);
                p.i64(OUT, half.address(at)).i64(N, len).i64(FIRST, from).i64(FIRST_VECTOR, first);
                half.stream.launch(kernel, LaunchGeometry.blocks(len, device.multiprocessors()), LaunchGeometry.THREADS,
                        p.segment());
                half.output(at, len * os, out.segment(), (from - start) * os);
            });
        }
    }

    private static void flags(LinearOp[] ops, int first, int rows, MemorySegment dst) {
        for (int r = 0; r < rows; r++) {
            LinearOp op = ops[first + r];
            dst.setAtIndex(I32, r, (op.divide() ? 1 : 0) | (op.negativeZeroStart() ? 2 : 0));
        }
    }
}
