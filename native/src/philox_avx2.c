/* numerics §5 uniforms on AVX2: 8 Philox4x32-10 blocks at once (see philox_avx512.c); scalar tail. */
#include "fp_scalar.h"
#include "kernels.h"
#include "simd_avx2.h"

/* Both halves of the 32 × 32 → 64-bit products a · m, from two widening multiplies (even and odd
 * lanes); AVX2's own low-half multiply (vpmulld) would be two more uops of long latency. */
MK_INLINE void mul32(__m256i a, __m256i m, __m256i *hi, __m256i *lo) {
    __m256i even = _mm256_mul_epu32(a, m);
    __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);
    *hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
    *lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
}

/* The counter words of elements e .. e + 7 (numerics §5: the 64-bit element index in words 0 and 1). */
MK_INLINE void counters(uint64_t e, __m256i *c0, __m256i *c1) {
    const __m256i flip = _mm256_set1_epi32((int)0x80000000u);
    __m256i lo = _mm256_set1_epi32((int)(uint32_t)e);
    *c0 = _mm256_add_epi32(lo, _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    /* unsigned c0 < lo (a wrapped low word) via a signed compare of sign-flipped values; the
     * all-ones result is -1, so subtracting it adds the carry */
    __m256i carry = _mm256_cmpgt_epi32(_mm256_xor_si256(lo, flip), _mm256_xor_si256(*c0, flip));
    *c1 = _mm256_sub_epi32(_mm256_set1_epi32((int)(uint32_t)(e >> 32)), carry);
}

/* One Philox round on a block of 8 counters. */
MK_INLINE void round8(__m256i *c0, __m256i *c1, __m256i *c2, __m256i *c3, __m256i k0, __m256i k1) {
    const __m256i m0 = _mm256_set1_epi32((int)0xD2511F53u);
    const __m256i m1 = _mm256_set1_epi32((int)0xCD9E8D57u);
    __m256i hi0, lo0, hi1, lo1;
    mul32(*c0, m0, &hi0, &lo0);
    mul32(*c2, m1, &hi1, &lo1);
    *c0 = _mm256_xor_si256(_mm256_xor_si256(hi1, *c1), k0);
    *c2 = _mm256_xor_si256(_mm256_xor_si256(hi0, *c3), k1);
    *c1 = lo1;
    *c3 = lo0;
}

MK_INLINE __m256 uniform(__m256i c0) {
    return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(c0, 8)), _mm256_set1_ps(0x1p-24f));
}

/* Two blocks of 8 go through the rounds side by side: each round waits on the multiplies of the
 * one before, so a lone block leaves the core idle most of the time. */
void mk_philox_uniform_avx2(uint64_t seed, uint32_t tensor_id, uint32_t model, int64_t first, int64_t n, float *u) {
    __m256i key0[10], key1[10];
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int r = 0; r < 10; r++) {
        key0[r] = _mm256_set1_epi32((int)k0);
        key1[r] = _mm256_set1_epi32((int)k1);
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    const __m256i id = _mm256_set1_epi32((int)tensor_id);
    const __m256i mdl = _mm256_set1_epi32((int)model);
    int64_t j = 0;
    for (; j + 16 <= n; j += 16) {
        __m256i a0, a1, a2 = id, a3 = mdl, b0, b1, b2 = id, b3 = mdl;
        counters((uint64_t)(first + j), &a0, &a1);
        counters((uint64_t)(first + j + 8), &b0, &b1);
        for (int r = 0; r < 10; r++) {
            round8(&a0, &a1, &a2, &a3, key0[r], key1[r]);
            round8(&b0, &b1, &b2, &b3, key0[r], key1[r]);
        }
        _mm256_storeu_ps(u + j, uniform(a0));
        _mm256_storeu_ps(u + j + 8, uniform(b0));
    }
    for (; j + 8 <= n; j += 8) {
        __m256i a0, a1, a2 = id, a3 = mdl;
        counters((uint64_t)(first + j), &a0, &a1);
        for (int r = 0; r < 10; r++) {
            round8(&a0, &a1, &a2, &a3, key0[r], key1[r]);
        }
        _mm256_storeu_ps(u + j, uniform(a0));
    }
    mk_philox_uniform_scalar(seed, tensor_id, model, first + j, n - j, u + j);
}
