/*
 * numerics §4's pair sums (kernel/PairSumKernels): for each vector of a staged block and each pair
 * (i, j), the block value of Σ v_i·v_j. v_i is input i widened exactly, or with a base the task
 * vector x_i − b formed as the linear kernel forms it (float32, float64 when an operand is F64);
 * each product is a float64 multiply added on its own (no fma). The Java side packs one numerics §4
 * block of every vector (at most 65,536 elements, element k in lane k mod 64 since blocks start at
 * multiples of 65,536) at packed index v·v_stride + k·k_stride, so one kernel serves rows, columns
 * and any strides alike.
 */
#ifndef MKCU_PAIRS_CUH
#define MKCU_PAIRS_CUH

#include "mkcu_linear.cuh"
#include "mkcu_reduce.cuh"

/* The launch parameters (264 bytes); PairSumsLaunch packs the same layout. */
typedef struct mkcu_pairs_args {
    uint64_t inputs[MKCU_MAX_MODELS]; /* packed blocks, device addresses */
    int32_t input_types[MKCU_MAX_MODELS];
    uint64_t base;  /* 0: the inputs themselves */
    uint64_t pairs; /* int32 [n_pairs][2] */
    uint64_t lanes; /* float64 scratch [vectors][n_pairs][64] */
    uint64_t out;   /* float64 [vectors][n_pairs] */
    int64_t length; /* elements of each vector in this block */
    int64_t k_stride;
    int64_t v_stride;
    int32_t base_type;
    int32_t n_pairs;
    int32_t wide;
    int32_t unused;
} mkcu_pairs_args;

/* v_i at packed index x: as PairSumKernels.load forms it. */
EXMERGE_HD double mkcu_pair_value(const mkcu_pairs_args *a, int32_t i, int64_t x) {
    if (a->wide) {
        const double v = mkcu_load64(mkcu_ptr(a->inputs[i]), a->input_types[i], x);
        return a->base != 0 ? v - mkcu_load64(mkcu_ptr(a->base), a->base_type, x) : v;
    }
    const float v = mkcu_load(mkcu_ptr(a->inputs[i]), a->input_types[i], x);
    return (double)(a->base != 0 ? v - mkcu_load(mkcu_ptr(a->base), a->base_type, x) : v);
}

/*
 * One block per vector, MKCU_LANES threads. Phase 0: thread l sums its lane of every pair, in
 * element order from +0, into the scratch (global memory: a pair count has no bound that shared
 * memory would hold). Phase 1: the block's threads fold a pair each.
 */
EXMERGE_HD void mkcu_pair_sums_body(const mkcu_pairs_args *a, mkcu_ctx c, int phase, mkcu_no_shared *s) {
    const int64_t v = c.block;
    const int32_t *pairs = (const int32_t *)mkcu_ptr(a->pairs);
    double *lanes = (double *)mkcu_out_ptr(a->lanes) + v * a->n_pairs * MKCU_LANES;
    if (phase == 0) {
        if (c.thread >= MKCU_LANES) {
            return;
        }
        for (int32_t q = 0; q < a->n_pairs; q++) {
            double acc = 0.0;
            for (int64_t k = c.thread; k < a->length; k += MKCU_LANES) {
                const int64_t x = v * a->v_stride + k * a->k_stride;
                const double product = mkcu_pair_value(a, pairs[2 * q], x) * mkcu_pair_value(a, pairs[2 * q + 1], x);
                acc = acc + product;
            }
            lanes[q * MKCU_LANES + c.thread] = acc;
        }
        return;
    }
    double *out = (double *)mkcu_out_ptr(a->out) + v * a->n_pairs;
    for (int32_t q = (int32_t)c.thread; q < a->n_pairs; q += (int32_t)c.threads) {
        out[q] = mkcu_fold(lanes + q * MKCU_LANES);
    }
}

#endif
