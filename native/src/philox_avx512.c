/* numerics §5 uniforms on AVX-512: 16 Philox4x32-10 blocks at once, one per lane. The 32x32->64-bit
 * products come from vpmuludq on the even and (shifted) odd lanes; low halves from vpmulld. */
#include "fp_scalar.h"
#include "kernels.h"
#include "simd_avx512.h"

MK_INLINE __m512i mulhi32(__m512i a, __m512i m) {
    __m512i even = _mm512_srli_epi64(_mm512_mul_epu32(a, m), 32);
    __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);
    return _mm512_mask_blend_epi32(0xAAAA, even, odd);
}

void mk_philox_uniform_avx512(uint64_t seed, uint32_t tensor_id, uint32_t model, int64_t first, int64_t n, float *u) {
    const __m512i m0 = _mm512_set1_epi32((int)0xD2511F53u);
    const __m512i m1 = _mm512_set1_epi32((int)0xCD9E8D57u);
    const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512 scale = _mm512_set1_ps(0x1p-24f);
    for (int64_t j = 0; j < n; j += 16) {
        uint64_t e = (uint64_t)(first + j);
        __m512i lo0 = _mm512_set1_epi32((int)(uint32_t)e);
        __m512i c0 = _mm512_add_epi32(lo0, iota);
        /* a lane whose low word wrapped carries one into the high word */
        __mmask16 carry = _mm512_cmplt_epu32_mask(c0, lo0);
        __m512i c1 = _mm512_mask_add_epi32(_mm512_set1_epi32((int)(uint32_t)(e >> 32)), carry,
                                           _mm512_set1_epi32((int)(uint32_t)(e >> 32)), _mm512_set1_epi32(1));
        __m512i c2 = _mm512_set1_epi32((int)tensor_id);
        __m512i c3 = _mm512_set1_epi32((int)model);
        uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
        for (int r = 0; r < 10; r++) {
            if (r > 0) {
                k0 += 0x9E3779B9u;
                k1 += 0xBB67AE85u;
            }
            __m512i hi0 = mulhi32(c0, m0), lo0p = _mm512_mullo_epi32(c0, m0);
            __m512i hi1 = mulhi32(c2, m1), lo1p = _mm512_mullo_epi32(c2, m1);
            __m512i n0 = _mm512_xor_si512(_mm512_xor_si512(hi1, c1), _mm512_set1_epi32((int)k0));
            __m512i n2 = _mm512_xor_si512(_mm512_xor_si512(hi0, c3), _mm512_set1_epi32((int)k1));
            c1 = lo1p;
            c3 = lo0p;
            c0 = n0;
            c2 = n2;
        }
        __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(c0, 8)), scale);
        __mmask16 m = n - j >= 16 ? 0xFFFF : mk512_tail(n - j);
        _mm512_mask_storeu_ps(u + j, m, v);
    }
}
