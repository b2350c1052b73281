/* SPEC §5 uniforms on AVX2: 8 Philox4x32-10 blocks at once (see philox_avx512.c); scalar tail. */
#include "fp_scalar.h"
#include "kernels.h"
#include "simd_avx2.h"

MK_INLINE __m256i mulhi32(__m256i a, __m256i m) {
    __m256i even = _mm256_srli_epi64(_mm256_mul_epu32(a, m), 32);
    __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);
    return _mm256_blend_epi32(even, odd, 0xAA);
}

void mk_philox_uniform_avx2(uint64_t seed, uint32_t tensor_id, uint32_t model, int64_t first, int64_t n, float *u) {
    const __m256i m0 = _mm256_set1_epi32((int)0xD2511F53u);
    const __m256i m1 = _mm256_set1_epi32((int)0xCD9E8D57u);
    const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i flip = _mm256_set1_epi32((int)0x80000000u);
    const __m256 scale = _mm256_set1_ps(0x1p-24f);
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) {
        uint64_t e = (uint64_t)(first + j);
        __m256i lo0 = _mm256_set1_epi32((int)(uint32_t)e);
        __m256i c0 = _mm256_add_epi32(lo0, iota);
        /* unsigned c0 < lo0 (a wrapped low word) via a signed compare of sign-flipped values; the
         * all-ones result is -1, so subtracting it adds the carry */
        __m256i carry = _mm256_cmpgt_epi32(_mm256_xor_si256(lo0, flip), _mm256_xor_si256(c0, flip));
        __m256i c1 = _mm256_sub_epi32(_mm256_set1_epi32((int)(uint32_t)(e >> 32)), carry);
        __m256i c2 = _mm256_set1_epi32((int)tensor_id);
        __m256i c3 = _mm256_set1_epi32((int)model);
        uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
        for (int r = 0; r < 10; r++) {
            if (r > 0) {
                k0 += 0x9E3779B9u;
                k1 += 0xBB67AE85u;
            }
            __m256i hi0 = mulhi32(c0, m0), lo0p = _mm256_mullo_epi32(c0, m0);
            __m256i hi1 = mulhi32(c2, m1), lo1p = _mm256_mullo_epi32(c2, m1);
            __m256i n0 = _mm256_xor_si256(_mm256_xor_si256(hi1, c1), _mm256_set1_epi32((int)k0));
            __m256i n2 = _mm256_xor_si256(_mm256_xor_si256(hi0, c3), _mm256_set1_epi32((int)k1));
            c1 = lo1p;
            c3 = lo0p;
            c0 = n0;
            c2 = n2;
        }
        _mm256_storeu_ps(u + j, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(c0, 8)), scale));
    }
    mk_philox_uniform_scalar(seed, tensor_id, model, first + j, n - j, u + j);
}
