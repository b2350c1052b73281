/* numerics §4 pair-sum lanes on AVX2: the 64 lanes are 16 ymm accumulators of 4 doubles (accumulator r
 * holds lanes 4r..4r+3), loaded from and stored back to the caller's lanes once per run; the tail's
 * partial group goes lane by lane in scalar code, which adds exactly what a masked add would. */
#include "kernels.h"
#include "reduce_rows.h"
#include "simd_avx2.h"

void mk_pair_lanes_avx2(const float *u, const float *w, int64_t len, double *lanes) {
    __m256d acc[16];
    for (int r = 0; r < 16; r++) {
        acc[r] = _mm256_loadu_pd(lanes + 4 * r);
    }
    int64_t i = 0;
    for (; i + MK_RED_LANES <= len; i += MK_RED_LANES) {
        for (int r = 0; r < 16; r++) {
            __m256d a = _mm256_cvtps_pd(_mm_loadu_ps(u + i + 4 * r));
            __m256d b = _mm256_cvtps_pd(_mm_loadu_ps(w + i + 4 * r));
            acc[r] = _mm256_add_pd(acc[r], _mm256_mul_pd(a, b));
        }
    }
    for (int r = 0; r < 16; r++) {
        _mm256_storeu_pd(lanes + 4 * r, acc[r]);
    }
    for (int64_t l = 0; i + l < len; l++) {
        lanes[l] += (double)u[i + l] * (double)w[i + l];
    }
}

void mk_pair_rows_avx2(const float *u, const float *w, int64_t g, double *acc) {
    mk_pair_rows_body(u, w, g, acc);
}
