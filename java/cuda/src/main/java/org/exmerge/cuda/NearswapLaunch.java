package org.exmerge.cuda;

import java.lang.foreign.Arena;
import org.exmerge.kernel.Operand;

/** numerics §10 on the device: mkcu_nearswap (cuda/include/mkcu_nearswap.cuh), element-wise over sub-chunks. */
final class NearswapLaunch {
    static final long SIZE = 64;

    private NearswapLaunch() {}

    static void run(Device device, Lane lane, double t, Operand base, Operand x, Operand out, long n, boolean wide) {
        int bs = base.type().size();
        int xs = x.type().size();
        int os = out.type().size();
        lane.ensure(ChunkPlan.bytesFor(64, 1, 0, bs + xs + os, 3));
        ChunkPlan plan = ChunkPlan.of(lane.capacity(), 0, bs + xs + os, 3, 1);
        try (Arena arena = Arena.ofConfined()) {
            Params p = new Params(arena, SIZE).f64(32, t).f32(40, (float) t).i32(44, CudaTypes.code(base.type()))
                    .i32(48, CudaTypes.code(x.type())).i32(52, CudaTypes.code(out.type())).i32(56, wide ? 1 : 0);
            Pipeline.run(lane, plan.count(n), (c, half) -> {
                long from = plan.from(c);
                long len = plan.length(c, n);
                p.i64(0, half.upload(base.segment(), from * bs, len * bs)).i64(8, half.upload(x.segment(), from * xs, len * xs));
                long at = half.reserve(len * os);
                p.i64(16, half.address(at)).i64(24, len);
                half.stream.launch(Kernel.NEARSWAP, LaunchGeometry.blocks(len, device.multiprocessors()),
                        LaunchGeometry.THREADS, p.segment());
                half.output(at, len * os, out.segment(), from * os);
            });
        }
    }
}
