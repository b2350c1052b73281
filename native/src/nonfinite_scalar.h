/*
 * The non-finite test of org.exmerge.kernel.NonFinite on 8-byte words: an element is non-finite
 * when the bits of `lane` (its exponent, or for F8 E4M3 every bit but the sign) are all ones. With M
 * the lane replicated over a word and H its elements' top bits, t = (x & M) ^ M is zero exactly in
 * such elements and at least M's lowest bit in any other, so ~(t + M) & H has an element's top bit
 * set exactly when it is non-finite, without a carry into the next element (t + M < 2 * M). The
 * scalar path runs it over the whole run, the SIMD paths over their tails and over the block that
 * showed a hit, to say which element it was.
 */
#ifndef EXMERGE_NONFINITE_SCALAR_H
#define EXMERGE_NONFINITE_SCALAR_H

#include <stdint.h>
#include <string.h>

/* lane repeated in every size-byte element of a word. */
static inline uint64_t mk_nf_replicate(uint64_t lane, int32_t size) {
    uint64_t w = 0;
    for (int32_t k = 0; k < 8; k += size) {
        w |= lane << (8 * k);
    }
    return w;
}

/* H: the top (sign) bit of every size-byte element of a word. */
static inline uint64_t mk_nf_sign(int32_t size) {
    return mk_nf_replicate((uint64_t)1 << (8 * size - 1), size);
}

/* Index of the first non-finite element of p[0, n), or -1. */
static inline int64_t mk_nf_first_words(const unsigned char *p, int32_t size, uint64_t lane, int64_t n) {
    const uint64_t m = mk_nf_replicate(lane, size);
    const uint64_t h = mk_nf_sign(size);
    const int64_t bytes = n * size;
    int64_t i = 0;
    for (; bytes - i >= 8; i += 8) {
        uint64_t x;
        memcpy(&x, p + i, 8);
        const uint64_t bad = ~(((x & m) ^ m) + m) & h;
        if (bad != 0) {
            /* Little-endian: the lowest flagged byte lies in the first non-finite element. */
            return (i + (__builtin_ctzll(bad) >> 3)) / size;
        }
    }
    for (; i < bytes; i += size) {
        uint64_t e = 0;
        memcpy(&e, p + i, (size_t)size);
        if ((e & lane) == lane) {
            return i / size;
        }
    }
    return -1;
}

#endif
