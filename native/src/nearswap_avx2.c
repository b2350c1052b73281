/* numerics §10 nearswap tiles on AVX2: 8 lanes, the last < 8 elements by nearswap_scalar.h.
 * maxps/minps return their second operand when either is NaN, so max(floor, a) and min(1, lo)
 * pass a NaN on exactly as the spec's ternaries do. */
#include <immintrin.h>

#include "kernels.h"
#include "nearswap_scalar.h"

void mk_nearswap_avx2(const float *v0, const float *v1, float t, int64_t len, float *out) {
    const __m256 floor = _mm256_set1_ps(MK_NEARSWAP_FLOOR);
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 zero = _mm256_setzero_ps();
    const __m256 vt = _mm256_set1_ps(t);
    const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    int64_t j = 0;
    for (; j + 8 <= len; j += 8) {
        __m256 a0 = _mm256_loadu_ps(v0 + j);
        __m256 a1 = _mm256_loadu_ps(v1 + j);
        __m256 a = _mm256_and_ps(_mm256_sub_ps(a0, a1), magnitude);
        __m256 m = _mm256_max_ps(floor, a);
        __m256 q = _mm256_mul_ps(_mm256_div_ps(one, m), vt);
        __m256 w = _mm256_min_ps(one, _mm256_max_ps(zero, q));
        __m256 r = _mm256_add_ps(_mm256_mul_ps(w, a1), _mm256_mul_ps(_mm256_sub_ps(one, w), a0));
        _mm256_storeu_ps(out + j, r);
    }
    for (; j < len; j++) {
        out[j] = mk_nearswap1(t, v0[j], v1[j]);
    }
}
