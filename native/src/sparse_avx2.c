/* numerics §3's sparse tile primitives on AVX2: 8 lanes, decisions as all-ones lane masks (the spec's
 * bit masks, with the same comparisons), the last < 8 elements by sparse_scalar.h (identical). */
#include "kernels.h"
#include "simd_avx2.h"
#include "sparse_scalar.h"

void mk_sparse_values_avx2(const void *x, int32_t tx, const float *b, int64_t len, uint32_t from, uint32_t below,
                           const float *u, float p, float div, float w, float *v) {
    const __m256i mag = _mm256_set1_epi32(0x7FFFFFFF);
    const __m256i nan_key = _mm256_set1_epi32((int)MK_NAN_KEY);
    /* keys and bounds are <= 0x7FFFFFFF, so signed compares order them: from <= key is !(from > key) */
    const __m256i vfrom = _mm256_set1_epi32((int)from);
    const __m256i vbelow = _mm256_set1_epi32((int)below);
    const __m256 vp = _mm256_set1_ps(p);
    const __m256 vdiv = _mm256_set1_ps(div);
    const __m256 vw = _mm256_set1_ps(w);
    /* t is a difference, so never a signalling NaN, and t / 1 is t bit for bit: no division then */
    const int divide = div != 1.0f;
    int64_t j = 0;
    for (; j + 8 <= len; j += 8) {
        __m256 t = _mm256_sub_ps(mk256_load(x, tx, j), _mm256_loadu_ps(b + j));
        __m256i key = _mm256_min_epu32(_mm256_and_si256(_mm256_castps_si256(t), mag), nan_key);
        __m256i keep = _mm256_andnot_si256(_mm256_cmpgt_epi32(vfrom, key), _mm256_cmpgt_epi32(vbelow, key));
        if (u != NULL) {
            keep = _mm256_and_si256(keep, _mm256_castps_si256(_mm256_cmp_ps(_mm256_loadu_ps(u + j), vp, _CMP_LT_OQ)));
        }
        __m256 q = _mm256_and_ps(divide ? _mm256_div_ps(t, vdiv) : t, _mm256_castsi256_ps(keep));
        _mm256_storeu_ps(v + j, _mm256_mul_ps(vw, q));
    }
    for (; j < len; j++) {
        v[j] = mk_sparse_value1(mk_load(x, tx, j) - b[j], from, below, u == NULL ? NULL : u + j, p, div, w);
    }
}

/* m for 8 elements; ELECT and NORMALIZE are constants at every call site. */
MK_INLINE __m256 mix_vec(const mk_sparse_args *a, const float *v, int64_t j, int32_t ELECT, int NORMALIZE) {
    const __m256 zero = _mm256_setzero_ps();
    const int32_t k = a->n_models;
    __m256 mix = zero;
    if (ELECT == MK_ELECT_NONE) {
        for (int32_t i = 0; i < k; i++) {
            mix = _mm256_add_ps(mix, _mm256_loadu_ps(v + (int64_t)i * MK_SPARSE_TILE + j));
        }
        return NORMALIZE ? _mm256_div_ps(mix, _mm256_set1_ps(a->sum_divisor)) : mix;
    }
    __m256 up;
    if (ELECT == MK_ELECT_SUM) {
        __m256 s = zero;
        for (int32_t i = 0; i < k; i++) {
            s = _mm256_add_ps(s, _mm256_loadu_ps(v + (int64_t)i * MK_SPARSE_TILE + j));
        }
        up = _mm256_cmp_ps(s, zero, _CMP_GE_OQ); /* true for -0, false for NaN */
    } else {
        __m256i c = _mm256_setzero_si256();
        for (int32_t i = 0; i < k; i++) {
            __m256 x = _mm256_loadu_ps(v + (int64_t)i * MK_SPARSE_TILE + j);
            /* a true compare is -1 as an integer: c += sign(x) is c - (x > 0) + (x < 0) */
            c = _mm256_sub_epi32(c, _mm256_castps_si256(_mm256_cmp_ps(x, zero, _CMP_GT_OQ)));
            c = _mm256_add_epi32(c, _mm256_castps_si256(_mm256_cmp_ps(x, zero, _CMP_LT_OQ)));
        }
        up = _mm256_castsi256_ps(_mm256_cmpgt_epi32(c, _mm256_set1_epi32(-1))); /* c >= 0 */
    }
    __m256 d = zero;
    for (int32_t i = 0; i < k; i++) {
        __m256 x = _mm256_loadu_ps(v + (int64_t)i * MK_SPARSE_TILE + j);
        __m256 agree = _mm256_or_ps(_mm256_and_ps(up, _mm256_cmp_ps(x, zero, _CMP_GT_OQ)),
                                    _mm256_andnot_ps(up, _mm256_cmp_ps(x, zero, _CMP_LT_OQ)));
        mix = _mm256_add_ps(mix, _mm256_and_ps(agree, x));
        d = _mm256_add_ps(d, _mm256_and_ps(agree, _mm256_set1_ps(a->weights[i])));
    }
    if (NORMALIZE) {
        __m256 z = _mm256_cmp_ps(d, zero, _CMP_EQ_OQ);
        mix = _mm256_div_ps(mix, _mm256_add_ps(d, _mm256_and_ps(z, _mm256_set1_ps(1.0f))));
    }
    return mix;
}

MK_INLINE void combine(const mk_sparse_args *a, const float *v, const float *b, int64_t len, void *out,
                       int32_t ELECT, int NORMALIZE, int32_t O) {
    const __m256 lambda = _mm256_set1_ps(a->lambda);
    int64_t j = 0;
    for (; j + 8 <= len; j += 8) {
        __m256 mix = mix_vec(a, v, j, ELECT, NORMALIZE);
        mk256_store(out, O, j, _mm256_fmadd_ps(lambda, mix, _mm256_loadu_ps(b + j)));
    }
    for (; j < len; j++) {
        mk_store(out, O, j, fmaf(a->lambda, mk_sparse_mix1(a, v, j), b[j]));
    }
}

#define MK_COMBINE_OUT(E, N)                                                   \
    switch (a->out_type) {                                                     \
    case MK_DTYPE_F32: combine(a, v, b, len, out, E, N, MK_DTYPE_F32); break;  \
    case MK_DTYPE_F16: combine(a, v, b, len, out, E, N, MK_DTYPE_F16); break;  \
    default: combine(a, v, b, len, out, E, N, MK_DTYPE_BF16); break;           \
    }

void mk_sparse_combine_avx2(const mk_sparse_args *a, const float *v, const float *b, int64_t len, void *out) {
    switch (a->election) {
    case MK_ELECT_NONE:
        if (a->normalize) { MK_COMBINE_OUT(MK_ELECT_NONE, 1) } else { MK_COMBINE_OUT(MK_ELECT_NONE, 0) }
        break;
    case MK_ELECT_SUM:
        if (a->normalize) { MK_COMBINE_OUT(MK_ELECT_SUM, 1) } else { MK_COMBINE_OUT(MK_ELECT_SUM, 0) }
        break;
    default:
        if (a->normalize) { MK_COMBINE_OUT(MK_ELECT_COUNT, 1) } else { MK_COMBINE_OUT(MK_ELECT_COUNT, 0) }
        break;
    }
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
