/*
 * The AVX-512 non-finite scan: nonfinite_scalar.h's word test in 64-bit lanes, four zmm (256 bytes)
 * per step OR-ed into one test; a step with a hit, and the tail, go to the word loop, which names
 * the element. Run lengths and starts need no alignment.
 */
#include <immintrin.h>

#include "kernels.h"
#include "nonfinite_scalar.h"

static inline __m512i bad(__m512i x, __m512i m, __m512i h) {
    __m512i t = _mm512_xor_si512(_mm512_and_si512(x, m), m);
    return _mm512_andnot_si512(_mm512_add_epi64(t, m), h);
}

int64_t mk_first_nonfinite_avx512(const void *p, int32_t size, uint64_t lane, int64_t n) {
    const unsigned char *c = p;
    const __m512i m = _mm512_set1_epi64((long long)mk_nf_replicate(lane, size));
    const __m512i h = _mm512_set1_epi64((long long)mk_nf_sign(size));
    const int64_t bytes = n * size;
    int64_t i = 0;
    for (; bytes - i >= 256; i += 256) {
        __m512i a = bad(_mm512_loadu_si512(c + i), m, h);
        a = _mm512_or_si512(a, bad(_mm512_loadu_si512(c + i + 64), m, h));
        a = _mm512_or_si512(a, bad(_mm512_loadu_si512(c + i + 128), m, h));
        a = _mm512_or_si512(a, bad(_mm512_loadu_si512(c + i + 192), m, h));
        if (_mm512_test_epi64_mask(a, a) != 0) {
            break; /* the word loop below finds the element, in this step */
        }
    }
    /* 256 is a multiple of every element size, so i is an element boundary. */
    const int64_t at = mk_nf_first_words(c + i, size, lane, n - i / size);
    return at < 0 ? -1 : i / size + at;
}
