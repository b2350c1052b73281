/* numerics §10 nearswap tiles on AVX-512: 16 lanes, the tail masked. maxps/minps return their
 * second operand when either is NaN, so max(floor, a) and min(1, lo) pass a NaN on exactly as the
 * spec's ternaries do. */
#include <immintrin.h>

#include "kernels.h"
#include "nearswap_scalar.h"

static inline __attribute__((always_inline)) __m512 nearswap16(__m512 a0, __m512 a1, __m512 vt) {
    const __m512 one = _mm512_set1_ps(1.0f);
    __m512 a = _mm512_castsi512_ps(
        _mm512_and_si512(_mm512_castps_si512(_mm512_sub_ps(a0, a1)), _mm512_set1_epi32(0x7FFFFFFF)));
    __m512 m = _mm512_max_ps(_mm512_set1_ps(MK_NEARSWAP_FLOOR), a);
    __m512 q = _mm512_mul_ps(_mm512_div_ps(one, m), vt);
    __m512 w = _mm512_min_ps(one, _mm512_max_ps(_mm512_setzero_ps(), q));
    return _mm512_add_ps(_mm512_mul_ps(w, a1), _mm512_mul_ps(_mm512_sub_ps(one, w), a0));
}

void mk_nearswap_avx512(const float *v0, const float *v1, float t, int64_t len, float *out) {
    const __m512 vt = _mm512_set1_ps(t);
    int64_t j = 0;
    for (; j + 16 <= len; j += 16) {
        _mm512_storeu_ps(out + j, nearswap16(_mm512_loadu_ps(v0 + j), _mm512_loadu_ps(v1 + j), vt));
    }
    if (j < len) {
        __mmask16 m = (__mmask16)((1u << (len - j)) - 1u);
        __m512 r = nearswap16(_mm512_maskz_loadu_ps(m, v0 + j), _mm512_maskz_loadu_ps(m, v1 + j), vt);
        _mm512_mask_storeu_ps(out + j, m, r);
    }
}
