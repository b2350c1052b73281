/* One numerics §4 block on AVX2: the 64 lanes are 16 ymm accumulators of 4 doubles (accumulator r
 * holds lanes 4r..4r+3); the tail's partial group goes lane by lane in scalar code. */
#include <math.h>

#include "fp_scalar.h"
#include "kernels.h"
#include "simd_avx2.h"

MK_INLINE __m256d mk256_load4d(const void *p, int32_t t, int64_t j) {
    switch (t) {
    case MK_DTYPE_F32:
        return _mm256_cvtps_pd(_mm_loadu_ps((const float *)p + j));
    case MK_DTYPE_F16:
        return _mm256_cvtps_pd(_mm_cvtph_ps(_mm_loadl_epi64((const __m128i *)((const uint16_t *)p + j))));
    default:
        return _mm256_cvtps_pd(_mm_castsi128_ps(
            _mm_slli_epi32(_mm_cvtepu16_epi32(_mm_loadl_epi64((const __m128i *)((const uint16_t *)p + j))), 16)));
    }
}

double mk_reduce_block_avx2(int32_t kind, const void *x, int32_t tx, const void *y, int32_t ty, int64_t len) {
    __m256d acc[16];
    for (int r = 0; r < 16; r++) {
        acc[r] = _mm256_setzero_pd();
    }
    const __m256d sign = _mm256_set1_pd(-0.0);
    int64_t i = 0;
    for (; i + MK_RED_LANES <= len; i += MK_RED_LANES) {
        for (int r = 0; r < 16; r++) {
            __m256d a = mk256_load4d(x, tx, i + 4 * r);
            __m256d term = kind == MK_RED_SQUARES ? _mm256_mul_pd(a, a)
                           : kind == MK_RED_ABS   ? _mm256_andnot_pd(sign, a)
                                                  : _mm256_mul_pd(a, mk256_load4d(y, ty, i + 4 * r));
            acc[r] = _mm256_add_pd(acc[r], term);
        }
    }
    double lanes[MK_RED_LANES];
    for (int r = 0; r < 16; r++) {
        _mm256_storeu_pd(lanes + 4 * r, acc[r]);
    }
    for (int64_t l = 0; i + l < len; l++) {
        double a = (double)mk_load(x, tx, i + l);
        lanes[l] += kind == MK_RED_SQUARES ? a * a : kind == MK_RED_ABS ? fabs(a) : a * (double)mk_load(y, ty, i + l);
    }
    for (int s = MK_RED_LANES / 2; s >= 1; s >>= 1) {
        for (int l = 0; l < s; l++) {
            lanes[l] = lanes[l] + lanes[l + s];
        }
    }
    return lanes[0];
}
