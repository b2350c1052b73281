/* numerics §3's sparse tile primitives on AVX2: 8 lanes, decisions as all-ones lane masks (the spec's
 * bit masks, with the same comparisons), the last < 8 elements by sparse_scalar.h (identical). */
#include "kernels.h"
#include "simd_avx2.h"
#include "sparse_scalar.h"

/* w * (from <= key(t) < below && (!u || u[0..8) < p) ? t / div : +0) for 8 lanes; divide is div != 1
 * (t is a difference, so never a signalling NaN, and t / 1 is t bit for bit: no division then). */
MK_INLINE __m256 value_vec(__m256 t, __m256i from, __m256i below, const float *u, __m256 p, int divide, __m256 div,
                           __m256 w) {
    __m256i key = _mm256_min_epu32(_mm256_and_si256(_mm256_castps_si256(t), _mm256_set1_epi32(0x7FFFFFFF)),
                                   _mm256_set1_epi32((int)MK_NAN_KEY));
    /* keys and bounds are <= 0x7FFFFFFF, so signed compares order them: from <= key is !(from > key) */
    __m256i keep = _mm256_andnot_si256(_mm256_cmpgt_epi32(from, key), _mm256_cmpgt_epi32(below, key));
    if (u != NULL) {
        keep = _mm256_and_si256(keep, _mm256_castps_si256(_mm256_cmp_ps(_mm256_loadu_ps(u), p, _CMP_LT_OQ)));
    }
    __m256 q = _mm256_and_ps(divide ? _mm256_div_ps(t, div) : t, _mm256_castsi256_ps(keep));
    return _mm256_mul_ps(w, q);
}

void mk_sparse_values_avx2(const void *x, int32_t tx, const float *b, int64_t len, uint32_t from, uint32_t below,
                           const float *u, float p, float div, float w, float *v) {
    const __m256i vfrom = _mm256_set1_epi32((int)from);
    const __m256i vbelow = _mm256_set1_epi32((int)below);
    const __m256 vp = _mm256_set1_ps(p);
    const __m256 vdiv = _mm256_set1_ps(div);
    const __m256 vw = _mm256_set1_ps(w);
    const int divide = div != 1.0f;
    int64_t j = 0;
    for (; j + 8 <= len; j += 8) {
        __m256 t = _mm256_sub_ps(mk256_load(x, tx, j), _mm256_loadu_ps(b + j));
        _mm256_storeu_ps(v + j, value_vec(t, vfrom, vbelow, u == NULL ? NULL : u + j, vp, divide, vdiv, vw));
    }
    for (; j < len; j++) {
        v[j] = mk_sparse_value1(mk_load(x, tx, j) - b[j], from, below, u == NULL ? NULL : u + j, p, div, w);
    }
}

/* m for 8 elements of k models' values: r[i] when r is set (the register-resident path), else the
 * value tiles v + i * MK_SPARSE_TILE at j. ELECT, NORMALIZE and whether r is set are constants at
 * every call site, so each instantiation carries only its own path. */
MK_INLINE __m256 mix_vec(const float *v, const __m256 *r, int64_t j, int32_t k, const float *weights,
                         float sum_divisor, int32_t ELECT, int NORMALIZE) {
#define MK_VALUE(i) (r != NULL ? r[i] : _mm256_loadu_ps(v + (int64_t)(i) * MK_SPARSE_TILE + j))
    const __m256 zero = _mm256_setzero_ps();
    __m256 mix = zero;
    if (ELECT == MK_ELECT_NONE) {
        for (int32_t i = 0; i < k; i++) {
            mix = _mm256_add_ps(mix, MK_VALUE(i));
        }
        return NORMALIZE ? _mm256_div_ps(mix, _mm256_set1_ps(sum_divisor)) : mix;
    }
    __m256 up = zero;
    if (ELECT == MK_ELECT_SUM) {
        __m256 s = zero;
        for (int32_t i = 0; i < k; i++) {
            s = _mm256_add_ps(s, MK_VALUE(i));
        }
        up = _mm256_cmp_ps(s, zero, _CMP_GE_OQ); /* true for -0, false for NaN */
    } else if (ELECT == MK_ELECT_COUNT) {
        __m256i c = _mm256_setzero_si256();
        for (int32_t i = 0; i < k; i++) {
            __m256 x = MK_VALUE(i);
            /* a true compare is -1 as an integer: c += sign(x) is c - (x > 0) + (x < 0) */
            c = _mm256_sub_epi32(c, _mm256_castps_si256(_mm256_cmp_ps(x, zero, _CMP_GT_OQ)));
            c = _mm256_add_epi32(c, _mm256_castps_si256(_mm256_cmp_ps(x, zero, _CMP_LT_OQ)));
        }
        up = _mm256_castsi256_ps(_mm256_cmpgt_epi32(c, _mm256_set1_epi32(-1))); /* c >= 0 */
    }
    /* agree is x > 0 where up, x < 0 elsewhere: with x's sign flipped where not up, x > 0 (NaN and
     * zeros disagree either way) */
    const __m256 flip = _mm256_andnot_ps(up, _mm256_set1_ps(-0.0f));
    const __m256 one = _mm256_set1_ps(1.0f);
    __m256 d = zero;
    __m256 g = zero; /* MK_ELECT_LONE: the agreeing weights, the lone model's where d is 1 */
    for (int32_t i = 0; i < k; i++) {
        __m256 x = MK_VALUE(i);
        /* MK_ELECT_KEPT and MK_ELECT_LONE elect no sign: both ordered compares, so zeros and NaN
         * still disagree */
        __m256 agree = ELECT >= MK_ELECT_KEPT
                           ? _mm256_or_ps(_mm256_cmp_ps(x, zero, _CMP_GT_OQ), _mm256_cmp_ps(x, zero, _CMP_LT_OQ))
                           : _mm256_cmp_ps(_mm256_xor_ps(x, flip), zero, _CMP_GT_OQ);
        mix = _mm256_add_ps(mix, _mm256_and_ps(agree, x));
        if (ELECT == MK_ELECT_LONE) {
            d = _mm256_add_ps(d, _mm256_and_ps(agree, one));
            g = _mm256_add_ps(g, _mm256_and_ps(agree, _mm256_set1_ps(weights[i])));
        } else {
            d = _mm256_add_ps(d, _mm256_and_ps(agree, _mm256_set1_ps(weights[i])));
        }
    }
    if (NORMALIZE) {
        __m256 z = _mm256_cmp_ps(d, zero, _CMP_EQ_OQ);
        mix = _mm256_div_ps(mix, _mm256_add_ps(d, _mm256_and_ps(z, one)));
    }
    if (ELECT == MK_ELECT_LONE) {
        mix = _mm256_blendv_ps(mix, _mm256_mul_ps(g, mix), _mm256_cmp_ps(d, one, _CMP_EQ_OQ));
    }
    return mix;
#undef MK_VALUE
}

MK_INLINE void combine(const mk_sparse_args *a, const float *v, const float *b, int64_t len, void *out,
                       int32_t ELECT, int NORMALIZE, int32_t O) {
    const __m256 lambda = _mm256_set1_ps(a->lambda);
    int64_t j = 0;
    for (; j + 8 <= len; j += 8) {
        __m256 mix = mix_vec(v, NULL, j, a->n_models, a->weights, a->sum_divisor, ELECT, NORMALIZE);
        mk256_store(out, O, j, _mm256_fmadd_ps(lambda, mix, _mm256_loadu_ps(b + j)));
    }
    for (; j < len; j++) {
        mk_store(out, O, j, fmaf(a->lambda, mk_sparse_mix1(a, v, j), b[j]));
    }
}

/* The register-resident sparse merge (mk_kernel_table.sparse_direct) for K models of type T, base
 * T too: per 8 elements the base is widened once and each model's value stays in a register, the
 * same operations in the same order as sparse_values then sparse_combine. */
MK_INLINE void direct(const mk_sparse_args *a, const void *const *x, const void *b, int64_t e, int64_t len,
                      const uint32_t *from, const uint32_t *below, const float *div, void *out, int32_t T, int32_t K,
                      int32_t ELECT, int DIVIDE) {
    __m256i vfrom[4], vbelow[4];
    __m256 vdiv[4], vw[4];
    float w[4]; /* a copy the output's stores cannot alias, so it stays in registers */
    const void *xi[4];
    for (int32_t i = 0; i < K; i++) {
        vfrom[i] = _mm256_set1_epi32((int)from[i]);
        vbelow[i] = _mm256_set1_epi32((int)below[i]);
        vdiv[i] = _mm256_set1_ps(div[i]);
        w[i] = a->weights[i];
        vw[i] = _mm256_set1_ps(ELECT == MK_ELECT_LONE ? 1.0f : w[i]); /* LONE: values unweighted */
        xi[i] = x[i];
    }
    const __m256 lambda = _mm256_set1_ps(a->lambda);
    const __m256 none = _mm256_setzero_ps();
    const float sum_divisor = a->sum_divisor;
    const int normalize = a->normalize;
    const int32_t o = a->out_type;
    for (int64_t j = 0; j + 8 <= len; j += 8) {
        __m256 bv = mk256_load(b, T, e + j);
        __m256 r[4];
        for (int32_t i = 0; i < K; i++) {
            __m256 t = _mm256_sub_ps(mk256_load(xi[i], T, e + j), bv);
            r[i] = value_vec(t, vfrom[i], vbelow[i], NULL, none, DIVIDE, vdiv[i], vw[i]);
        }
        __m256 mix = normalize ? mix_vec(NULL, r, 0, K, w, sum_divisor, ELECT, 1)
                               : mix_vec(NULL, r, 0, K, w, sum_divisor, ELECT, 0);
        mk256_store(out, o, j, _mm256_fmadd_ps(lambda, mix, bv));
    }
}

#include "sparse_switch.h"

void mk_sparse_combine_avx2(const mk_sparse_args *a, const float *v, const float *b, int64_t len, void *out) {
    combine_switch(a, v, b, len, out);
}

int64_t mk_sparse_direct_avx2(const mk_sparse_args *a, const void *const *x, int32_t t, const void *b, int64_t e,
                              int64_t len, const uint32_t *from, const uint32_t *below, const float *div,
                              void *out) {
    if (a->n_models < 1 || a->n_models > 4) {
        return 0;
    }
    direct_switch(a, x, t, b, e, len, from, below, div, out);
    return len & ~(int64_t)7;
}

/* lanes[0..8) += the 8 terms of one piece, as two 4-double halves. */
MK_INLINE void add_lanes(double *lanes, __m256d lo, __m256d hi) {
    _mm256_storeu_pd(lanes, _mm256_add_pd(_mm256_loadu_pd(lanes), lo));
    _mm256_storeu_pd(lanes + 4, _mm256_add_pd(_mm256_loadu_pd(lanes + 4), hi));
}

void mk_sparse_norm_lanes_avx2(const void *x, int32_t tx, const float *b, int64_t len, uint32_t from, uint32_t below,
                               const float *u, float p, int32_t norm, double *before, double *after) {
    const __m256i mag = _mm256_set1_epi32(0x7FFFFFFF);
    const __m256i nan_key = _mm256_set1_epi32((int)MK_NAN_KEY);
    const __m256i vfrom = _mm256_set1_epi32((int)from);
    const __m256i vbelow = _mm256_set1_epi32((int)below);
    const __m256 vp = _mm256_set1_ps(p);
    const __m256d abs_mask = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7FFFFFFFFFFFFFFFLL));
    int64_t j = 0;
    for (; j + 8 <= len; j += 8) {
        __m256 t = _mm256_sub_ps(mk256_load(x, tx, j), _mm256_loadu_ps(b + j));
        __m256i key = _mm256_min_epu32(_mm256_and_si256(_mm256_castps_si256(t), mag), nan_key);
        __m256i keep = _mm256_andnot_si256(_mm256_cmpgt_epi32(vfrom, key), _mm256_cmpgt_epi32(vbelow, key));
        if (u != NULL) {
            keep = _mm256_and_si256(keep, _mm256_castps_si256(_mm256_cmp_ps(_mm256_loadu_ps(u + j), vp, _CMP_LT_OQ)));
        }
        __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(t));
        __m256d hi = _mm256_cvtps_pd(_mm256_extractf128_ps(t, 1));
        if (norm == MK_NORM_L1) {
            lo = _mm256_and_pd(lo, abs_mask);
            hi = _mm256_and_pd(hi, abs_mask);
        } else {
            lo = _mm256_mul_pd(lo, lo);
            hi = _mm256_mul_pd(hi, hi);
        }
        /* the 32-bit lane masks widened to 64 bits (sign extension keeps all-ones all-ones) */
        __m256d klo = _mm256_castsi256_pd(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(keep)));
        __m256d khi = _mm256_castsi256_pd(_mm256_cvtepi32_epi64(_mm256_extracti128_si256(keep, 1)));
        int64_t k = j & (MK_RED_LANES - 1);
        add_lanes(before + k, lo, hi);
        add_lanes(after + k, _mm256_and_pd(lo, klo), _mm256_and_pd(hi, khi)); /* dropped: +0 */
    }
    for (; j < len; j++) {
        float t = mk_load(x, tx, j) - b[j];
        int keep = mk_sparse_keep1(t, from, below, u == NULL ? NULL : u + j, p);
        mk_sparse_norm1(t, keep, norm, before + (j & (MK_RED_LANES - 1)), after + (j & (MK_RED_LANES - 1)));
    }
}
