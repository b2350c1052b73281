/*
 * numerics §3's per-element sparse arithmetic in portable C (org.exmerge.kernel.SparseOp): the scalar
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


/* The Java spec's BitMasks.less(u, p) on the float bits, wrapping as Java's int difference does: equal to
 * u < p for the non-negative p the ops take, and it decides a NaN p (inf * 0 in a rank probability)
 * as the spec does. */
static inline int mk_less_bits(float u, float p) {
    return (int32_t)(mk_bits(u) - mk_bits(p)) < 0;
}

/* keep_i for DELLA's per-element probability p (u: this element's uniform). */
static inline int mk_ranked_keep1(float t, uint32_t from, uint32_t below, float u, float p) {
    uint32_t key = mk_magnitude_key(t);
    return key >= from && key < below && mk_less_bits(u, p);
}

/* keep_i of mk_sparse_merge for one task-vector value (u: this element's uniform, or NULL). */
static inline int mk_sparse_keep1(float t, uint32_t from, uint32_t below, const float *u, float p) {
    uint32_t key = mk_magnitude_key(t);
    return key >= from && key < below && (u == NULL || *u < p);
}

/* The numerics §4 norm term of t: |t| (L1) or t*t (L2), in float64 (the product of two floats is exact). */
static inline double mk_norm_term(float t, int32_t norm) {
    double d = (double)t;
    return norm == MK_NORM_L1 ? fabs(d) : d * d;
}

/* Java's Math.max(m, a) for the L-infinity norm: a NaN m stays, else the larger, a NaN a winning
 * (m >= NaN is false). Math.max's -0/+0 rule never applies: every value here is a fabs, >= +0. */
static inline double mk_java_max(double m, double a) {
    if (m != m) {
        return m;
    }
    return m >= a ? m : a;
}

/* One element's numerics §4 lane updates (lane = its index in the block % 64). */
static inline void mk_sparse_norm1(float t, int keep, int32_t norm, double *before, double *after) {
    double term = mk_norm_term(t, norm);
    *before = *before + term;
    *after = *after + (keep ? term : 0.0);
}

/* The factor of model i's values: weights[i], or 1 under MK_ELECT_LONE (SparseOp.valueWeight). */
static inline float mk_value_weight(int32_t election, const float *weights, int32_t i) {
    return election == MK_ELECT_LONE ? 1.0f : weights[i];
}

/* 1 where a value is nonzero and not NaN (it agrees under MK_ELECT_KEPT and MK_ELECT_LONE), else 0. */
static inline int32_t mk_kept_value(float x) {
    return x > 0.0f || x < 0.0f;
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
    int up = 1;
    if (a->election == MK_ELECT_SUM) {
        float s = 0.0f;
        for (int32_t i = 0; i < a->n_models; i++) {
            s = s + v[i * MK_SPARSE_TILE + j];
        }
        up = s >= 0.0f; /* true for -0, false for NaN */
    } else if (a->election == MK_ELECT_COUNT) {
        int32_t c = 0;
        for (int32_t i = 0; i < a->n_models; i++) {
            float x = v[i * MK_SPARSE_TILE + j];
            c += (x > 0.0f) - (x < 0.0f); /* +-0 and NaN count 0 */
        }
        up = c >= 0;
    }
    const int lone = a->election == MK_ELECT_LONE;
    float d = 0.0f;
    float g = 0.0f;
    for (int32_t i = 0; i < a->n_models; i++) {
        float x = v[i * MK_SPARSE_TILE + j];
        /* a zero or NaN never agrees; under MK_ELECT_KEPT and MK_ELECT_LONE neither sign is elected */
        int agree = a->election >= MK_ELECT_KEPT ? x > 0.0f || x < 0.0f : up ? x > 0.0f : x < 0.0f;
        m = m + mk_keep_or_zero(x, agree);
        d = d + mk_keep_or_zero(lone ? 1.0f : a->weights[i], agree); /* MK_ELECT_LONE: the count */
        g = g + mk_keep_or_zero(a->weights[i], agree);
    }
    if (a->normalize) {
        /* the spec adds 1 where d == 0 and +0 elsewhere; d + +0 is d (d is never -0) */
        m = m / (d + (d == 0.0f ? 1.0f : 0.0f));
    }
    if (lone && d == 1.0f) {
        m = g * m; /* one agreeing value: g is its model's weight */
    }
    return m;
}

#endif
