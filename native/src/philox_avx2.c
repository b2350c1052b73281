/* numerics §5 uniforms on AVX2: Philox4x32-10 blocks 8 at a time (see philox_avx512.c); scalar tail. */
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

/* The high half alone. */
MK_INLINE __m256i mulhi32(__m256i a, __m256i m) {
    __m256i even = _mm256_mul_epu32(a, m);
    __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);
    return _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
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

#define M0 _mm256_set1_epi32((int)0xD2511F53u)
#define M1 _mm256_set1_epi32((int)0xCD9E8D57u)

/* The call's constants: the round keys, and what the first round makes of words 2 and 3, the same
 * in every lane (tensor, model): c2's product is one number, its high half xored with the key hk,
 * its low half lo; the model xored with the key mk. */
typedef struct {
    __m256i k0[10], k1[10], hk, lo, mk;
} keys;

/* B blocks of 8 counters from element e through the ten rounds; u[8b ..] gets block b's uniforms.
 * B blocks side by side: each round waits on the multiplies of the one before, so a lone block
 * leaves the core idle most of the time. */
MK_INLINE void blocks(const keys *k, int B, uint64_t e, float *u) {
    __m256i c0[4], c1[4], c2[4], c3[4];
#pragma GCC unroll 4
    for (int b = 0; b < B; b++) {
        __m256i hi0, lo0;
        counters(e + 8 * (uint64_t)b, &c0[b], &c1[b]);
        mul32(c0[b], M0, &hi0, &lo0);
        c0[b] = _mm256_xor_si256(c1[b], k->hk);
        c2[b] = _mm256_xor_si256(hi0, k->mk);
        c1[b] = k->lo;
        c3[b] = lo0;
    }
    for (int r = 1; r < 9; r++) {
#pragma GCC unroll 4
        for (int b = 0; b < B; b++) {
            __m256i hi0, lo0, hi1, lo1;
            mul32(c0[b], M0, &hi0, &lo0);
            mul32(c2[b], M1, &hi1, &lo1);
            c0[b] = _mm256_xor_si256(_mm256_xor_si256(hi1, c1[b]), k->k0[r]);
            c2[b] = _mm256_xor_si256(_mm256_xor_si256(hi0, c3[b]), k->k1[r]);
            c1[b] = lo1;
            c3[b] = lo0;
        }
    }
    /* the tenth round's word 0 alone: numerics §5 uses no other */
#pragma GCC unroll 4
    for (int b = 0; b < B; b++) {
        __m256i w0 = _mm256_xor_si256(_mm256_xor_si256(mulhi32(c2[b], M1), c1[b]), k->k0[9]);
        _mm256_storeu_ps(u + 8 * b, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(w0, 8)), _mm256_set1_ps(0x1p-24f)));
    }
}

void mk_philox_uniform_avx2(uint64_t seed, uint32_t tensor_id, uint32_t model, int64_t first, int64_t n, float *u) {
    keys k;
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int r = 0; r < 10; r++) {
        k.k0[r] = _mm256_set1_epi32((int)k0);
        k.k1[r] = _mm256_set1_epi32((int)k1);
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    uint64_t p = (uint64_t)0xCD9E8D57u * tensor_id;
    k.hk = _mm256_set1_epi32((int)((uint32_t)(p >> 32) ^ (uint32_t)seed));
    k.lo = _mm256_set1_epi32((int)(uint32_t)p);
    k.mk = _mm256_set1_epi32((int)(model ^ (uint32_t)(seed >> 32)));
    int64_t j = 0;
    for (; j + 32 <= n; j += 32) {
        blocks(&k, 4, (uint64_t)(first + j), u + j);
    }
    for (; j + 8 <= n; j += 8) {
        blocks(&k, 1, (uint64_t)(first + j), u + j);
    }
    mk_philox_uniform_scalar(seed, tensor_id, model, first + j, n - j, u + j);
}
