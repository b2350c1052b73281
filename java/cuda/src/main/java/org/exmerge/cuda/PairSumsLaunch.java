package org.exmerge.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.VectorSpan;

/**
 * numerics §4's pair sums on the device: mkcu_pair_sums (cuda/include/mkcu_pairs.cuh). A sub-chunk
 * is one block of a group of the span's vectors, gathered into pinned memory so the kernel reads
 * every layout alike: vector by vector ({@code [v][k]}) for rows and any strides, element row by
 * element row ({@code [k][v]}, one contiguous run per row) for columns ({@code vectorStride == 1}).
 * One CUDA block of 64 threads per vector; its lanes fold on the device and only the block values
 * come back.
 */
final class PairSumsLaunch {
    static final long SIZE = 264;
    private static final long INPUTS = 0;
    private static final long TYPES = 128;
    private static final long BASE = 192;
    private static final long PAIRS = 200;
    private static final long LANES = 208;
    private static final long OUT = 216;
    private static final long LENGTH = 224;
    private static final long K_STRIDE = 232;
    private static final long V_STRIDE = 240;
    private static final long BASE_TYPE = 248;
    private static final long N_PAIRS = 252;
    private static final long WIDE = 256;
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);

    private PairSumsLaunch() {}

    static void run(Device device, Lane lane, Operand[] xs, Operand base, int[][] pairs, VectorSpan s, double[] out,
                    boolean wide) {
        Operand[] staged = base == null ? xs : append(xs, base);
        long bytesPerElement = 0;
        for (Operand o : staged) {
            bytesPerElement += o.type().size();
        }
        int np = pairs.length;
        long longest = s.blockEnd(0) - s.blockStart(0); // the first block is the span's longest
        long perVector = longest * bytesPerElement + 8L * np * (VectorSpan.LANES + 1);
        long fixed = 8L * np + (staged.length + 3L) * ChunkPlan.ALIGN;
        lane.ensure(fixed + perVector);
        int group = (int) Math.min(s.vectors(), (lane.capacity() - fixed) / perVector);
        int groups = (s.vectors() + group - 1) / group;
        boolean columns = s.vectorStride() == 1 && s.elementStride() != 1;
        try (Arena arena = Arena.ofConfined()) {
            Params p = new Params(arena, SIZE).i32(N_PAIRS, np).i32(WIDE, wide ? 1 : 0)
                    .i32(BASE_TYPE, base == null ? 0 : CudaTypes.code(base.type()));
            for (int i = 0; i < xs.length; i++) {
                p.i32(TYPES + 4L * i, CudaTypes.code(xs[i].type()));
            }
            Pipeline.run(lane, (long) s.blocks() * groups, (c, half) -> {
                int blk = (int) (c / groups);
                int v0 = (int) (c % groups) * group;
                int g = Math.min(group, s.vectors() - v0);
                long k0 = s.blockStart(blk);
                long len = s.blockEnd(blk) - k0;
                for (int i = 0; i < staged.length; i++) {
                    Operand o = staged[i];
                    long at = half.stage(g * len * o.type().size(), dst -> gather(o, s, v0, g, k0, len, columns, dst));
                    p.i64(i < xs.length ? INPUTS + 8L * i : BASE, at);
                }
                if (base == null) {
                    p.i64(BASE, 0);
                }
                p.i64(PAIRS, half.stage(8L * np, dst -> {
                    for (int q = 0; q < np; q++) {
                        dst.setAtIndex(I32, 2L * q, pairs[q][0]);
                        dst.setAtIndex(I32, 2L * q + 1, pairs[q][1]);
                    }
                }));
                p.i64(LANES, half.address(half.reserve(8L * g * np * VectorSpan.LANES)));
                long at = half.reserve(8L * g * np);
                p.i64(OUT, half.address(at)).i64(LENGTH, len).i64(K_STRIDE, columns ? g : 1)
                        .i64(V_STRIDE, columns ? 1 : len);
                half.stream.launch(Kernel.PAIR_SUMS, g, LaunchGeometry.LANES, p.segment());
                half.output(at, 8L * g * np, values -> {
                    for (int v = 0; v < g; v++) {
                        for (int q = 0; q < np; q++) {
                            out[((v0 + v) * s.blocks() + blk) * np + q] = values.getAtIndex(F64, (long) v * np + q);
                        }
                    }
                });
            });
        }
    }

    /** Copies elements {@code [k0, k0 + len)} of vectors {@code v0 .. v0 + g − 1} into {@code dst}, packed. */
    private static void gather(Operand o, VectorSpan s, int v0, int g, long k0, long len, boolean columns,
                               MemorySegment dst) {
        int size = o.type().size();
        MemorySegment src = o.segment();
        if (columns) { // row k holds g neighbouring elements
            for (long k = 0; k < len; k++) {
                MemorySegment.copy(src, s.element(v0, k0 + k) * size, dst, k * g * size, (long) g * size);
            }
        } else if (s.elementStride() == 1) {
            for (int v = 0; v < g; v++) {
                MemorySegment.copy(src, s.element(v0 + v, k0) * size, dst, v * len * size, len * size);
            }
        } else {
            for (int v = 0; v < g; v++) {
                for (long k = 0; k < len; k++) {
                    MemorySegment.copy(src, s.element(v0 + v, k0 + k) * size, dst, (v * len + k) * size, size);
                }
            }
        }
    }

    private static Operand[] append(Operand[] xs, Operand base) {
        Operand[] all = java.util.Arrays.copyOf(xs, xs.length + 1);
        all[xs.length] = base;
        return all;
    }
}
