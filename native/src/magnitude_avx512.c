/* Magnitude keys on AVX-512: |v|'s bits via a mask, NaNs clamped to 0x7F800001 by an unsigned min
 * (every NaN's masked bits exceed it, every other value's are below it). */
#include "kernels.h"
#include "simd_avx512.h"

void mk_magnitude_keys_avx512(const void *x, int32_t tx, const void *b, int32_t tb, int64_t len, uint32_t *keys) {
    const __m512i mag = _mm512_set1_epi32(0x7FFFFFFF);
    const __m512i nan_key = _mm512_set1_epi32((int)MK_NAN_KEY);
    for (int64_t j = 0; j < len; j += 16) {
        __mmask16 m = len - j >= 16 ? 0xFFFF : mk512_tail(len - j);
        __m512 v = mk512_load(x, tx, j, m);
        if (b != NULL) {
            v = _mm512_sub_ps(v, mk512_load(b, tb, j, m));
        }
        __m512i k = _mm512_min_epu32(_mm512_and_si512(_mm512_castps_si512(v), mag), nan_key);
        _mm512_mask_storeu_epi32(keys + j, m, k);
    }
}
