/*
 * numerics §1 conversions, the Java spec's (numeric/Bf16, F16, F8E4M3, F8E5M2) restated on bits so
 * the device and the host agree without relying on either's conversion instructions: widening is
 * exact, narrowing rounds to nearest even, subnormals included, and every NaN narrows to the type's
 * canonical NaN. float64 narrows only to F64 or F32 (the Java side refuses the rest before launch).
 */
#ifndef MKCU_DTYPE_CUH
#define MKCU_DTYPE_CUH

#include "mkcu_base.cuh"

EXMERGE_HD float mkcu_bf16_to_f32(uint16_t h) {
    return mkcu_float((uint32_t)h << 16);
}

/* Exact; a NaN keeps sign and payload and comes out quiet, as the JDK's intrinsic (F16C) does. */
EXMERGE_HD float mkcu_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t e = (h >> 10) & 0x1Fu;
    uint32_t m = h & 0x3FFu;
    if (e == 0) {
        return mkcu_float(mkcu_bits((float)m * 0x1p-24f) | sign); /* m · 2^-24 is exact */
    }
    if (e == 31) {
        return mkcu_float(sign | 0x7F800000u | (m << 13) | (m != 0 ? 0x00400000u : 0u));
    }
    return mkcu_float(sign | ((e + 112u) << 23) | (m << 13));
}

EXMERGE_HD float mkcu_e4m3_to_f32(uint8_t b) {
    uint32_t sign = (uint32_t)(b & 0x80u) << 24;
    uint32_t e = (b >> 3) & 0xFu;
    uint32_t m = b & 7u;
    if (e == 0xF && m == 7) {
        return mkcu_float(sign | 0x7FC00000u);
    }
    if (e == 0) {
        return mkcu_float(mkcu_bits((float)m * 0x1p-9f) | sign); /* 0x80 is -0 */
    }
    return mkcu_float(sign | ((e + 120u) << 23) | (m << 20));
}

/* e5m2 is the upper byte of a binary16. */
EXMERGE_HD float mkcu_e5m2_to_f32(uint8_t b) {
    return mkcu_f16_to_f32((uint16_t)((uint16_t)b << 8));
}

EXMERGE_HD uint16_t mkcu_f32_to_bf16(float f) {
    uint32_t b = mkcu_bits(f);
    if ((b & 0x7FFFFFFFu) > 0x7F800000u) {
        return 0x7FC0;
    }
    return (uint16_t)((b + 0x7FFFu + ((b >> 16) & 1u)) >> 16);
}

EXMERGE_HD uint16_t mkcu_f32_to_f16(float f) {
    uint32_t b = mkcu_bits(f);
    uint16_t sign = (uint16_t)((b >> 16) & 0x8000u);
    uint32_t a = b & 0x7FFFFFFFu;
    if (a > 0x7F800000u) {
        return 0x7E00;
    }
    if (a >= 0x477FF000u) { /* >= 65520 rounds to infinity */
        return (uint16_t)(sign | 0x7C00u);
    }
    if (a >= 0x38800000u) { /* normal: rebias, round 13 bits to nearest even */
        uint32_t r = a - 0x38000000u;
        r = r + 0xFFFu + ((r >> 13) & 1u);
        return (uint16_t)(sign | (r >> 13));
    }
    /* subnormal or zero: + 0.5f rounds |f| to a multiple of 2^-24 (RNE); the low bits are the count */
    float t = mkcu_float(a) + 0.5f;
    return (uint16_t)(sign | (mkcu_bits(t) - 0x3F000000u));
}

EXMERGE_HD uint8_t mkcu_f32_to_e4m3(float f) {
    uint32_t bits = mkcu_bits(f);
    uint32_t a = bits & 0x7FFFFFFFu;
    if (a >= 0x43F00000u) { /* 480 and up, infinities and NaN */
        return 0x7F;
    }
    uint32_t r;
    if (a < (121u << 23)) { /* below 2^-6: one RNE addition of 2^14 rounds to the 2^-9 step */
        r = mkcu_bits(mkcu_float(a) + mkcu_float(141u << 23)) - (141u << 23);
    } else {
        r = (a + 0xC4000000u /* (7 - 127) << 23 */ + 0x7FFFFu + ((a >> 20) & 1u)) >> 20;
    }
    if (r == 0x7F) {
        return 0x7F;
    }
    return (uint8_t)(r | ((bits >> 24) & 0x80u));
}

EXMERGE_HD uint8_t mkcu_f32_to_e5m2(float f) {
    uint32_t bits = mkcu_bits(f);
    uint32_t a = bits & 0x7FFFFFFFu;
    if (a > 0x7F800000u) {
        return 0x7F;
    }
    uint32_t r;
    if (a >= 0x47800000u) { /* 2^16 and up */
        r = 0x7C;
    } else if (a < (113u << 23)) { /* below 2^-14: one RNE addition of 2^7 rounds to the 2^-16 step */
        r = mkcu_bits(mkcu_float(a) + mkcu_float(134u << 23)) - (134u << 23);
    } else {
        r = (a + 0xC8000000u /* (15 - 127) << 23 */ + 0xFFFFFu + ((a >> 21) & 1u)) >> 21;
    }
    return (uint8_t)(r | ((bits >> 24) & 0x80u));
}

/* Element j of a run of type t, widened to float32 (F64 is not a float32-path type). */
EXMERGE_HD float mkcu_load(const void *p, int32_t t, int64_t j) {
    switch (t) {
    case MKCU_F32:
        return ((const float *)p)[j];
    case MKCU_F16:
        return mkcu_f16_to_f32(((const uint16_t *)p)[j]);
    case MKCU_BF16:
        return mkcu_bf16_to_f32(((const uint16_t *)p)[j]);
    case MKCU_F8_E4M3:
        return mkcu_e4m3_to_f32(((const uint8_t *)p)[j]);
    default:
        return mkcu_e5m2_to_f32(((const uint8_t *)p)[j]);
    }
}

/* Element j widened to float64: F64 as is, the others exactly through float32. */
EXMERGE_HD double mkcu_load64(const void *p, int32_t t, int64_t j) {
    return t == MKCU_F64 ? ((const double *)p)[j] : (double)mkcu_load(p, t, j);
}

/* Element j of a run of type t, narrowed from float32 (an F64 output receives v exactly). */
EXMERGE_HD void mkcu_store(void *p, int32_t t, int64_t j, float v) {
    switch (t) {
    case MKCU_F32:
        ((float *)p)[j] = v;
        return;
    case MKCU_F64:
        ((double *)p)[j] = (double)v;
        return;
    case MKCU_F16:
        ((uint16_t *)p)[j] = mkcu_f32_to_f16(v);
        return;
    case MKCU_BF16:
        ((uint16_t *)p)[j] = mkcu_f32_to_bf16(v);
        return;
    case MKCU_F8_E4M3:
        ((uint8_t *)p)[j] = mkcu_f32_to_e4m3(v);
        return;
    default:
        ((uint8_t *)p)[j] = mkcu_f32_to_e5m2(v);
        return;
    }
}

/* Element j narrowed once from float64: to F64 or F32 only (numerics §1 never double-rounds). */
EXMERGE_HD void mkcu_store64(void *p, int32_t t, int64_t j, double v) {
    if (t == MKCU_F64) {
        ((double *)p)[j] = v;
    } else {
        ((float *)p)[j] = (float)v;
    }
}

#endif
