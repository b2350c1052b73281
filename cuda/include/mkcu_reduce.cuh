/*
 * numerics §4's float64 block reduction: in a block of 65,536 elements lane l of 64 adds the terms
 * of elements l, l + 64, … in order from +0, then the lanes fold pairwise (s = 32 … 1:
 * p[l] = p[l] + p[l + s]). One GPU thread per lane keeps that order exactly; the fold runs after a
 * barrier. Here it serves the sparse norms (kernel/SparseKernels.norms): per model, the norm of τ
 * and of the kept τ, as L1 (|τ|), L2 (τ·τ) or L∞ (the largest |τ|, NaN propagating).
 */
#ifndef MKCU_REDUCE_CUH
#define MKCU_REDUCE_CUH

#include "mkcu_sparse.cuh"

#define MKCU_LANES 64
#define MKCU_REDUCTION_BLOCK 65536

/* Pairwise fold of MKCU_LANES partial values into p[0]. */
EXMERGE_HD double mkcu_fold(double *p) {
    for (int s = MKCU_LANES / 2; s >= 1; s >>= 1) {
        for (int l = 0; l < s; l++) {
            p[l] = p[l] + p[l + s];
        }
    }
    return p[0];
}

/* Java's Math.max(m, a) over values ≥ +0: a NaN m stays, a NaN a wins. */
EXMERGE_HD double mkcu_java_max(double m, double a) {
    if (m != m) {
        return m;
    }
    return m >= a ? m : a;
}

EXMERGE_HD double mkcu_fold_max(const double *p) {
    double m = p[0];
    for (int l = 1; l < MKCU_LANES; l++) {
        m = mkcu_java_max(m, p[l]);
    }
    return m;
}

typedef struct mkcu_norms_shared {
    double before[MKCU_LANES];
    double after[MKCU_LANES];
} mkcu_norms_shared;

/*
 * One block per model, MKCU_LANES threads; elements [first, first + n) are one reduction block
 * (first a multiple of 65,536). Phase 0: thread l accumulates its lane; phase 1: thread 0 folds and
 * writes out[2i] (τ) and out[2i + 1] (kept τ).
 */
EXMERGE_HD void mkcu_sparse_norms_body(const mkcu_sparse_args *a, mkcu_ctx c, int phase, mkcu_norms_shared *s) {
    const int32_t i = (int32_t)c.block;
    if (phase == 0) {
        if (c.thread >= MKCU_LANES) {
            return;
        }
        double before = 0.0;
        double after = 0.0;
        for (int64_t j = c.thread; j < a->n; j += MKCU_LANES) {
            const int64_t e = a->first + j;
            const float t = mkcu_tau(a, i, e, mkcu_load(mkcu_ptr(a->base), a->base_type, e - a->origin));
            float p = 0.0f;
            const int keep = mkcu_sparse_keep(a, i, e, t, &p);
            if (a->norm == MKCU_NORM_LINF) {
                const double m = fabs((double)t);
                before = mkcu_java_max(before, m);
                after = keep ? mkcu_java_max(after, m) : after;
            } else {
                const double d = (double)t;
                const double term = a->norm == MKCU_NORM_L1 ? fabs(d) : d * d;
                before = before + term;
                after = after + (keep ? term : 0.0);
            }
        }
        s->before[c.thread] = before;
        s->after[c.thread] = after;
        return;
    }
    if (c.thread != 0) {
        return;
    }
    double *out = (double *)mkcu_out_ptr(a->out);
    if (a->norm == MKCU_NORM_LINF) {
        out[2 * i] = mkcu_fold_max(s->before);
        out[2 * i + 1] = mkcu_fold_max(s->after);
    } else {
        out[2 * i] = mkcu_fold(s->before);
        out[2 * i + 1] = mkcu_fold(s->after);
    }
}

#endif
