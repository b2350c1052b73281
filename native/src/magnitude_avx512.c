/* Magnitude keys and the band select's read on AVX-512. Keys: |v|'s bits via a mask, NaNs clamped to
 * 0x7F800001 by an unsigned min (every NaN's masked bits exceed it, every other value's are below it). */
#include "kernels.h"
#include "simd_avx512.h"

/* Sixteen keys of elements j.. (lanes m; all 16 with unmasked loads when full). */
MK_INLINE __m512i keys_vec(const void *x, int32_t tx, const void *b, int32_t tb, int64_t j, __mmask16 m, int full) {
    __m512 v = mk512_load_step(x, tx, j, m, full);
    if (b != NULL) {
        v = _mm512_sub_ps(v, mk512_load_step(b, tb, j, m, full));
    }
    return _mm512_min_epu32(_mm512_and_si512(_mm512_castps_si512(v), _mm512_set1_epi32(0x7FFFFFFF)),
                            _mm512_set1_epi32((int)MK_NAN_KEY));
}

void mk_magnitude_keys_avx512(const void *x, int32_t tx, const void *b, int32_t tb, int64_t len, uint32_t *keys) {
    int64_t j = 0;
    for (; j + 16 <= len; j += 16) {
        _mm512_storeu_si512(keys + j, keys_vec(x, tx, b, tb, j, 0xFFFF, 1));
    }
    if (j < len) {
        __mmask16 m = mk512_tail(len - j);
        _mm512_mask_storeu_epi32(keys + j, m, keys_vec(x, tx, b, tb, j, m, 0));
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
typedef struct {
    __m512i vlo, vhi, above, at_hi, at_lo;
    __mmask16 lo_counts;
} band_state;

/* One step of the band select's read: elements j.. (lanes m; all 16 with unmasked loads when full). */
MK_INLINE int64_t band_step(const void *x, int32_t tx, const void *b, int32_t tb, int64_t j, __mmask16 m, int full,
                            band_state *s, uint32_t *band, int64_t at, int64_t cap) {
    const __m512i one = _mm512_set1_epi32(1);
    __m512i k = keys_vec(x, tx, b, tb, j, m, full);
    __mmask16 gt = _mm512_cmpgt_epi32_mask(k, s->vhi) & m;
    __mmask16 eq = _mm512_cmpeq_epi32_mask(k, s->vhi) & m;
    __mmask16 el = _mm512_cmpeq_epi32_mask(k, s->vlo) & s->lo_counts & m;
    __mmask16 in = _mm512_cmpgt_epi32_mask(k, s->vlo) & (__mmask16)~(gt | eq) & m;
    s->above = _mm512_mask_add_epi32(s->above, gt, s->above, one);
    s->at_hi = _mm512_mask_add_epi32(s->at_hi, eq, s->at_hi, one);
    s->at_lo = _mm512_mask_add_epi32(s->at_lo, el, s->at_lo, one);
    if (at + 16 <= cap) {
        _mm512_storeu_si512(band + at, _mm512_maskz_compress_epi32(in, k));
        return at + __builtin_popcount(in);
    }
    uint32_t keys[16];
    _mm512_storeu_si512(keys, k);
    for (unsigned r = in; r != 0; r &= r - 1, at++) {
        if (at < cap) {
            band[at] = keys[__builtin_ctz(r)];
        }
    }
    return at;
}

int64_t mk_magnitude_band_avx512(const void *x, int32_t tx, const void *b, int32_t tb, int64_t len, uint32_t lo,
                                 uint32_t hi, int64_t *counts, uint32_t *band, int64_t at, int64_t cap) {
    band_state s;
    s.vhi = _mm512_set1_epi32((int)hi);
    s.vlo = _mm512_set1_epi32((int)lo);
    s.above = s.at_hi = s.at_lo = _mm512_setzero_si512();
    /* lo == hi: the keys equal to lo are counted as equal to hi only. */
    s.lo_counts = lo < hi ? 0xFFFF : 0;
    int64_t j = 0;
    for (; j + 16 <= len; j += 16) {
        at = band_step(x, tx, b, tb, j, 0xFFFF, 1, &s, band, at, cap);
    }
    if (j < len) {
        at = band_step(x, tx, b, tb, j, mk512_tail(len - j), 0, &s, band, at, cap);
    }
    counts[0] += lanes_sum(s.above);
    counts[1] += lanes_sum(s.at_hi);
    counts[2] += lanes_sum(s.at_lo);
    return at;
}
