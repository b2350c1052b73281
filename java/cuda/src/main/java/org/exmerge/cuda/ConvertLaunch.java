package org.exmerge.cuda;

import java.lang.foreign.Arena;
import org.exmerge.kernel.Operand;

/** numerics §1's conversion between two float types on the device: mkcu_convert. */
final class ConvertLaunch {
    static final long SIZE = 32;

    private ConvertLaunch() {}

    static void run(Device device, Lane lane, Operand in, Operand out, long n) {
        int is = in.type().size();
        int os = out.type().size();
        lane.ensure(ChunkPlan.bytesFor(64, 1, 0, is + os, 2));
        ChunkPlan plan = ChunkPlan.of(lane.capacity(), 0, is + os, 2, 1);
        try (Arena arena = Arena.ofConfined()) {
            Params p = new Params(arena, SIZE).i32(24, CudaTypes.code(in.type())).i32(28, CudaTypes.code(out.type()));
            Pipeline.run(lane, plan.count(n), (c, half) -> {
                long from = plan.from(c);
                long len = plan.length(c, n);
                p.i64(0, half.upload(in.segment(), from * is, len * is));
                long at = half.reserve(len * os);
                p.i64(8, half.address(at)).i64(16, len);
                half.stream.launch(Kernel.CONVERT, LaunchGeometry.blocks(len, device.multiprocessors()),
                        LaunchGeometry.THREADS, p.segment());
                half.output(at, len * os, out.segment(), from * os);
            });
        }
    }
}
