package org.exmerge.cuda;

import java.lang.foreign.Arena;
import org.exmerge.kernel.LinearOp;
import org.exmerge.kernel.Operand;

/** numerics §2 on the device: mkcu_linear32 / mkcu_linear64 (cuda/include/mkcu_linear.cuh). */
final class LinearLaunch {
    static final long SIZE = 448;
    private static final long INPUTS = 0;
    private static final long WEIGHTS64 = 128;
    private static final long WEIGHTS32 = 256;
    private static final long TYPES = 320;
    private static final long BASE = 384;
    private static final long OUT = 392;
    private static final long N = 400;
    private static final long DIVISOR64 = 408;
    private static final long LAMBDA64 = 416;
    private static final long DIVISOR32 = 424;
    private static final long LAMBDA32 = 428;
    private static final long N_INPUTS = 432;
    private static final long BASE_TYPE = 436;
    private static final long OUT_TYPE = 440;
    private static final long FLAGS = 444;

    private LinearLaunch() {}

    static void run(Device device, Lane lane, LinearOp op, Operand[] xs, Operand base, Operand out, long n, boolean wide) {
        int k = xs.length;
        long perElement = out.type().size() + (base == null ? 0 : base.type().size());
        for (Operand x : xs) {
            perElement += x.type().size();
        }
        int operands = k + 2;
        lane.ensure(ChunkPlan.bytesFor(64, 1, 0, perElement, operands));
        ChunkPlan plan = ChunkPlan.of(lane.capacity(), 0, perElement, operands, 1);
        float[] w32 = op.weightsF32();
        int flags = (op.divide() ? 1 : 0) | (op.negativeZeroStart() ? 2 : 0);
        Kernel kernel = wide ? Kernel.LINEAR64 : Kernel.LINEAR32;
        try (Arena arena = Arena.ofConfined()) {
            Params p = new Params(arena, SIZE);
            for (int i = 0; i < k; i++) {
                p.f64(WEIGHTS64 + 8L * i, op.weights()[i]).f32(WEIGHTS32 + 4L * i, w32[i])
                        .i32(TYPES + 4L * i, CudaTypes.code(xs[i].type()));
            }
            p.f64(DIVISOR64, op.divisor()).f64(LAMBDA64, op.lambda()).f32(DIVISOR32, op.divisorF32())
                    .f32(LAMBDA32, op.lambdaF32()).i32(N_INPUTS, k).i32(BASE_TYPE, base == null ? 0 : CudaTypes.code(base.type()))
                    .i32(OUT_TYPE, CudaTypes.code(out.type())).i32(FLAGS, flags);
            Pipeline.run(lane, plan.count(n), (c, half) -> {
                long from = plan.from(c);
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
                int os = out.type().size();
                long at = half.reserve(len * os);
                p.i64(OUT, half.address(at)).i64(N, len);
                half.stream.launch(kernel, LaunchGeometry.blocks(len, device.multiprocessors()), LaunchGeometry.THREADS,
                        p.segment());
                half.output(at, len * os, out.segment(), from * os);
            });
        }
    }
}
