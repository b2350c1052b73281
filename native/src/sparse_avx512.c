/* numerics §3's sparse tile primitives on AVX-512: 16 lanes, masked tails, decisions in mask registers
 * (the same comparisons as the spec's bit masks), the spec's vsubps / vdivps / vmulps / vaddps and
 * one vfmadd, in the spec's order. */
#include "kernels.h"
#include "simd_avx512.h"

/* w * (from <= key(t) < below && (!u || u[j..] < p) ? t / div : +0) for 16 lanes; divide is whether to
 * divide (t is a difference, so never a signalling NaN, and t / 1 is t bit for bit). */
MK_INLINE __m512 values_vec(__m512 t, __m512i from, __m512i below, const float *u, int64_t j, __mmask16 m, __m512 p,
                            int divide, __m512 div, __m512 w) {
    __m512i key = _mm512_min_epu32(_mm512_and_si512(_mm512_castps_si512(t), _mm512_set1_epi32(0x7FFFFFFF)),
                                   _mm512_set1_epi32((int)MK_NAN_KEY));
    /* keys and bounds are <= 0x7FFFFFFF, so signed compares order them */
    __mmask16 keep = _mm512_cmpge_epi32_mask(key, from) & _mm512_cmplt_epi32_mask(key, below);
    if (u != NULL) {
        keep &= _mm512_cmp_ps_mask(_mm512_maskz_loadu_ps(m, u + j), p, _CMP_LT_OQ);
    }
    return _mm512_mul_ps(w, _mm512_maskz_mov_ps(keep, divide ? _mm512_div_ps(t, div) : t));
}

void mk_sparse_values_avx512(const void *x, int32_t tx, const float *b, int64_t len, uint32_t from, uint32_t below,
                             const float *u, float p, float div, float w, float *v) {
    const __m512i vfrom = _mm512_set1_epi32((int)from);
    const __m512i vbelow = _mm512_set1_epi32((int)below);
    const __m512 vp = _mm512_set1_ps(p);
    const __m512 vdiv = _mm512_set1_ps(div);
    const __m512 vw = _mm512_set1_ps(w);
    int64_t j = 0;
    for (; j + 16 <= len; j += 16) {
        __m512 t = _mm512_sub_ps(mk512_load_full(x, tx, j), _mm512_loadu_ps(b + j));
        _mm512_storeu_ps(v + j, values_vec(t, vfrom, vbelow, u, j, 0xFFFF, vp, 1, vdiv, vw));
    }
    if (j < len) {
        __mmask16 m = mk512_tail(len - j);
        __m512 t = _mm512_sub_ps(mk512_load(x, tx, j, m), _mm512_maskz_loadu_ps(m, b + j));
        _mm512_mask_storeu_ps(v + j, m, values_vec(t, vfrom, vbelow, u, j, m, vp, 1, vdiv, vw));
    }
}

/* m for 16 elements of k models' values: r[i] when r is set (the register-resident path), else the
 * value tiles v + i * MK_SPARSE_TILE at j (lanes m). ELECT, NORMALIZE and whether r is set are
 * constants at every call site, so each instantiation carries only its own branch-free path. */
MK_INLINE __m512 mix_vec(const float *v, const __m512 *r, int64_t j, __mmask16 m, int32_t k, const float *weights,
                         float sum_divisor, int32_t ELECT, int NORMALIZE) {
#define MK_VALUE(i) (r != NULL ? r[i] : _mm512_maskz_loadu_ps(m, v + (int64_t)(i) * MK_SPARSE_TILE + j))
    const __m512 zero = _mm512_setzero_ps();
    __m512 mix = zero;
    if (ELECT == MK_ELECT_NONE) {
        for (int32_t i = 0; i < k; i++) {
            mix = _mm512_add_ps(mix, MK_VALUE(i));
        }
        return NORMALIZE ? _mm512_div_ps(mix, _mm512_set1_ps(sum_divisor)) : mix;
    }
    __mmask16 up = 0xFFFF; /* MK_ELECT_KEPT, MK_ELECT_LONE: positive values agree, and negative ones below */
    if (ELECT == MK_ELECT_SUM) {
        __m512 s = zero;
        for (int32_t i = 0; i < k; i++) {
            s = _mm512_add_ps(s, MK_VALUE(i));
        }
        up = _mm512_cmp_ps_mask(s, zero, _CMP_GE_OQ); /* true for -0, false for NaN */
    } else if (ELECT == MK_ELECT_COUNT) {
        __m512i c = _mm512_setzero_si512();
        const __m512i one = _mm512_set1_epi32(1);
        for (int32_t i = 0; i < k; i++) {
            __m512 x = MK_VALUE(i);
            c = _mm512_mask_add_epi32(c, _mm512_cmp_ps_mask(x, zero, _CMP_GT_OQ), c, one);
            c = _mm512_mask_sub_epi32(c, _mm512_cmp_ps_mask(x, zero, _CMP_LT_OQ), c, one);
        }
        up = _mm512_cmpge_epi32_mask(c, _mm512_setzero_si512());
    }
    const __m512 one = _mm512_set1_ps(1.0f);
    __m512 d = zero;
    __m512 g = zero; /* MK_ELECT_LONE: the agreeing weights, the lone model's where d is 1 */
    for (int32_t i = 0; i < k; i++) {
        __m512 x = MK_VALUE(i);
        const __mmask16 down = ELECT >= MK_ELECT_KEPT ? (__mmask16)0xFFFF : (__mmask16)~up;
        __mmask16 agree = (up & _mm512_cmp_ps_mask(x, zero, _CMP_GT_OQ)) |
                          (down & _mm512_cmp_ps_mask(x, zero, _CMP_LT_OQ));
        mix = _mm512_add_ps(mix, _mm512_maskz_mov_ps(agree, x));
        if (ELECT == MK_ELECT_LONE) {
            d = _mm512_add_ps(d, _mm512_maskz_mov_ps(agree, one));
            g = _mm512_add_ps(g, _mm512_maskz_mov_ps(agree, _mm512_set1_ps(weights[i])));
        } else {
            d = _mm512_add_ps(d, _mm512_maskz_mov_ps(agree, _mm512_set1_ps(weights[i])));
        }
    }
    if (NORMALIZE) {
        __mmask16 z = _mm512_cmp_ps_mask(d, zero, _CMP_EQ_OQ);
        mix = _mm512_div_ps(mix, _mm512_add_ps(d, _mm512_maskz_mov_ps(z, one)));
    }
    if (ELECT == MK_ELECT_LONE) {
        /* where d is 1, g * m; elsewhere m as it is */
        const __mmask16 lone = _mm512_cmp_ps_mask(d, one, _CMP_EQ_OQ);
        mix = _mm512_castsi512_ps(_mm512_mask_blend_epi32(lone, _mm512_castps_si512(mix),
                                                          _mm512_castps_si512(_mm512_mul_ps(g, mix))));
    }
    return mix;
#undef MK_VALUE
}

MK_INLINE void combine(const mk_sparse_args *a, const float *v, const float *b, int64_t len, void *out,
                       int32_t ELECT, int NORMALIZE, int32_t O) {
    const __m512 lambda = _mm512_set1_ps(a->lambda);
    int64_t j = 0;
    for (; j + 16 <= len; j += 16) {
        __m512 mix = mix_vec(v, NULL, j, 0xFFFF, a->n_models, a->weights, a->sum_divisor, ELECT, NORMALIZE);
        mk512_store_full(out, O, j, _mm512_fmadd_ps(lambda, mix, _mm512_loadu_ps(b + j)));
    }
    if (j < len) {
        __mmask16 m = mk512_tail(len - j);
        __m512 mix = mix_vec(v, NULL, j, m, a->n_models, a->weights, a->sum_divisor, ELECT, NORMALIZE);
        mk512_store(out, O, j, _mm512_fmadd_ps(lambda, mix, _mm512_maskz_loadu_ps(m, b + j)), m);
    }
}

/* One step of the register-resident sparse merge: elements e..e+16 (lanes m; all 16 with unmasked
 * loads when full). */
MK_INLINE __m512 direct_vec(const void *b, const void *const *xi, int64_t e, __mmask16 m, int full,
                            const __m512i *vfrom, const __m512i *vbelow, const __m512 *vdiv, const __m512 *vw,
                            const float *w, __m512 lambda, float sum_divisor, int normalize, int32_t T, int32_t K,
                            int32_t ELECT, int DIVIDE) {
    const __m512 none = _mm512_setzero_ps();
    __m512 bv = mk512_load_step(b, T, e, m, full);
    __m512 r[4];
    for (int32_t i = 0; i < K; i++) {
        __m512 t = _mm512_sub_ps(mk512_load_step(xi[i], T, e, m, full), bv);
        r[i] = values_vec(t, vfrom[i], vbelow[i], NULL, 0, m, none, DIVIDE, vdiv[i], vw[i]);
    }
    __m512 mix = normalize ? mix_vec(NULL, r, 0, m, K, w, sum_divisor, ELECT, 1)
                           : mix_vec(NULL, r, 0, m, K, w, sum_divisor, ELECT, 0);
    return _mm512_fmadd_ps(lambda, mix, bv);
}

/* The register-resident sparse merge (mk_kernel_table.sparse_direct) for K models of type T, base
 * T too, as on AVX2 (sparse_avx2.c), 16 elements a step and the tail masked. */
MK_INLINE void direct(const mk_sparse_args *a, const void *const *x, const void *b, int64_t e, int64_t len,
                      const uint32_t *from, const uint32_t *below, const float *div, void *out, int32_t T, int32_t K,
                      int32_t ELECT, int DIVIDE) {
    __m512i vfrom[4], vbelow[4];
    __m512 vdiv[4], vw[4];
    float w[4]; /* a copy the output's stores cannot alias, so it stays in registers */
    const void *xi[4];
    for (int32_t i = 0; i < K; i++) {
        vfrom[i] = _mm512_set1_epi32((int)from[i]);
        vbelow[i] = _mm512_set1_epi32((int)below[i]);
        vdiv[i] = _mm512_set1_ps(div[i]);
        w[i] = a->weights[i];
        vw[i] = _mm512_set1_ps(ELECT == MK_ELECT_LONE ? 1.0f : w[i]); /* LONE: values unweighted */
        xi[i] = x[i];
    }
    const __m512 lambda = _mm512_set1_ps(a->lambda);
    const float sum_divisor = a->sum_divisor;
    const int normalize = a->normalize;
    const int32_t o = a->out_type;
    int64_t j = 0;
    for (; j + 16 <= len; j += 16) {
        mk512_store_full(out, o, j, direct_vec(b, xi, e + j, 0xFFFF, 1, vfrom, vbelow, vdiv, vw, w, lambda, sum_divisor,
                                               normalize, T, K, ELECT, DIVIDE));
    }
    if (j < len) {
        const __mmask16 m = mk512_tail(len - j);
        mk512_store(out, o, j, direct_vec(b, xi, e + j, m, 0, vfrom, vbelow, vdiv, vw, w, lambda, sum_divisor,
                                          normalize, T, K, ELECT, DIVIDE), m);
    }
}

#include "sparse_switch.h"

void mk_sparse_combine_avx512(const mk_sparse_args *a, const float *v, const float *b, int64_t len, void *out) {
    combine_switch(a, v, b, len, out);
}

int64_t mk_sparse_direct_avx512(const mk_sparse_args *a, const void *const *x, int32_t t, const void *b, int64_t e,
                                int64_t len, const uint32_t *from, const uint32_t *below, const float *div,
                                void *out) {
    if (a->n_models < 1 || a->n_models > 4) {
        return 0;
    }
    direct_switch(a, x, t, b, e, len, from, below, div, out);
    return len;
}

/* lanes[0..16) += term where m: one 16-element piece of the 64 numerics §4 lanes, as two 8-double halves. */
MK_INLINE void add_lanes(double *lanes, __m512d lo, __m512d hi, __mmask16 m) {
    __m512d a = _mm512_loadu_pd(lanes);
    __m512d c = _mm512_loadu_pd(lanes + 8);
    _mm512_storeu_pd(lanes, _mm512_mask_add_pd(a, (__mmask8)m, a, lo));
    _mm512_storeu_pd(lanes + 8, _mm512_mask_add_pd(c, (__mmask8)(m >> 8), c, hi));
}

/* One step of the norm lanes: elements j.. (lanes m; all 16 with unmasked loads when full). */
MK_INLINE void norm_step(const void *x, int32_t tx, const float *b, int64_t j, __mmask16 m, int full, __m512i vfrom,
                         __m512i vbelow, const float *u, __m512 vp, int32_t norm, double *before, double *after) {
    __m512 t = full ? _mm512_sub_ps(mk512_load_full(x, tx, j), _mm512_loadu_ps(b + j))
                    : _mm512_sub_ps(mk512_load(x, tx, j, m), _mm512_maskz_loadu_ps(m, b + j));
    __m512i key = _mm512_min_epu32(_mm512_and_si512(_mm512_castps_si512(t), _mm512_set1_epi32(0x7FFFFFFF)),
                                   _mm512_set1_epi32((int)MK_NAN_KEY));
    __mmask16 keep = _mm512_cmpge_epi32_mask(key, vfrom) & _mm512_cmplt_epi32_mask(key, vbelow);
    if (u != NULL) {
        keep &= _mm512_cmp_ps_mask(full ? _mm512_loadu_ps(u + j) : _mm512_maskz_loadu_ps(m, u + j), vp, _CMP_LT_OQ);
    }
    __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(t));
    __m512d hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(t), 1)));
    if (norm == MK_NORM_L1) {
        lo = _mm512_abs_pd(lo);
        hi = _mm512_abs_pd(hi);
    } else {
        lo = _mm512_mul_pd(lo, lo);
        hi = _mm512_mul_pd(hi, hi);
    }
    int64_t k = j & (MK_RED_LANES - 1);
    add_lanes(before + k, lo, hi, m);
    /* dropped elements add +0, as the spec's keep ? term : 0.0 */
    add_lanes(after + k, _mm512_maskz_mov_pd((__mmask8)keep, lo), _mm512_maskz_mov_pd((__mmask8)(keep >> 8), hi), m);
}

void mk_sparse_norm_lanes_avx512(const void *x, int32_t tx, const float *b, int64_t len, uint32_t from,
                                 uint32_t below, const float *u, float p, int32_t norm, double *before,
                                 double *after) {
    const __m512i vfrom = _mm512_set1_epi32((int)from);
    const __m512i vbelow = _mm512_set1_epi32((int)below);
    const __m512 vp = _mm512_set1_ps(p);
    int64_t j = 0;
    for (; j + 16 <= len; j += 16) {
        norm_step(x, tx, b, j, 0xFFFF, 1, vfrom, vbelow, u, vp, norm, before, after);
    }
    if (j < len) {
        norm_step(x, tx, b, j, mk512_tail(len - j), 0, vfrom, vbelow, u, vp, norm, before, after);
    }
}
