/* numerics §4 pair-sum lanes on AVX-512: the 64 lanes are 8 zmm registers of 8 doubles (register r holds
 * lanes 8r..8r+7), so every lane adds its terms in element order, as the spec's scalar loop does. Terms
 * are plain vmulpd (no fma: -ffp-contract=off) and the tail is a masked add, so lanes without an element
 * are left untouched. */
#include "kernels.h"
#include "reduce_rows.h"
#include "simd_avx512.h"

MK_INLINE __m512d mk512_product(const float *u, const float *w, int64_t j, __mmask8 m) {
    __m512d a = _mm512_cvtps_pd(_mm256_maskz_loadu_ps(m, u + j));
    __m512d b = _mm512_cvtps_pd(_mm256_maskz_loadu_ps(m, w + j));
    return _mm512_mul_pd(a, b);
}

void mk_pair_lanes_avx512(const float *u, const float *w, int64_t len, double *lanes) {
    __m512d acc[8];
    for (int r = 0; r < 8; r++) {
        acc[r] = _mm512_loadu_pd(lanes + 8 * r);
    }
    int64_t i = 0;
    for (; i + MK_RED_LANES <= len; i += MK_RED_LANES) {
        for (int r = 0; r < 8; r++) {
            acc[r] = _mm512_add_pd(acc[r], mk512_product(u, w, i + 8 * r, 0xFF));
        }
    }
    for (int r = 0; r < 8 && i + 8 * r < len; r++) {
        int64_t left = len - (i + 8 * r);
        __mmask8 m = left >= 8 ? 0xFF : (__mmask8)((1u << left) - 1u);
        acc[r] = _mm512_mask_add_pd(acc[r], m, acc[r], mk512_product(u, w, i + 8 * r, m));
    }
    for (int r = 0; r < 8; r++) {
        _mm512_storeu_pd(lanes + 8 * r, acc[r]);
    }
}

void mk_pair_rows_avx512(const float *u, const float *w, int64_t g, double *acc) {
    mk_pair_rows_body(u, w, g, acc);
}
