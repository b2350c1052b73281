/*
 * numerics §12 on AVX-512: lora_avx2.c's blocks at twice the width, 4 rows x 16 columns in eight
 * accumulators of 8 doubles; per k one broadcast per row and two loads of right for the 4 rows, each
 * lane's sum in k order from +0 with vmulpd then vaddpd (never an fma). Rows past the last block of 4
 * go one at a time, columns past the last 16 by lora_scalar.h.
 */
#include <immintrin.h>

#include "kernels.h"
#include "lora_scalar.h"
#include "simd_avx512.h"

#define W 16

/* 16 elements of w from element e, widened exactly to float64. */
MK_INLINE void widen16(const void *w, int32_t t, int64_t e, __m512d *lo, __m512d *hi) {
    __m512 f = mk512_load_full(w, t, e);
    *lo = _mm512_cvtps_pd(_mm512_castps512_ps256(f));
    *hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(f), 1)));
}

/* Narrow.toOddFloat for lanes of magnitude 2^-126 and up, 0, infinities and NaN (as lora_avx2.c's odd4:
 * the cut bits plus MK_ODD_CUT carry into bit 29 exactly when they are not all zero). */
MK_INLINE __m256 odd8(__m512d v) {
    const __m512i cut = _mm512_set1_epi64((long long)MK_ODD_CUT);
    __m512i b = _mm512_castpd_si512(v);
    __m512i sticky = _mm512_add_epi64(_mm512_and_si512(b, cut), cut);
    return _mm512_cvtpd_ps(_mm512_castsi512_pd(_mm512_andnot_si512(cut, _mm512_or_si512(b, sticky))));
}

/* Whether a lane of odd8's 16 results may come from 0 < |v| < 2^-126 (lora_avx2.c's maybe_tiny8). */
MK_INLINE int maybe_tiny16(__m512 f) {
    __m512i m = _mm512_and_si512(_mm512_castps_si512(f), _mm512_set1_epi32(0x7FFFFFFF));
    return _mm512_cmpgt_epi32_mask(m, _mm512_set1_epi32(0x00800000)) != (__mmask16)0xFFFF;
}

/* Elements e .. e+15 of the output: w + s * d, narrowed. */
MK_INLINE void finish16(const mk_lora_args *a, int64_t e, __m512d d0, __m512d d1) {
    const __m512d s = _mm512_set1_pd(a->scaling);
    __m512d w0, w1;
    widen16(a->w, a->w_type, e, &w0, &w1);
    __m512d v0 = _mm512_add_pd(w0, _mm512_mul_pd(s, d0));
    __m512d v1 = _mm512_add_pd(w1, _mm512_mul_pd(s, d1));
    if (a->out_type == MK_DTYPE_F32) {
        float *o = (float *)a->out + e;
        _mm256_storeu_ps(o, _mm512_cvtpd_ps(v0));
        _mm256_storeu_ps(o + 8, _mm512_cvtpd_ps(v1));
        return;
    }
    __m512 f = _mm512_insertf32x8(_mm512_castps256_ps512(odd8(v0)), odd8(v1), 1);
    if (maybe_tiny16(f)) {
        double v[W];
        float g[W];
        _mm512_storeu_pd(v, v0);
        _mm512_storeu_pd(v + 8, v1);
        for (int x = 0; x < W; x++) {
            g[x] = mk_odd_float(v[x]);
        }
        f = _mm512_loadu_ps(g);
    }
    mk512_store(a->out, a->out_type, e, f, (__mmask16)0xFFFF);
}

/* Rows r .. r+3, columns j .. j+15; right's column j of row k at x + k * stride. */
MK_INLINE void block4(const mk_lora_args *a, int64_t r, int64_t j, const double *x, int64_t stride) {
    const int32_t rank = a->rank;
    const double *l0 = a->left + r * rank;
    const double *l1 = l0 + rank;
    const double *l2 = l1 + rank;
    const double *l3 = l2 + rank;
    __m512d s00 = _mm512_setzero_pd(), s01 = s00, s10 = s00, s11 = s00;
    __m512d s20 = s00, s21 = s00, s30 = s00, s31 = s00;
    for (int32_t k = 0; k < rank; k++, x += stride) {
        __m512d x0 = _mm512_loadu_pd(x);
        __m512d x1 = _mm512_loadu_pd(x + 8);
        __m512d b = _mm512_set1_pd(l0[k]);
        s00 = _mm512_add_pd(s00, _mm512_mul_pd(b, x0));
        s01 = _mm512_add_pd(s01, _mm512_mul_pd(b, x1));
        b = _mm512_set1_pd(l1[k]);
        s10 = _mm512_add_pd(s10, _mm512_mul_pd(b, x0));
        s11 = _mm512_add_pd(s11, _mm512_mul_pd(b, x1));
        b = _mm512_set1_pd(l2[k]);
        s20 = _mm512_add_pd(s20, _mm512_mul_pd(b, x0));
        s21 = _mm512_add_pd(s21, _mm512_mul_pd(b, x1));
        b = _mm512_set1_pd(l3[k]);
        s30 = _mm512_add_pd(s30, _mm512_mul_pd(b, x0));
        s31 = _mm512_add_pd(s31, _mm512_mul_pd(b, x1));
    }
    int64_t e = r * a->columns + j;
    finish16(a, e, s00, s01);
    finish16(a, e + a->columns, s10, s11);
    finish16(a, e + 2 * a->columns, s20, s21);
    finish16(a, e + 3 * a->columns, s30, s31);
}

/* Row r, columns j .. j+15. */
MK_INLINE void block1(const mk_lora_args *a, int64_t r, int64_t j, const double *x, int64_t stride) {
    const double *l = a->left + r * a->rank;
    __m512d s0 = _mm512_setzero_pd(), s1 = s0;
    for (int32_t k = 0; k < a->rank; k++, x += stride) {
        __m512d b = _mm512_set1_pd(l[k]);
        s0 = _mm512_add_pd(s0, _mm512_mul_pd(b, _mm512_loadu_pd(x)));
        s1 = _mm512_add_pd(s1, _mm512_mul_pd(b, _mm512_loadu_pd(x + 8)));
    }
    finish16(a, r * a->columns + j, s0, s1);
}

#define MK_LORA_BLOCK mk_lora_block_avx512
#include "lora_blocks.h"
