/*
 * mergekit's arcee_fusion (kernel/FusionKernels, the arithmetic on FusionOp), in float32:
 * τ = x − b, importance = |τ| · rowKl[e / rowLength] (a plain multiply), its magnitude key in the
 * two histogram passes (every element, zeros too), and b + (importance ≥ threshold ? τ : +0).
 * The Java side computes the row KL divergences and stages those of the rows a sub-chunk touches.
 */
#ifndef MKCU_FUSION_CUH
#define MKCU_FUSION_CUH

#include "mkcu_magnitude.cuh"

/* The launch parameters (88 bytes); FusionLaunch packs the same layout. */
typedef struct mkcu_fusion_args {
    uint64_t x;
    uint64_t base;
    uint64_t row_kl; /* float32, from row first_row */
    uint64_t out;    /* merge: the output slice; histogram: uint64 counts */
    int64_t n;
    int64_t first; /* the tensor element of j = 0 */
    int64_t first_row;
    int64_t row_length;
    float threshold;
    int32_t x_type;
    int32_t base_type;
    int32_t out_type;
    int32_t high; /* histogram: < 0 the first pass */
    int32_t unused;
} mkcu_fusion_args;

EXMERGE_HD float mkcu_fusion_importance(const mkcu_fusion_args *a, int64_t j, float tau) {
    const float kl = ((const float *)mkcu_ptr(a->row_kl))[(a->first + j) / a->row_length - a->first_row];
    return fabsf(tau) * kl;
}

EXMERGE_HD void mkcu_fusion_histogram_body(const mkcu_fusion_args *a, mkcu_ctx c, int phase, mkcu_no_shared *s) {
    uint64_t *hist = (uint64_t *)mkcu_out_ptr(a->out);
    for (int64_t j = mkcu_first(c); j < a->n; j += mkcu_stride(c)) {
        const float tau = mkcu_load(mkcu_ptr(a->x), a->x_type, j) - mkcu_load(mkcu_ptr(a->base), a->base_type, j);
        const uint32_t key = mkcu_magnitude_key(mkcu_fusion_importance(a, j, tau));
        if (a->high < 0) {
            mkcu_atomic_add_u64(hist + (key >> 16), 1);
        } else if ((key >> 16) == (uint32_t)a->high) {
            mkcu_atomic_add_u64(hist + (key & 0xFFFFu), 1);
        }
    }
}

EXMERGE_HD void mkcu_fusion_merge_body(const mkcu_fusion_args *a, mkcu_ctx c, int phase, mkcu_no_shared *s) {
    for (int64_t j = mkcu_first(c); j < a->n; j += mkcu_stride(c)) {
        const float b = mkcu_load(mkcu_ptr(a->base), a->base_type, j);
        const float tau = mkcu_load(mkcu_ptr(a->x), a->x_type, j) - b;
        const float v = b + (mkcu_fusion_importance(a, j, tau) >= a->threshold ? tau : 0.0f);
        mkcu_store(mkcu_out_ptr(a->out), a->out_type, j, v);
    }
}

#endif
