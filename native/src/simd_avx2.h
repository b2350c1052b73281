/*
 * AVX2 element loads and stores, 8 floats per register (include only from *_avx2.c, compiled with
 * -mavx2 -mfma -mf16c). Same conversions as simd_avx512.h; AVX2 has no 16-bit masked loads, so
 * the callers finish each run's last < 8 elements with fp_scalar.h, whose results are identical.
 */
#ifndef EXMERGE_SIMD_AVX2_H
#define EXMERGE_SIMD_AVX2_H

#include <immintrin.h>
#include <stdint.h>

#include "exmerge.h"

#define MK_INLINE static inline __attribute__((always_inline))

MK_INLINE __m256 mk256_bf16_bits(__m128i h) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

MK_INLINE __m256 mk256_load(const void *p, int32_t t, int64_t j) {
    switch (t) {
    case MK_DTYPE_F32:
        return _mm256_loadu_ps((const float *)p + j);
    case MK_DTYPE_F16:
        return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)p + j)));
    default:
        return mk256_bf16_bits(_mm_loadu_si128((const __m128i *)((const uint16_t *)p + j)));
    }
}

/* numerics §1's RNE to bfloat16 with the canonical NaN, one result per 32-bit lane (<= 0xFFFF). */
MK_INLINE __m256i mk256_bf16_round(__m256 v) {
    __m256i b = _mm256_castps_si256(v);
    __m256i odd = _mm256_and_si256(_mm256_srli_epi32(b, 16), _mm256_set1_epi32(1));
    __m256i r = _mm256_srli_epi32(_mm256_add_epi32(b, _mm256_add_epi32(_mm256_set1_epi32(0x7FFF), odd)), 16);
    __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    return _mm256_blendv_epi8(r, _mm256_set1_epi32(0x7FC0), nan);
}

MK_INLINE __m128i mk256_to_bf16(__m256 v) {
    __m256i r = mk256_bf16_round(v);
    /* every lane is <= 0xFFFF, so the unsigned-saturating pack is a plain narrowing */
    return _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
}

MK_INLINE __m128i mk256_to_f16(__m256 v) {
    __m128i h = _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    __m128i nan16 = _mm_packs_epi32(_mm256_castsi256_si128(nan), _mm256_extracti128_si256(nan, 1));
    return _mm_blendv_epi8(h, _mm_set1_epi16(0x7E00), nan16);
}

MK_INLINE void mk256_store(void *p, int32_t t, int64_t j, __m256 v) {
    switch (t) {
    case MK_DTYPE_F32:
        _mm256_storeu_ps((float *)p + j, v);
        return;
    case MK_DTYPE_F16:
        _mm_storeu_si128((__m128i *)((uint16_t *)p + j), mk256_to_f16(v));
        return;
    default:
        _mm_storeu_si128((__m128i *)((uint16_t *)p + j), mk256_to_bf16(v));
        return;
    }
}

#endif
