package org.exmerge.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.exmerge.kernel.Operand;

/**
 * The band select's read on the device: mkcu_tau_band. Each half keeps its own counts, cursor and
 * band, zeroed on its first sub-chunk and added to by its later ones (as {@link HistogramLaunch}'s
 * counts); the two halves are joined into the caller's arrays as they retire. A half's band holds as
 * many keys as the caller's, since all of them may fall in its sub-chunks.
 */
final class BandLaunch {
    static final long SIZE = 56;
    /** The three counts and the cursor, before the keys (mkcu_magnitude.cuh's MKCU_BAND_KEYS). */
    private static final long HEAD = 32;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);

    private BandLaunch() {}

    /** Adds to {@code counts}, fills {@code band} as far as it holds, and returns the keys strictly between. */
    static long run(Device device, Lane lane, Operand x, Operand base, long start, long n, int lo, int hi, long[] counts,
                    int[] band) {
        int xs = x.type().size();
        int bs = base.type().size();
        long cap = Math.min(band.length, n); // no more keys fall between than there are elements
        long outBytes = HEAD + 4 * cap;
        lane.ensure(ChunkPlan.bytesFor(64, 1, outBytes, xs + bs, 3));
        ChunkPlan plan = ChunkPlan.of(lane.capacity(), outBytes, xs + bs, 3, 1);
        long[] joined = new long[2]; // keys copied into band, keys found between
        try (Arena arena = Arena.ofConfined()) {
            Params p = new Params(arena, SIZE).i64(32, cap).i32(40, CudaTypes.code(x.type()))
                    .i32(44, CudaTypes.code(base.type())).i32(48, lo).i32(52, hi);
            long count = plan.count(n);
            Pipeline.run(lane, count, (c, half) -> {
                long outAt = HistogramLaunch.counts(half, c, outBytes); // counts, cursor and keys, zeroed once a half
                long from = start + plan.from(c);
                long len = plan.length(c, n);
                p.i64(0, half.upload(x.segment(), from * xs, len * xs)).i64(8, half.upload(base.segment(), from * bs, len * bs))
                        .i64(16, half.address(outAt)).i64(24, len);
                half.stream.launch(Kernel.TAU_BAND, LaunchGeometry.blocks(len, device.multiprocessors()),
                        LaunchGeometry.THREADS, p.segment());
                if (c + 2 >= count) {
                    half.output(outAt, outBytes, out -> join(out, cap, counts, band, joined));
                }
            });
        }
        return joined[1];
    }

    /** Adds a half's counts and appends its stored keys after those of the half that retired before it. */
    private static void join(MemorySegment out, long cap, long[] counts, int[] band, long[] joined) {
        for (int i = 0; i < 3; i++) {
            counts[i] += out.getAtIndex(U64, i);
        }
        long found = out.getAtIndex(U64, 3);
        int take = (int) Math.min(Math.min(found, cap), band.length - joined[0]);
        MemorySegment.copy(out, U32, HEAD, band, (int) joined[0], take);
        joined[0] += take;
        joined[1] += found;
    }
}
