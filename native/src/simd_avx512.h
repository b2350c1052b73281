/*
 * AVX-512 element loads and stores, 16 floats per register (include only from *_avx512.c, which
 * are compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma -mf16c).
 *  - F16 widening: vcvtph2ps is exact and quiets NaNs exactly as the Java spec does.
 *  - F16 narrowing: vcvtps2ph with round-to-nearest-even is IEEE-exact, but keeps NaN payloads, so
 *    NaN lanes are replaced by the canonical 0x7E00 afterwards.
 *  - BF16 narrowing: the integer round-to-nearest-even trick on the float bits, NaN lanes 0x7FC0.
 *    (AVX512_BF16's vcvtneps2bf16 is not used: it is not on every AVX-512 CPU, and it flushes
 *    subnormals to zero, which the spec's rounding does not.)
 * Masked forms touch only the lanes in the mask, so tails never read or write past the data. Main
 * loops take the full-width forms and leave the mask to one last step: on a Zen 5 core the loops that
 * masked every step (one body serving the tail) ran at up to half the speed (docs/benchmarks.md,
 * twenty-second session).
 */
#ifndef EXMERGE_SIMD_AVX512_H
#define EXMERGE_SIMD_AVX512_H

#include <immintrin.h>
#include <stdint.h>

#include "exmerge.h"

#define MK_INLINE static inline __attribute__((always_inline))

MK_INLINE __mmask16 mk512_tail(int64_t count) {
    return (__mmask16)((1u << count) - 1u);
}

MK_INLINE __m512 mk512_bf16_bits(__m256i h) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

/* 16 elements of type t from element j of p, widened (m: lanes to load, others 0). */
MK_INLINE __m512 mk512_load(const void *p, int32_t t, int64_t j, __mmask16 m) {
    switch (t) {
    case MK_DTYPE_F32:
        return _mm512_maskz_loadu_ps(m, (const float *)p + j);
    case MK_DTYPE_F16:
        return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, (const uint16_t *)p + j));
    default:
        return mk512_bf16_bits(_mm256_maskz_loadu_epi16(m, (const uint16_t *)p + j));
    }
}

/* Full-width twin of mk512_load: unmasked loads are a little cheaper in the main loop. */
MK_INLINE __m512 mk512_load_full(const void *p, int32_t t, int64_t j) {
    switch (t) {
    case MK_DTYPE_F32:
        return _mm512_loadu_ps((const float *)p + j);
    case MK_DTYPE_F16:
        return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)((const uint16_t *)p + j)));
    default:
        return mk512_bf16_bits(_mm256_loadu_si256((const __m256i *)((const uint16_t *)p + j)));
    }
}

/* A loop step's load: all 16 lanes unmasked when full (the main loop), else the lanes in m (its tail). */
MK_INLINE __m512 mk512_load_step(const void *p, int32_t t, int64_t j, __mmask16 m, int full) {
    return full ? mk512_load_full(p, t, j) : mk512_load(p, t, j, m);
}

/* Each lane's bfloat16 bits (round to nearest even, NaN 0x7FC0) in the low half of its 32 bits. */
MK_INLINE __m512i mk512_bf16_round(__m512 v) {
    __m512i b = _mm512_castps_si512(v);
    __m512i odd = _mm512_and_si512(_mm512_srli_epi32(b, 16), _mm512_set1_epi32(1));
    __m512i r = _mm512_srli_epi32(_mm512_add_epi32(b, _mm512_add_epi32(_mm512_set1_epi32(0x7FFF), odd)), 16);
    __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    return _mm512_mask_blend_epi32(nan, r, _mm512_set1_epi32(0x7FC0));
}

MK_INLINE __m256i mk512_to_bf16(__m512 v) {
    return _mm512_cvtepi32_epi16(mk512_bf16_round(v));
}

MK_INLINE __m256i mk512_to_f16(__m512 v) {
    __m256i h = _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    return _mm256_mask_blend_epi16(nan, h, _mm256_set1_epi16(0x7E00));
}

/* Narrows v to type t and stores the lanes in m at element j of p. */
MK_INLINE void mk512_store(void *p, int32_t t, int64_t j, __m512 v, __mmask16 m) {
    switch (t) {
    case MK_DTYPE_F32:
        _mm512_mask_storeu_ps((float *)p + j, m, v);
        return;
    case MK_DTYPE_F16:
        _mm256_mask_storeu_epi16((uint16_t *)p + j, m, mk512_to_f16(v));
        return;
    default:
        _mm256_mask_storeu_epi16((uint16_t *)p + j, m, mk512_to_bf16(v));
        return;
    }
}

/* Full-width twin of mk512_store. */
MK_INLINE void mk512_store_full(void *p, int32_t t, int64_t j, __m512 v) {
    switch (t) {
    case MK_DTYPE_F32:
        _mm512_storeu_ps((float *)p + j, v);
        return;
    case MK_DTYPE_F16:
        _mm256_storeu_si256((__m256i *)((uint16_t *)p + j), mk512_to_f16(v));
        return;
    default:
        _mm256_storeu_si256((__m256i *)((uint16_t *)p + j), mk512_to_bf16(v));
        return;
    }
}

#endif
