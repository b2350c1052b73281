/* One numerics §4 block on AVX-512: the 64 lanes are 8 zmm registers of 8 doubles (register r holds
 * lanes 8r..8r+7), so every lane adds its terms in element order, as the spec's scalar loop does.
 * Terms are plain vmulpd / abs (no fma: -ffp-contract=off) and the tail is a masked add, so lanes
 * without an element are left untouched rather than having +0 added. */
#include <string.h>

#include "kernels.h"
#include "simd_avx512.h"

MK_INLINE __m512d mk512_load8d(const void *p, int32_t t, int64_t j, __mmask8 m) {
    switch (t) {
    case MK_DTYPE_F32:
        return _mm512_cvtps_pd(_mm256_maskz_loadu_ps(m, (const float *)p + j));
    case MK_DTYPE_F16:
        return _mm512_cvtps_pd(_mm256_cvtph_ps(_mm_maskz_loadu_epi16(m, (const uint16_t *)p + j)));
    default:
        return _mm512_cvtps_pd(_mm256_castsi256_ps(
            _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_maskz_loadu_epi16(m, (const uint16_t *)p + j)), 16)));
    }
}

MK_INLINE __m512d mk512_term(int32_t kind, const void *x, int32_t tx, const void *y, int32_t ty, int64_t j,
                             __mmask8 m) {
    __m512d a = mk512_load8d(x, tx, j, m);
    switch (kind) {
    case MK_RED_SQUARES:
        return _mm512_mul_pd(a, a);
    case MK_RED_ABS:
        return _mm512_abs_pd(a);
    default:
        return _mm512_mul_pd(a, mk512_load8d(y, ty, j, m));
    }
}

static double fold(__m512d acc[8]) {
    double lanes[MK_RED_LANES];
    for (int r = 0; r < 8; r++) {
        _mm512_storeu_pd(lanes + 8 * r, acc[r]);
    }
    for (int s = MK_RED_LANES / 2; s >= 1; s >>= 1) {
        for (int l = 0; l < s; l++) {
            lanes[l] = lanes[l] + lanes[l + s];
        }
    }
    return lanes[0];
}

double mk_reduce_block_avx512(int32_t kind, const void *x, int32_t tx, const void *y, int32_t ty, int64_t len) {
    __m512d acc[8];
    for (int r = 0; r < 8; r++) {
        acc[r] = _mm512_setzero_pd();
    }
    int64_t i = 0;
    for (; i + MK_RED_LANES <= len; i += MK_RED_LANES) {
        for (int r = 0; r < 8; r++) {
            acc[r] = _mm512_add_pd(acc[r], mk512_term(kind, x, tx, y, ty, i + 8 * r, 0xFF));
        }
    }
    for (int r = 0; r < 8 && i + 8 * r < len; r++) {
        int64_t left = len - (i + 8 * r);
        __mmask8 m = left >= 8 ? 0xFF : (__mmask8)((1u << left) - 1u);
        acc[r] = _mm512_mask_add_pd(acc[r], m, acc[r], mk512_term(kind, x, tx, y, ty, i + 8 * r, m));
    }
    return fold(acc);
}
