/*
 * mergekit's sce (kernel/SceKernels, the arithmetic on SceOp), in float32 with τ_i = x_i − b: the
 * per-element population variance of the task vectors (float64, rounded once), its magnitude key
 * against keepFrom, the two histogram passes over the nonzero keys, one numerics §4 block of
 * Σ τ̂_i² per model, and the merge (unweighted sign election, weighted mean of the agreeing τ̂).
 * Slices start at the sub-chunk: element j of every operand is the same tensor element.
 */
#ifndef MKCU_SCE_CUH
#define MKCU_SCE_CUH

#include "mkcu_magnitude.cuh"
#include "mkcu_reduce.cuh"

/* The launch parameters (304 bytes), shared by the three kernels; SceLaunch packs the same layout. */
typedef struct mkcu_sce_args {
    uint64_t inputs[MKCU_MAX_MODELS];
    float weights[MKCU_MAX_MODELS];
    int32_t input_types[MKCU_MAX_MODELS];
    uint64_t base;
    uint64_t out; /* merge: the output slice; histogram: uint64 counts; squares: float64 [n_models] */
    int64_t n;
    int64_t keep_from; /* 0: keep all; 2^31: keep none */
    int32_t n_models;
    int32_t base_type;
    int32_t out_type;
    int32_t high; /* histogram: < 0 the first pass */
} mkcu_sce_args;

EXMERGE_HD float mkcu_sce_tau(const mkcu_sce_args *a, int32_t i, int64_t j, float b) {
    return mkcu_load(mkcu_ptr(a->inputs[i]), a->input_types[i], j) - b;
}

/* SceOp.variance: S and V from +0 in model order, each step rounded to float64, no fma. */
EXMERGE_HD float mkcu_sce_variance(const mkcu_sce_args *a, int64_t j, float b) {
    double s = 0.0;
    for (int32_t i = 0; i < a->n_models; i++) {
        s = s + (double)mkcu_sce_tau(a, i, j, b);
    }
    const double mu = s / a->n_models;
    double v = 0.0;
    for (int32_t i = 0; i < a->n_models; i++) {
        const double d = (double)mkcu_sce_tau(a, i, j, b) - mu;
        v = v + d * d;
    }
    return (float)(v / a->n_models);
}

EXMERGE_HD int mkcu_sce_keep(const mkcu_sce_args *a, int64_t j, float b) {
    return a->keep_from == 0 || (int64_t)mkcu_magnitude_key(mkcu_sce_variance(a, j, b)) >= a->keep_from;
}

EXMERGE_HD void mkcu_sce_histogram_body(const mkcu_sce_args *a, mkcu_ctx c, int phase, mkcu_no_shared *s) {
    uint64_t *hist = (uint64_t *)mkcu_out_ptr(a->out);
    for (int64_t j = mkcu_first(c); j < a->n; j += mkcu_stride(c)) {
        const float b = mkcu_load(mkcu_ptr(a->base), a->base_type, j);
        const uint32_t key = mkcu_magnitude_key(mkcu_sce_variance(a, j, b));
        if (key == 0) {
            continue; /* sce ranks the nonzero variances only */
        }
        if (a->high < 0) {
            mkcu_atomic_add_u64(hist + (key >> 16), 1);
        } else if ((key >> 16) == (uint32_t)a->high) {
            mkcu_atomic_add_u64(hist + (key & 0xFFFFu), 1);
        }
    }
}

typedef struct mkcu_sce_squares_shared {
    double lanes[MKCU_MAX_MODELS][MKCU_LANES];
} mkcu_sce_squares_shared;

/*
 * One block of MKCU_LANES threads over one numerics §4 block (the slice starts at its first
 * element, so j mod 64 is the lane). Phase 0: thread l adds τ̂_i² of its elements in order, per
 * model; phase 1: thread i folds model i's lanes.
 */
EXMERGE_HD void mkcu_sce_squares_body(const mkcu_sce_args *a, mkcu_ctx c, int phase, mkcu_sce_squares_shared *s) {
    if (phase == 0) {
        if (c.thread >= MKCU_LANES) {
            return;
        }
        double acc[MKCU_MAX_MODELS];
        for (int32_t i = 0; i < a->n_models; i++) {
            acc[i] = 0.0;
        }
        for (int64_t j = c.thread; j < a->n; j += MKCU_LANES) {
            const float b = mkcu_load(mkcu_ptr(a->base), a->base_type, j);
            const int keep = mkcu_sce_keep(a, j, b);
            for (int32_t i = 0; i < a->n_models; i++) {
                const double v = keep ? (double)mkcu_sce_tau(a, i, j, b) : 0.0;
                acc[i] = acc[i] + v * v;
            }
        }
        for (int32_t i = 0; i < a->n_models; i++) {
            s->lanes[i][c.thread] = acc[i];
        }
        return;
    }
    if ((int32_t)c.thread < a->n_models) {
        ((double *)mkcu_out_ptr(a->out))[c.thread] = mkcu_fold(s->lanes[c.thread]);
    }
}

EXMERGE_HD float mkcu_sce_element(const mkcu_sce_args *a, int64_t j) {
    const float b = mkcu_load(mkcu_ptr(a->base), a->base_type, j);
    const int keep = mkcu_sce_keep(a, j, b);
    float sum = 0.0f;
    for (int32_t i = 0; i < a->n_models; i++) {
        sum = sum + (keep ? mkcu_sce_tau(a, i, j, b) : 0.0f);
    }
    const int up = sum >= 0.0f;
    float mix = 0.0f;
    float d = 0.0f;
    for (int32_t i = 0; i < a->n_models; i++) {
        const float v = keep ? mkcu_sce_tau(a, i, j, b) : 0.0f;
        if (up ? v > 0.0f : v < 0.0f) {
            mix = mix + a->weights[i] * v;
            d = d + a->weights[i];
        }
    }
    const float q = d < 1e-6f ? 1e-6f : d;
    return b + mix / q;
}

EXMERGE_HD void mkcu_sce_merge_body(const mkcu_sce_args *a, mkcu_ctx c, int phase, mkcu_no_shared *s) {
    for (int64_t j = mkcu_first(c); j < a->n; j += mkcu_stride(c)) {
        mkcu_store(mkcu_out_ptr(a->out), a->out_type, j, mkcu_sce_element(a, j));
    }
}

#endif
