/*
 * numerics §12 on AVX2: blocks of 4 rows x 8 columns held in eight accumulators of 4 doubles. Per k,
 * each row's left value is broadcast once and the 8 columns of right loaded once for the 4 rows; each
 * lane's sum runs k = 0 .. rank-1 from +0 with vmulpd then vaddpd (never an fma), as the spec's does.
 * The block's epilogue widens w, adds s * d and narrows 8 elements per row; rows past the last block
 * of 4 go one at a time, columns past the last 8 by lora_scalar.h.
 */
#include <immintrin.h>

#include "kernels.h"
#include "lora_scalar.h"
#include "simd_avx2.h"

#define W 8

/* 8 elements of w from element e, widened exactly to float64. */
MK_INLINE void widen8(const void *w, int32_t t, int64_t e, __m256d *lo, __m256d *hi) {
    __m256 f = mk256_load(w, t, e);
    *lo = _mm256_cvtps_pd(_mm256_castps256_ps128(f));
    *hi = _mm256_cvtps_pd(_mm256_extractf128_ps(f, 1));
}

/* Narrow.toOddFloat for lanes of magnitude 2^-126 and up, 0, infinities and NaN: the low 29 significand
 * bits cleared and bit 29 or-ed with whether any was set (the cut bits plus MK_ODD_CUT carry into bit 29
 * exactly when they are not all zero), then a cast that is exact (or overflows, as the spec's does). */
MK_INLINE __m128 odd4(__m256d v) {
    const __m256i cut = _mm256_set1_epi64x((long long)MK_ODD_CUT);
    __m256i b = _mm256_castpd_si256(v);
    __m256i sticky = _mm256_add_epi64(_mm256_and_si256(b, cut), cut);
    return _mm256_cvtpd_ps(_mm256_castsi256_pd(_mm256_andnot_si256(cut, _mm256_or_si256(b, sticky))));
}

/* Whether a lane of odd4's 8 results may come from 0 < |v| < 2^-126, where float32 is subnormal and the
 * cast rounds: such a v gives |f| <= 2^-126, every other v either 0 or |f| >= 2^-126, with 2^-126 only
 * from v = ±2^-126. The few lanes that pass (zeros included) take mk_odd_float, right for every v. */
MK_INLINE int maybe_tiny8(__m256 f) {
    __m256i m = _mm256_and_si256(_mm256_castps_si256(f), _mm256_set1_epi32(0x7FFFFFFF));
    return _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(m, _mm256_set1_epi32(0x00800000)))) != 0xFF;
}

/* Elements e .. e+7 of the output: w + s * d, narrowed. */
MK_INLINE void finish8(const mk_lora_args *a, int64_t e, __m256d d0, __m256d d1) {
    const __m256d s = _mm256_set1_pd(a->scaling);
    __m256d w0, w1;
    widen8(a->w, a->w_type, e, &w0, &w1);
    __m256d v0 = _mm256_add_pd(w0, _mm256_mul_pd(s, d0));
    __m256d v1 = _mm256_add_pd(w1, _mm256_mul_pd(s, d1));
    if (a->out_type == MK_DTYPE_F32) {
        float *o = (float *)a->out + e;
        _mm_storeu_ps(o, _mm256_cvtpd_ps(v0));
        _mm_storeu_ps(o + 4, _mm256_cvtpd_ps(v1));
        return;
    }
    __m256 f = _mm256_set_m128(odd4(v1), odd4(v0));
    if (maybe_tiny8(f)) {
        double v[W];
        float g[W];
        _mm256_storeu_pd(v, v0);
        _mm256_storeu_pd(v + 4, v1);
        for (int x = 0; x < W; x++) {
            g[x] = mk_odd_float(v[x]);
        }
        f = _mm256_loadu_ps(g);
    }
    mk256_store(a->out, a->out_type, e, f);
}

/* Rows r .. r+3, columns j .. j+7; right's column j of row k at x + k * stride. */
MK_INLINE void block4(const mk_lora_args *a, int64_t r, int64_t j, const double *x, int64_t stride) {
    const int32_t rank = a->rank;
    const double *l0 = a->left + r * rank;
    const double *l1 = l0 + rank;
    const double *l2 = l1 + rank;
    const double *l3 = l2 + rank;
    __m256d s00 = _mm256_setzero_pd(), s01 = s00, s10 = s00, s11 = s00;
    __m256d s20 = s00, s21 = s00, s30 = s00, s31 = s00;
    for (int32_t k = 0; k < rank; k++, x += stride) {
        __m256d x0 = _mm256_loadu_pd(x);
        __m256d x1 = _mm256_loadu_pd(x + 4);
        __m256d b = _mm256_broadcast_sd(l0 + k);
        s00 = _mm256_add_pd(s00, _mm256_mul_pd(b, x0));
        s01 = _mm256_add_pd(s01, _mm256_mul_pd(b, x1));
        b = _mm256_broadcast_sd(l1 + k);
        s10 = _mm256_add_pd(s10, _mm256_mul_pd(b, x0));
        s11 = _mm256_add_pd(s11, _mm256_mul_pd(b, x1));
        b = _mm256_broadcast_sd(l2 + k);
        s20 = _mm256_add_pd(s20, _mm256_mul_pd(b, x0));
        s21 = _mm256_add_pd(s21, _mm256_mul_pd(b, x1));
        b = _mm256_broadcast_sd(l3 + k);
        s30 = _mm256_add_pd(s30, _mm256_mul_pd(b, x0));
        s31 = _mm256_add_pd(s31, _mm256_mul_pd(b, x1));
    }
    int64_t e = r * a->columns + j;
    finish8(a, e, s00, s01);
    finish8(a, e + a->columns, s10, s11);
    finish8(a, e + 2 * a->columns, s20, s21);
    finish8(a, e + 3 * a->columns, s30, s31);
}


/* Row r, columns j .. j+7. */
MK_INLINE void block1(const mk_lora_args *a, int64_t r, int64_t j, const double *x, int64_t stride) {
    const double *l = a->left + r * a->rank;
    __m256d s0 = _mm256_setzero_pd(), s1 = s0;
    for (int32_t k = 0; k < a->rank; k++, x += stride) {
        __m256d b = _mm256_broadcast_sd(l + k);
        s0 = _mm256_add_pd(s0, _mm256_mul_pd(b, _mm256_loadu_pd(x)));
        s1 = _mm256_add_pd(s1, _mm256_mul_pd(b, _mm256_loadu_pd(x + 4)));
    }
    finish8(a, r * a->columns + j, s0, s1);
}

#define MK_LORA_BLOCK mk_lora_block_avx2
#include "lora_blocks.h"
