/* The AVX-512 floor: 16 elements per step like mk512_direct (32-byte loads and streams for 16-bit
 * types, 64-byte for F32), streamed from the first 64-byte line of the output when it is large. */
#include <immintrin.h>

#include "stream_n.h"

#define MKB_INLINE static inline __attribute__((always_inline))

MKB_INLINE void step16(const void *const *in, int32_t n_in, uint16_t *out, int64_t j, int stream) {
    __m256i v = _mm256_loadu_si256((const __m256i *)((const uint16_t *)in[0] + j));
    for (int32_t i = 1; i < n_in; i++) {
        v = _mm256_xor_si256(v, _mm256_loadu_si256((const __m256i *)((const uint16_t *)in[i] + j)));
    }
    if (stream) {
        _mm256_stream_si256((__m256i *)(out + j), v);
    } else {
        _mm256_storeu_si256((__m256i *)(out + j), v);
    }
}

MKB_INLINE void step32(const void *const *in, int32_t n_in, float *out, int64_t j, int stream) {
    __m512i v = _mm512_loadu_si512((const void *)((const float *)in[0] + j));
    for (int32_t i = 1; i < n_in; i++) {
        v = _mm512_xor_si512(v, _mm512_loadu_si512((const void *)((const float *)in[i] + j)));
    }
    if (stream) {
        _mm512_stream_si512((void *)(out + j), v);
    } else {
        _mm512_storeu_si512((void *)(out + j), v);
    }
}

MKB_INLINE void one(const void *const *in, int32_t n_in, void *out, int64_t j, int32_t size) {
    for (int32_t b = 0; b < size; b++) {
        unsigned char v = 0;
        for (int32_t i = 0; i < n_in; i++) {
            v ^= ((const unsigned char *)in[i])[j * size + b];
        }
        ((unsigned char *)out)[j * size + b] = v;
    }
}

#define MKB_LOOP(STEP, T)                                                       \
    do {                                                                        \
        int64_t j = 0;                                                          \
        int64_t to_line = (int64_t)((0 - (uintptr_t)out) & 63);                 \
        if (n * size >= MKB_STREAM_BYTES && to_line % size == 0) {              \
            int64_t head = to_line / size;                                      \
            for (; j + 16 <= head; j += 16) STEP(in, n_in, (T *)out, j, 0);     \
            for (; j < head; j++) one(in, n_in, out, j, size);                  \
            for (; j + 16 <= n; j += 16) STEP(in, n_in, (T *)out, j, 1);        \
            _mm_sfence();                                                       \
        }                                                                       \
        for (; j + 16 <= n; j += 16) STEP(in, n_in, (T *)out, j, 0);            \
        for (; j < n; j++) one(in, n_in, out, j, size);                         \
    } while (0)

void mkb_stream_n_avx512(const void *const *in, int32_t n_in, void *out, int64_t n, int32_t size) {
    if (size == 4) {
        MKB_LOOP(step32, float);
    } else {
        MKB_LOOP(step16, uint16_t);
    }
}
