/*
 * numerics §3's fused sparsify, weight, elect and combine (the Java spec: kernel/SparseKernels, the
 * formula on kernel/SparseOp), one element at a time. Decisions are the float and int comparisons
 * the spec's bit masks restate; u < p is compared on the float bits as the spec does.
 */
#ifndef MKCU_SPARSE_CUH
#define MKCU_SPARSE_CUH

#include "mkcu_dtype.cuh"
#include "mkcu_grid.cuh"
#include "mkcu_linear.cuh"
#include "mkcu_magnitude.cuh"
#include "mkcu_philox.cuh"

#define MKCU_RANDOM_NONE 0
#define MKCU_RANDOM_FIXED 1
#define MKCU_RANDOM_RANKED 2
#define MKCU_ELECT_NONE 0
#define MKCU_ELECT_SUM 1
#define MKCU_ELECT_COUNT 2
#define MKCU_ELECT_KEPT 3
#define MKCU_ELECT_LONE 4
#define MKCU_SPARSE_NORMALIZE 1
#define MKCU_SPARSE_DIVIDE_BY_PROB 2
#define MKCU_NORM_L1 1
#define MKCU_NORM_L2 2
#define MKCU_NORM_LINF 3

/*
 * One sparse launch's parameters, by value (CudaSparse packs the same layout). The device operands
 * hold elements [origin, origin + …) of the tensor; the kernels take absolute indices e (Philox and
 * DELLA's ranks depend on them) and read element e at e − origin.
 */
typedef struct mkcu_sparse_args {
    uint64_t inputs[MKCU_MAX_MODELS];
    int64_t keep_from[MKCU_MAX_MODELS];
    int64_t keep_below[MKCU_MAX_MODELS];
    double rank_low[MKCU_MAX_MODELS];
    double rank_span[MKCU_MAX_MODELS];
    float weights[MKCU_MAX_MODELS];
    float keep_prob[MKCU_MAX_MODELS];
    float divisor[MKCU_MAX_MODELS];
    float rank_single[MKCU_MAX_MODELS];
    int32_t input_types[MKCU_MAX_MODELS];
    uint64_t base;
    uint64_t out;     /* merge: element e at e − first; norms: 2 doubles per model */
    uint64_t ranks;   /* RANDOM_RANKED: int32 rank of model i's element e at i·rank_stride + e − rank_first */
    uint64_t seed;
    int64_t origin;
    int64_t first;
    int64_t n;
    int64_t row_length;
    int64_t rank_first;
    int64_t rank_stride;
    int32_t n_models;
    int32_t base_type;
    int32_t out_type;
    int32_t random;
    int32_t election;
    int32_t flags;
    uint32_t tensor_id;
    int32_t norm;
    float sum_divisor;
    float lambda;
} mkcu_sparse_args;

/* keep ? q : +0 on the bits, so a dropped value is +0 whatever q is. */
EXMERGE_HD float mkcu_keep_or_zero(float q, int keep) {
    return mkcu_float(mkcu_bits(q) & (keep ? 0xFFFFFFFFu : 0u));
}

/* The spec's BitMasks.less(u, p): the int difference of the bits, wrapping as Java's does. */
EXMERGE_HD int mkcu_less_bits(float u, float p) {
    return (int32_t)(mkcu_bits(u) - mkcu_bits(p)) < 0;
}

/* SparseOp.rankProb: multiply, divide, add in float64, one rounding to float32. */
EXMERGE_HD float mkcu_rank_prob(const mkcu_sparse_args *a, int32_t i, int32_t rank) {
    const int64_t n = a->row_length;
    if (n == 1) {
        return a->rank_single[i];
    }
    return (float)(a->rank_low[i] + a->rank_span[i] * (double)(rank - 1) / (double)(n - 1));
}

/* τ of model i at absolute element e, given the widened base b. */
EXMERGE_HD float mkcu_tau(const mkcu_sparse_args *a, int32_t i, int64_t e, float b) {
    return mkcu_load(mkcu_ptr(a->inputs[i]), a->input_types[i], e - a->origin) - b;
}

/* Whether model i keeps τ at element e; *p receives the keep probability where one applies. */
EXMERGE_HD int mkcu_sparse_keep(const mkcu_sparse_args *a, int32_t i, int64_t e, float t, float *p) {
    const int64_t key = (int64_t)mkcu_magnitude_key(t);
    int keep = key >= a->keep_from[i] && key < a->keep_below[i];
    if (a->random == MKCU_RANDOM_NONE) {
        return keep;
    }
    if (a->random == MKCU_RANDOM_FIXED) {
        *p = a->keep_prob[i];
    } else {
        const int32_t *ranks = (const int32_t *)mkcu_ptr(a->ranks);
        *p = mkcu_rank_prob(a, i, ranks[(int64_t)i * a->rank_stride + (e - a->rank_first)]);
    }
    return keep && mkcu_less_bits(mkcu_uniform(a->seed, e, a->tensor_id, (uint32_t)i), *p);
}

/* v_i = w_i · (keep ? τ / divisor : +0), w_i = weights[i] or 1 under MKCU_ELECT_LONE
 * (SparseOp.valueWeight); the quotient of a dropped element is formed and discarded. */
EXMERGE_HD float mkcu_sparse_value(const mkcu_sparse_args *a, int32_t i, int64_t e, float b) {
    const float t = mkcu_tau(a, i, e, b);
    float p = 0.0f;
    const int keep = mkcu_sparse_keep(a, i, e, t, &p);
    const float div = (a->flags & MKCU_SPARSE_DIVIDE_BY_PROB) ? p : a->divisor[i];
    const float w = a->election == MKCU_ELECT_LONE ? 1.0f : a->weights[i];
    return w * mkcu_keep_or_zero(t / div, keep);
}

/* 1 where a value is nonzero and not NaN (it agrees under MKCU_ELECT_KEPT and MKCU_ELECT_LONE), else 0. */
EXMERGE_HD int32_t mkcu_kept_value(float x) {
    return x > 0.0f || x < 0.0f;
}

/* m (before fma with λ) from the weighted values v[0 .. n_models). */
EXMERGE_HD float mkcu_sparse_mix(const mkcu_sparse_args *a, const float *v) {
    float m = 0.0f;
    if (a->election == MKCU_ELECT_NONE) {
        for (int32_t i = 0; i < a->n_models; i++) {
            m = m + v[i];
        }
        return (a->flags & MKCU_SPARSE_NORMALIZE) ? m / a->sum_divisor : m;
    }
    int up = 1;
    if (a->election == MKCU_ELECT_SUM) {
        float s = 0.0f;
        for (int32_t i = 0; i < a->n_models; i++) {
            s = s + v[i];
        }
        up = s >= 0.0f; /* true for −0, false for NaN */
    } else if (a->election == MKCU_ELECT_COUNT) {
        int32_t count = 0;
        for (int32_t i = 0; i < a->n_models; i++) {
            count += (v[i] > 0.0f) - (v[i] < 0.0f); /* ±0 and NaN count 0 */
        }
        up = count >= 0;
    }
    const int lone = a->election == MKCU_ELECT_LONE;
    float d = 0.0f;
    float g = 0.0f;
    for (int32_t i = 0; i < a->n_models; i++) {
        /* a zero or NaN never agrees; MKCU_ELECT_KEPT (mergekit's ram) and MKCU_ELECT_LONE (its
         * ramplus_tl) elect no sign */
        const int agree = a->election >= MKCU_ELECT_KEPT ? v[i] > 0.0f || v[i] < 0.0f
                                                         : up ? v[i] > 0.0f : v[i] < 0.0f;
        m = m + mkcu_keep_or_zero(v[i], agree);
        d = d + mkcu_keep_or_zero(lone ? 1.0f : a->weights[i], agree); /* LONE: the count */
        g = g + mkcu_keep_or_zero(a->weights[i], agree);
    }
    if (a->flags & MKCU_SPARSE_NORMALIZE) {
        m = m / (d + (d == 0.0f ? 1.0f : 0.0f)); /* d is never −0: the sums start at +0 */
    }
    if (lone && d == 1.0f) {
        m = g * m; /* one agreeing value: g is its model's weight */
    }
    return m;
}

/* Grid-stride merge of elements [first, first + n). */
EXMERGE_HD void mkcu_sparse_merge_body(const mkcu_sparse_args *a, mkcu_ctx c, int phase, mkcu_no_shared *s) {
    float v[MKCU_MAX_MODELS];
    for (int64_t j = mkcu_first(c); j < a->n; j += mkcu_stride(c)) {
        const int64_t e = a->first + j;
        const float b = mkcu_load(mkcu_ptr(a->base), a->base_type, e - a->origin);
        for (int32_t i = 0; i < a->n_models; i++) {
            v[i] = mkcu_sparse_value(a, i, e, b);
        }
        mkcu_store(mkcu_out_ptr(a->out), a->out_type, j, mkcu_fmaf(a->lambda, mkcu_sparse_mix(a, v), b));
    }
}

typedef struct mkcu_counts_shared {
    uint64_t counts[2 * MKCU_MAX_MODELS];
} mkcu_counts_shared;

/*
 * Kernels.keptCounts over elements [first, first + n): out holds 2 · n_models uint64 counts (shared,
 * lone per model), zeroed by the caller and added to. Phase 0 zeroes the block's counts; phase 1:
 * each thread forms every model's value of its elements as the merge does, counts the nonzero,
 * non-NaN ones (c) and adds each model's shared (c > 1) and lone (c == 1) elements to the block's
 * counts; phase 2 adds those to the global ones. Integer counts: the order of the atomics changes
 * nothing.
 */
EXMERGE_HD void mkcu_sparse_kept_counts_body(const mkcu_sparse_args *a, mkcu_ctx c, int phase, mkcu_counts_shared *s) {
    const int32_t slots = 2 * a->n_models;
    if (phase == 0) {
        for (int32_t k = (int32_t)c.thread; k < slots; k += (int32_t)c.threads) {
            s->counts[k] = 0;
        }
        return;
    }
    if (phase == 2) {
        uint64_t *out = (uint64_t *)mkcu_out_ptr(a->out);
        for (int32_t k = (int32_t)c.thread; k < slots; k += (int32_t)c.threads) {
            if (s->counts[k] != 0) {
                mkcu_atomic_add_u64(out + k, s->counts[k]);
            }
        }
        return;
    }
    uint32_t mine[2 * MKCU_MAX_MODELS];
    for (int32_t k = 0; k < slots; k++) {
        mine[k] = 0;
    }
    float v[MKCU_MAX_MODELS];
    for (int64_t j = mkcu_first(c); j < a->n; j += mkcu_stride(c)) {
        const int64_t e = a->first + j;
        const float b = mkcu_load(mkcu_ptr(a->base), a->base_type, e - a->origin);
        int32_t count = 0;
        for (int32_t i = 0; i < a->n_models; i++) {
            v[i] = mkcu_sparse_value(a, i, e, b);
            count += mkcu_kept_value(v[i]);
        }
        const int32_t slot = count == 1 ? 1 : 0;
        for (int32_t i = 0; i < a->n_models; i++) {
            mine[2 * i + slot] += (uint32_t)mkcu_kept_value(v[i]);
        }
    }
    for (int32_t k = 0; k < slots; k++) {
        if (mine[k] != 0) {
            mkcu_atomic_add_u64(&s->counts[k], mine[k]);
        }
    }
}

#endif
