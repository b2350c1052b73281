/*
 * Scalar element conversions shared by every path (the scalar kernels, and the tails of the SIMD
 * ones). Each matches what the Java spec produces at run time, bit for bit:
 *  - BF16 -> F32: the 16 bits become the high half (exact, NaN payloads kept).
 *  - F16 -> F32: exact; a NaN keeps sign and payload and comes out quiet, as F16C's vcvtph2ps and
 *    the JDK's Float.float16ToFloat (intrinsified with that instruction) both do.
 *  - F32 -> BF16: round to nearest even on the bits, (b + 0x7FFF + ((b >> 16) & 1)) >> 16; NaN 0x7FC0.
 *  - F32 -> F16: IEEE round to nearest even, subnormals included, >= 65520 to infinity; NaN 0x7E00.
 * Nothing here depends on MXCSR beyond its default (no FTZ/DAZ), which the JVM also keeps.
 */
#ifndef EXMERGE_FP_SCALAR_H
#define EXMERGE_FP_SCALAR_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "exmerge.h"

static inline uint32_t mk_bits(float f) {
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}

static inline float mk_float(uint32_t b) {
    float f;
    memcpy(&f, &b, 4);
    return f;
}

static inline uint16_t mk_u16(const void *p, int64_t j) {
    uint16_t v;
    memcpy(&v, (const char *)p + 2 * j, 2);
    return v;
}

static inline float mk_bf16_to_f32(uint16_t h) {
    return mk_float((uint32_t)h << 16);
}

static inline float mk_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t e = (h >> 10) & 0x1Fu;
    uint32_t m = h & 0x3FFu;
    if (e == 0) {
        /* zero or subnormal: m * 2^-24, exact in float32 */
        return mk_float(mk_bits((float)m * 0x1p-24f) | sign);
    }
    if (e == 31) {
        return mk_float(sign | 0x7F800000u | (m << 13) | (m != 0 ? 0x00400000u : 0));
    }
    return mk_float(sign | ((e + 112u) << 23) | (m << 13));
}

static inline uint16_t mk_f32_to_bf16(float f) {
    uint32_t b = mk_bits(f);
    if ((b & 0x7FFFFFFFu) > 0x7F800000u) {
        return 0x7FC0;
    }
    return (uint16_t)((b + 0x7FFFu + ((b >> 16) & 1u)) >> 16);
}

static inline uint16_t mk_f32_to_f16(float f) {
    uint32_t b = mk_bits(f);
    uint16_t sign = (uint16_t)((b >> 16) & 0x8000u);
    uint32_t a = b & 0x7FFFFFFFu;
    if (a > 0x7F800000u) {
        return 0x7E00;
    }
    if (a >= 0x477FF000u) { /* >= 65520: rounds to infinity (and infinity itself) */
        return sign | 0x7C00u;
    }
    if (a >= 0x38800000u) { /* >= 2^-14: normal; rebias and round 13 bits to nearest even */
        uint32_t r = a - 0x38000000u;
        r = r + 0xFFFu + ((r >> 13) & 1u);
        return sign | (uint16_t)(r >> 13);
    }
    /* Subnormal or zero: adding 0.5f rounds |f| to a multiple of 2^-24 (the float ulp at 0.5) with
     * the FPU's round-to-nearest-even; the bits above 0.5f's are then the F16 subnormal count. */
    float t = mk_float(a) + 0.5f;
    return sign | (uint16_t)(mk_bits(t) - 0x3F000000u);
}

/* Element j of a MK_DTYPE_* run, widened. */
static inline float mk_load(const void *p, int32_t type, int64_t j) {
    switch (type) {
    case MK_DTYPE_F32: {
        float f;
        memcpy(&f, (const char *)p + 4 * j, 4);
        return f;
    }
    case MK_DTYPE_F16:
        return mk_f16_to_f32(mk_u16(p, j));
    default:
        return mk_bf16_to_f32(mk_u16(p, j));
    }
}

/* Element j of a MK_DTYPE_* run, narrowed from v. */
static inline void mk_store(void *p, int32_t type, int64_t j, float v) {
    uint16_t h;
    switch (type) {
    case MK_DTYPE_F32:
        memcpy((char *)p + 4 * j, &v, 4);
        return;
    case MK_DTYPE_F16:
        h = mk_f32_to_f16(v);
        break;
    default:
        h = mk_f32_to_bf16(v);
        break;
    }
    memcpy((char *)p + 2 * j, &h, 2);
}

/* MagnitudeSelect.key: |v|'s float bits, every NaN MK_NAN_KEY (0x7F800001). */
static inline uint32_t mk_magnitude_key(float v) {
    uint32_t k = mk_bits(v) & 0x7FFFFFFFu;
    return k < 0x7F800001u ? k : 0x7F800001u;
}

/* MagnitudeSelect's two passes: the first (high < 0) counts key's high 15 bits, the second the low
 * 16 bits of the keys whose high part is high. */
static inline void mk_count_key(int64_t *hist, int32_t high, uint32_t key) {
    if (high < 0) {
        hist[key >> 16]++;
    } else if ((key >> 16) == (uint32_t)high) {
        hist[key & 0xFFFFu]++;
    }
}

/* Philox4x32-10 (Random123's philox4x32_R(10, ctr, key)). */
static inline void mk_philox_block(uint32_t k0, uint32_t k1, uint32_t c[4]) {
    for (int r = 0; r < 10; r++) {
        if (r > 0) {
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        uint64_t p0 = (uint64_t)0xD2511F53u * c[0];
        uint64_t p1 = (uint64_t)0xCD9E8D57u * c[2];
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c[1] ^ k0;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c[3] ^ k1;
        c[1] = (uint32_t)p1;
        c[3] = (uint32_t)p0;
        c[0] = n0;
        c[2] = n2;
    }
}

/* numerics §5's uniform from output word 0: the top 24 bits times 2^-24 (exact). */
static inline float mk_uniform_of(uint32_t r) {
    return (float)(r >> 8) * 0x1p-24f;
}

#endif
