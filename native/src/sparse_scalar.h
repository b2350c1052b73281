/*
 * SPEC §3's per-element sparse arithmetic in portable C (org.exmerge.kernel.SparseOp): the scalar
 * path is built from these, and the SIMD paths finish their tails with them, so every path's last
 * few elements are the reference's by construction. Decisions are plain float/int comparisons: the
 * Java spec's bit masks (kernel/BitMasks) are exact restatements of the same comparisons.
 */
#ifndef EXMERGE_SPARSE_SCALAR_H
#define EXMERGE_SPARSE_SCALAR_H

#include "fp_scalar.h"
#include "kernels.h"

/* keep ? q : +0 on the bits, so the dropped value is +0 whatever q is (NaN, -0, inf). */
static inline float mk_keep_or_zero(float q, int keep) {
    return mk_float(mk_bits(q) & (keep ? 0xFFFFFFFFu : 0u));
}

/* v = w * (from <= key(t) < below && (!u || *u < p) ? t / div : +0); the quotient of a dropped
 * element is computed and discarded, as in the spec, and w * +0 may be -0 or NaN (w < 0, w = inf). */
static inline float mk_sparse_value1(float t, uint32_t from, uint32_t below, const float *u, float p, float div,
                                     float w) {
    uint32_t key = mk_magnitude_key(t);
    int keep = key >= from && key < below && (u == NULL || *u < p);
    return w * mk_keep_or_zero(t / div, keep);
}

/* m for element j (before fma with lambda) from the value tiles v + i * MK_SPARSE_TILE. */
static inline float mk_sparse_mix1(const mk_sparse_args *a, const float *v, int64_t j) {
    float m = 0.0f;
    if (a->election == MK_ELECT_NONE) {
        for (int32_t i = 0; i < a->n_models; i++) {
            m = m + v[i * MK_SPARSE_TILE + j];
        }
        return a->normalize ? m / a->sum_divisor : m;
    }
    int up;
    if (a->election == MK_ELECT_SUM) {
        float s = 0.0f;
        for (int32_t i = 0; i < a->n_models; i++) {
            s = s + v[i * MK_SPARSE_TILE + j];
        }
        up = s >= 0.0f; /* true for -0, false for NaN */
    } else {
        int32_t c = 0;
        for (int32_t i = 0; i < a->n_models; i++) {
            float x = v[i * MK_SPARSE_TILE + j];
            c += (x > 0.0f) - (x < 0.0f); /* +-0 and NaN count 0 */
        }
        up = c >= 0;
    }
    float d = 0.0f;
    for (int32_t i = 0; i < a->n_models; i++) {
        float x = v[i * MK_SPARSE_TILE + j];
        int agree = up ? x > 0.0f : x < 0.0f; /* a zero or NaN never agrees */
        m = m + mk_keep_or_zero(x, agree);
        d = d + mk_keep_or_zero(a->weights[i], agree);
    }
    if (a->normalize) {
        /* the spec adds 1 where d == 0 and +0 elsewhere; d + +0 is d (d is never -0) */
        m = m / (d + (d == 0.0f ? 1.0f : 0.0f));
    }
    return m;
}

#endif
