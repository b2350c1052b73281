/* numerics §5 uniforms on AVX-512: Philox4x32-10 blocks 16 at a time, four such chains side by side
 * as on AVX2 (philox_avx2.c: the same first and last rounds made cheaper); a masked tail. */
#include "fp_scalar.h"
#include "kernels.h"
#include "simd_avx512.h"

/* Both halves of the 32 × 32 → 64-bit products a · m. Lane 2i's product (even) holds its low word
 * in lane 2i and its high word in 2i+1; lane 2i+1's (odd) its low word in 2i. One vpshufd swapping
 * each pair, merged under a mask, moves the other word of each into place: five instructions where
 * AVX2 takes seven, and no vpmulld (two micro-ops, ten cycles' latency on Intel cores). */
MK_INLINE void mul32(__m512i a, __m512i m, __m512i *hi, __m512i *lo) {
    __m512i even = _mm512_mul_epu32(a, m);
    __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);
    *hi = _mm512_mask_shuffle_epi32(odd, 0x5555, even, _MM_PERM_CDAB);
    *lo = _mm512_mask_shuffle_epi32(even, 0xAAAA, odd, _MM_PERM_CDAB);
}

/* The high half alone. */
MK_INLINE __m512i mulhi32(__m512i a, __m512i m) {
    __m512i even = _mm512_mul_epu32(a, m);
    __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);
    return _mm512_mask_shuffle_epi32(odd, 0x5555, even, _MM_PERM_CDAB);
}

/* a ^ b ^ c in one vpternlogd */
MK_INLINE __m512i xor3(__m512i a, __m512i b, __m512i c) {
    return _mm512_ternarylogic_epi32(a, b, c, 0x96);
}

/* The counter words of elements e .. e + 15 (numerics §5: the 64-bit element index in words 0 and 1). */
MK_INLINE void counters(uint64_t e, __m512i *c0, __m512i *c1) {
    __m512i lo = _mm512_set1_epi32((int)(uint32_t)e);
    __m512i hi = _mm512_set1_epi32((int)(uint32_t)(e >> 32));
    *c0 = _mm512_add_epi32(lo, _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    /* a lane whose low word wrapped carries one into the high word */
    *c1 = _mm512_mask_add_epi32(hi, _mm512_cmplt_epu32_mask(*c0, lo), hi, _mm512_set1_epi32(1));
}

#define M0 _mm512_set1_epi32((int)0xD2511F53u)
#define M1 _mm512_set1_epi32((int)0xCD9E8D57u)

/* The call's constants, as on AVX2: the round keys; the first round's product of word 2 (the tensor,
 * the same in every lane), its high half xored with the key (hk) and its low half (lo); the model
 * xored with the key (mk). */
typedef struct {
    __m512i k0[10], k1[10], hk, lo, mk;
} keys;

/* B chains of 16 counters from element e through the ten rounds; w0[b] gets chain b's word 0. */
MK_INLINE void blocks(const keys *k, int B, uint64_t e, __m512i *w0) {
    __m512i c0[4], c1[4], c2[4], c3[4];
#pragma GCC unroll 4
    for (int b = 0; b < B; b++) {
        __m512i hi0, lo0;
        counters(e + 16 * (uint64_t)b, &c0[b], &c1[b]);
        mul32(c0[b], M0, &hi0, &lo0);
        c0[b] = _mm512_xor_si512(c1[b], k->hk);
        c2[b] = _mm512_xor_si512(hi0, k->mk);
        c1[b] = k->lo;
        c3[b] = lo0;
    }
    for (int r = 1; r < 9; r++) {
#pragma GCC unroll 4
        for (int b = 0; b < B; b++) {
            __m512i hi0, lo0, hi1, lo1;
            mul32(c0[b], M0, &hi0, &lo0);
            mul32(c2[b], M1, &hi1, &lo1);
            c0[b] = xor3(hi1, c1[b], k->k0[r]);
            c2[b] = xor3(hi0, c3[b], k->k1[r]);
            c1[b] = lo1;
            c3[b] = lo0;
        }
    }
    /* the tenth round's word 0 alone: numerics §5 uses no other */
#pragma GCC unroll 4
    for (int b = 0; b < B; b++) {
        w0[b] = xor3(mulhi32(c2[b], M1), c1[b], k->k0[9]);
    }
}

MK_INLINE __m512 uniforms(__m512i w0) {
    return _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(w0, 8)), _mm512_set1_ps(0x1p-24f));
}

void mk_philox_uniform_avx512(uint64_t seed, uint32_t tensor_id, uint32_t model, int64_t first, int64_t n, float *u) {
    keys k;
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int r = 0; r < 10; r++) {
        k.k0[r] = _mm512_set1_epi32((int)k0);
        k.k1[r] = _mm512_set1_epi32((int)k1);
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    uint64_t p = (uint64_t)0xCD9E8D57u * tensor_id;
    k.hk = _mm512_set1_epi32((int)((uint32_t)(p >> 32) ^ (uint32_t)seed));
    k.lo = _mm512_set1_epi32((int)(uint32_t)p);
    k.mk = _mm512_set1_epi32((int)(model ^ (uint32_t)(seed >> 32)));
    __m512i w0[4];
    int64_t j = 0;
    for (; j + 64 <= n; j += 64) {
        blocks(&k, 4, (uint64_t)(first + j), w0);
        for (int b = 0; b < 4; b++) {
            _mm512_storeu_ps(u + j + 16 * b, uniforms(w0[b]));
        }
    }
    for (; j < n; j += 16) {
        blocks(&k, 1, (uint64_t)(first + j), w0);
        _mm512_mask_storeu_ps(u + j, n - j >= 16 ? 0xFFFF : mk512_tail(n - j), uniforms(w0[0]));
    }
}
