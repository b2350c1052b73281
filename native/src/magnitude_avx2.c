/* Magnitude keys on AVX2 (see magnitude_avx512.c); scalar tail. */
#include "fp_scalar.h"
#include "kernels.h"
#include "simd_avx2.h"

void mk_magnitude_keys_avx2(const void *x, int32_t tx, const void *b, int32_t tb, int64_t len, uint32_t *keys) {
    const __m256i mag = _mm256_set1_epi32(0x7FFFFFFF);
    const __m256i nan_key = _mm256_set1_epi32((int)MK_NAN_KEY);
    int64_t j = 0;
    for (; j + 8 <= len; j += 8) {
        __m256 v = mk256_load(x, tx, j);
        if (b != NULL) {
            v = _mm256_sub_ps(v, mk256_load(b, tb, j));
        }
        __m256i k = _mm256_min_epu32(_mm256_and_si256(_mm256_castps_si256(v), mag), nan_key);
        _mm256_storeu_si256((__m256i *)(keys + j), k);
    }
    for (; j < len; j++) {
        float v = mk_load(x, tx, j);
        if (b != NULL) {
            v = v - mk_load(b, tb, j);
        }
        keys[j] = mk_magnitude_key(v);
    }
}
