/*
 * The AVX2 non-finite scan: nonfinite_scalar.h's word test in 64-bit lanes, four ymm (128 bytes)
 * per step OR-ed into one test; a step with a hit, and the tail, go to the word loop, which names
 * the element. Run lengths and starts need no alignment.
 */
#include <immintrin.h>

#include "kernels.h"
#include "nonfinite_scalar.h"

static inline __m256i bad(__m256i x, __m256i m, __m256i h) {
    __m256i t = _mm256_xor_si256(_mm256_and_si256(x, m), m);
    return _mm256_andnot_si256(_mm256_add_epi64(t, m), h);
}

int64_t mk_first_nonfinite_avx2(const void *p, int32_t size, uint64_t lane, int64_t n) {
    const unsigned char *c = p;
    const __m256i m = _mm256_set1_epi64x((long long)mk_nf_replicate(lane, size));
    const __m256i h = _mm256_set1_epi64x((long long)mk_nf_sign(size));
    const int64_t bytes = n * size;
    int64_t i = 0;
    for (; bytes - i >= 128; i += 128) {
        __m256i a = bad(_mm256_loadu_si256((const __m256i *)(c + i)), m, h);
        a = _mm256_or_si256(a, bad(_mm256_loadu_si256((const __m256i *)(c + i + 32)), m, h));
        a = _mm256_or_si256(a, bad(_mm256_loadu_si256((const __m256i *)(c + i + 64)), m, h));
        a = _mm256_or_si256(a, bad(_mm256_loadu_si256((const __m256i *)(c + i + 96)), m, h));
        if (!_mm256_testz_si256(a, a)) {
            break; /* the word loop below finds the element, in this step */
        }
    }
    /* 128 is a multiple of every element size, so i is an element boundary. */
    const int64_t at = mk_nf_first_words(c + i, size, lane, n - i / size);
    return at < 0 ? -1 : i / size + at;
}
