package org.exmerge.cuda;

import java.lang.foreign.Arena;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.SparseOp;

/** The layout of mkcu_sparse_args (cuda/include/mkcu_sparse.cuh), shared by the merge and the norms. */
final class SparseParams {
    static final long SIZE = 1080;
    static final long INPUTS = 0;
    static final long KEEP_FROM = 128;
    static final long KEEP_BELOW = 256;
    static final long RANK_LOW = 384;
    static final long RANK_SPAN = 512;
    static final long WEIGHTS = 640;
    static final long KEEP_PROB = 704;
    static final long DIVISOR = 768;
    static final long RANK_SINGLE = 832;
    static final long TYPES = 896;
    static final long BASE = 960;
    static final long OUT = 968;
    static final long RANKS = 976;
    static final long SEED = 984;
    static final long ORIGIN = 992;
    static final long FIRST = 1000;
    static final long N = 1008;
    static final long ROW_LENGTH = 1016;
    static final long RANK_FIRST = 1024;
    static final long RANK_STRIDE = 1032;
    static final long N_MODELS = 1040;
    static final long BASE_TYPE = 1044;
    static final long OUT_TYPE = 1048;
    static final long RANDOM = 1052;
    static final long ELECTION = 1056;
    static final long FLAGS = 1060;
    static final long TENSOR_ID = 1064;
    static final long NORM = 1068;
    static final long SUM_DIVISOR = 1072;
    static final long LAMBDA = 1076;

    private SparseParams() {}

    /** Everything but the addresses and the element range. */
    static Params of(Arena arena, SparseOp op, Operand[] xs, Operand base, int outType, int norm) {
        Params p = new Params(arena, SIZE);
        for (int i = 0; i < xs.length; i++) {
            p.i64(KEEP_FROM + 8L * i, op.keepFrom()[i]).i64(KEEP_BELOW + 8L * i, op.keepBelow()[i])
                    .f64(RANK_LOW + 8L * i, op.rankLow()[i]).f64(RANK_SPAN + 8L * i, op.rankSpan()[i])
                    .f32(WEIGHTS + 4L * i, op.weights()[i]).f32(KEEP_PROB + 4L * i, op.keepProb()[i])
                    .f32(DIVISOR + 4L * i, op.divisor()[i]).f32(RANK_SINGLE + 4L * i, op.rankSingle()[i])
                    .i32(TYPES + 4L * i, CudaTypes.code(xs[i].type()));
        }
        int flags = (op.normalize() ? 1 : 0) | (op.divideByProb() ? 2 : 0);
        return p.i64(SEED, op.seed()).i64(ROW_LENGTH, op.rowLength()).i32(N_MODELS, xs.length)
                .i32(BASE_TYPE, CudaTypes.code(base.type())).i32(OUT_TYPE, outType).i32(RANDOM, op.random())
                .i32(ELECTION, op.election()).i32(FLAGS, flags).i32(TENSOR_ID, op.tensorId()).i32(NORM, norm)
                .f32(SUM_DIVISOR, op.sumDivisor()).f32(LAMBDA, op.lambda());
    }
}
