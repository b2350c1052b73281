/* Magnitude keys and the band select's read on AVX-512. Keys: |v|'s bits via a mask, NaNs clamped to
 * 0x7F800001 by an unsigned min (every NaN's masked bits exceed it, every other value's are below it). */
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

static int64_t lanes_sum(__m512i v) {
    uint32_t t[16];
    _mm512_storeu_si512(t, v);
    int64_t s = 0;
    for (int i = 0; i < 16; i++) {
        s += t[i];
    }
    return s;
}

/*
 * The band select's read (see magnitude_avx2.c): each vector's band lanes are packed to the front
 * by vpcompressd into a register (its form that stores to memory is microcoded on several cores)
 * and stored whole, the cursor moving by their number; the tail is masked. Counts run in 32-bit
 * lanes, added up once a tile. Keys are below 2^31, so signed compares order them.
 */
int64_t mk_magnitude_band_avx512(const void *x, int32_t tx, const void *b, int32_t tb, int64_t len, uint32_t lo,
                                 uint32_t hi, int64_t *counts, uint32_t *band, int64_t at, int64_t cap) {
    const __m512i mag = _mm512_set1_epi32(0x7FFFFFFF);
    const __m512i nan_key = _mm512_set1_epi32((int)MK_NAN_KEY);
    const __m512i vhi = _mm512_set1_epi32((int)hi);
    const __m512i vlo = _mm512_set1_epi32((int)lo);
    const __m512i one = _mm512_set1_epi32(1);
    /* lo == hi: the keys equal to lo are counted as equal to hi only. */
    const __mmask16 lo_counts = lo < hi ? 0xFFFF : 0;
    __m512i above = _mm512_setzero_si512(), at_hi = above, at_lo = above;
    for (int64_t j = 0; j < len; j += 16) {
        const __mmask16 m = len - j >= 16 ? 0xFFFF : mk512_tail(len - j);
        __m512 v = _mm512_sub_ps(mk512_load(x, tx, j, m), mk512_load(b, tb, j, m));
        __m512i k = _mm512_min_epu32(_mm512_and_si512(_mm512_castps_si512(v), mag), nan_key);
        __mmask16 gt = _mm512_cmpgt_epi32_mask(k, vhi) & m;
        __mmask16 eq = _mm512_cmpeq_epi32_mask(k, vhi) & m;
        __mmask16 el = _mm512_cmpeq_epi32_mask(k, vlo) & lo_counts & m;
        __mmask16 in = _mm512_cmpgt_epi32_mask(k, vlo) & (__mmask16)~(gt | eq) & m;
        above = _mm512_mask_add_epi32(above, gt, above, one);
        at_hi = _mm512_mask_add_epi32(at_hi, eq, at_hi, one);
        at_lo = _mm512_mask_add_epi32(at_lo, el, at_lo, one);
        if (at + 16 <= cap) {
            _mm512_storeu_si512(band + at, _mm512_maskz_compress_epi32(in, k));
            at += __builtin_popcount(in);
        } else {
            uint32_t keys[16];
            _mm512_storeu_si512(keys, k);
            for (unsigned r = in; r != 0; r &= r - 1, at++) {
                if (at < cap) {
                    band[at] = keys[__builtin_ctz(r)];
                }
            }
        }
    }
    counts[0] += lanes_sum(above);
    counts[1] += lanes_sum(at_hi);
    counts[2] += lanes_sum(at_lo);
    return at;
}
