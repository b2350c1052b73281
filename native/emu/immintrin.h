/*
 * The AVX-512 intrinsics that native/src's AVX-512 files use, emulated on a CPU with AVX2 + FMA +
 * F16C, so that those files' exact code can be built (libexmerge_avx512emu, a test library) and
 * held to the Java spec on any CI machine, not only where an AVX-512 CPU is lent.
 *
 * Found first on the include path when such a file is built for the emulation: it includes the
 * compiler's own <immintrin.h> (types, AVX2) and then redirects each AVX-512 name to a function
 * here. Floating-point arithmetic runs as the AVX2 instruction on each 256-bit half (vaddps, vfmadd,
 * vdivps, vcvtph2ps, vcvtps2ph, vcmpps, vmaxps …), which rounds and treats NaN, -0 and subnormals
 * as its 512-bit form does; so do the in-lane shuffles (vpunpck*, vpackusdw). Masks, masked loads
 * and stores, narrowing and integer compares run lane by lane from their definitions in the Intel
 * SDM. A masked load or store touches only its mask's lanes, as the hardware's does, so a tail that
 * would fault there faults here too.
 *
 * An intrinsic the kernels start to use and this file lacks fails the build of the emulation
 * ("inlining failed … target specific option mismatch"): add it here, from its SDM definition.
 * What the emulation cannot show: speed, and the real CPU's detection (dispatch.c's feature check).
 */
#ifndef EXMERGE_EMU_IMMINTRIN_H
#define EXMERGE_EMU_IMMINTRIN_H

#include_next <immintrin.h>
#include <stdint.h>
#include <string.h>

#define MKE static inline __attribute__((always_inline))
/* Lane-by-lane loops are called, not inlined: inlined into every instantiation of the sparse merge
 * they made one file take 18 minutes to compile. */
#define MKE_LANES static __attribute__((noinline, unused))

typedef int32_t mke_v16si __attribute__((vector_size(64), may_alias));
typedef uint32_t mke_v16su __attribute__((vector_size(64), may_alias));
typedef int64_t mke_v8di __attribute__((vector_size(64), may_alias));
typedef uint64_t mke_v8du __attribute__((vector_size(64), may_alias));
typedef uint16_t mke_v16hu __attribute__((vector_size(32), may_alias));
typedef float mke_v8sf __attribute__((vector_size(32), may_alias));

/* 256-bit halves of a 512-bit value, and back. */
#define MKE_HALVES(T, H, NAME)                                                          \
    MKE H mke_lo_##NAME(T v) { H h; memcpy(&h, &v, 32); return h; }                     \
    MKE H mke_hi_##NAME(T v) { H h; memcpy(&h, (const char *)&v + 32, 32); return h; }  \
    MKE T mke_join_##NAME(H lo, H hi) {                                                 \
        T v;                                                                            \
        memcpy(&v, &lo, 32);                                                            \
        memcpy((char *)&v + 32, &hi, 32);                                               \
        return v;                                                                       \
    }
MKE_HALVES(__m512, __m256, ps)
MKE_HALVES(__m512d, __m256d, pd)
MKE_HALVES(__m512i, __m256i, si)

/* A two-operand op done as its AVX2 form on each half. */
#define MKE_BY_HALVES(name, T, K, op256)                                                 \
    MKE T mke_##name(T a, T b) {                                                         \
        return mke_join_##K(op256(mke_lo_##K(a), mke_lo_##K(b)), op256(mke_hi_##K(a), mke_hi_##K(b))); \
    }

/* ---- casts, constants, plain loads and stores ---- */
#undef _mm512_castps_si512
#define _mm512_castps_si512(v) ((__m512i)(v))
#undef _mm512_castsi512_ps
#define _mm512_castsi512_ps(v) ((__m512)(v))
#undef _mm512_castps_pd
#define _mm512_castps_pd(v) ((__m512d)(v))
#undef _mm512_castps512_ps256
#define _mm512_castps512_ps256(v) mke_lo_ps(v)
#undef _mm512_extractf64x4_pd
#define _mm512_extractf64x4_pd(v, i) ((i) ? mke_hi_pd(v) : mke_lo_pd(v))

MKE __m512 mke_set1_ps(float x) { return mke_join_ps(_mm256_set1_ps(x), _mm256_set1_ps(x)); }
MKE __m512i mke_set1_epi32(int32_t x) { return mke_join_si(_mm256_set1_epi32(x), _mm256_set1_epi32(x)); }
MKE __m512i mke_set1_epi64(int64_t x) { return mke_join_si(_mm256_set1_epi64x(x), _mm256_set1_epi64x(x)); }
#undef _mm512_set1_ps
#define _mm512_set1_ps(x) mke_set1_ps(x)
#undef _mm512_set1_epi32
#define _mm512_set1_epi32(x) mke_set1_epi32(x)
#undef _mm512_set1_epi64
#define _mm512_set1_epi64(x) mke_set1_epi64(x)
#undef _mm512_setzero_ps
#define _mm512_setzero_ps() mke_set1_ps(0.0f)
#undef _mm512_setzero_si512
#define _mm512_setzero_si512() mke_set1_epi32(0)
#undef _mm512_setr_epi32
#define _mm512_setr_epi32(e0, e1, e2, e3, e4, e5, e6, e7, e8, e9, e10, e11, e12, e13, e14, e15)          \
    mke_join_si(_mm256_setr_epi32(e0, e1, e2, e3, e4, e5, e6, e7), _mm256_setr_epi32(e8, e9, e10, e11, e12, e13, e14, e15))

MKE __m512 mke_loadu_ps(const void *p) { __m512 v; memcpy(&v, p, 64); return v; }
MKE __m512d mke_loadu_pd(const void *p) { __m512d v; memcpy(&v, p, 64); return v; }
MKE __m512i mke_loadu_si512(const void *p) { __m512i v; memcpy(&v, p, 64); return v; }
MKE void mke_storeu_ps(void *p, __m512 v) { memcpy(p, &v, 64); }
MKE void mke_storeu_pd(void *p, __m512d v) { memcpy(p, &v, 64); }
#undef _mm512_loadu_ps
#define _mm512_loadu_ps(p) mke_loadu_ps(p)
#undef _mm512_loadu_pd
#define _mm512_loadu_pd(p) mke_loadu_pd(p)
#undef _mm512_loadu_si512
#define _mm512_loadu_si512(p) mke_loadu_si512(p)
#undef _mm512_storeu_ps
#define _mm512_storeu_ps(p, v) mke_storeu_ps(p, v)
#undef _mm512_storeu_pd
#define _mm512_storeu_pd(p, v) mke_storeu_pd(p, v)

/* vmovntps: the same 64 bytes, as two aligned 32-byte streams (the address is 64-byte aligned). */
MKE void mke_stream_ps(void *p, __m512 v) {
    _mm256_stream_ps((float *)p, mke_lo_ps(v));
    _mm256_stream_ps((float *)p + 8, mke_hi_ps(v));
}
#undef _mm512_stream_ps
#define _mm512_stream_ps(p, v) mke_stream_ps(p, v)
MKE void mke_stream_si512(void *p, __m512i v) {
    _mm256_stream_si256((__m256i *)p, mke_lo_si(v));
    _mm256_stream_si256((__m256i *)p + 1, mke_hi_si(v));
}
#undef _mm512_stream_si512
#define _mm512_stream_si512(p, v) mke_stream_si512(p, v)
MKE void mke_storeu_si512(void *p, __m512i v) { memcpy(p, &v, 64); }
#undef _mm512_storeu_si512
#define _mm512_storeu_si512(p, v) mke_storeu_si512(p, v)

/* ---- masked loads, stores, moves and blends: lane by lane, only the mask's lanes touched ---- */
MKE_LANES __m512 mke_maskz_loadu_ps(__mmask16 m, const void *p) {
    mke_v16si r = {0};
    for (int i = 0; i < 16; i++) {
        if (m >> i & 1) memcpy((char *)&r + 4 * i, (const char *)p + 4 * i, 4);
    }
    return (__m512)r;
}
MKE_LANES __m256 mke_maskz_loadu_ps256(__mmask8 m, const void *p) {
    mke_v8sf r = {0};
    for (int i = 0; i < 8; i++) {
        if (m >> i & 1) memcpy((char *)&r + 4 * i, (const char *)p + 4 * i, 4);
    }
    return (__m256)r;
}
MKE_LANES __m256i mke_maskz_loadu_epi16(__mmask16 m, const void *p) {
    mke_v16hu r = {0};
    for (int i = 0; i < 16; i++) {
        if (m >> i & 1) memcpy((char *)&r + 2 * i, (const char *)p + 2 * i, 2);
    }
    return (__m256i)r;
}
MKE_LANES void mke_mask_storeu_32(void *p, __mmask16 m, const void *v) {
    for (int i = 0; i < 16; i++) {
        if (m >> i & 1) memcpy((char *)p + 4 * i, (const char *)v + 4 * i, 4);
    }
}
MKE void mke_mask_storeu_ps(void *p, __mmask16 m, __m512 v) { mke_mask_storeu_32(p, m, &v); }
MKE void mke_mask_storeu_epi32(void *p, __mmask16 m, __m512i v) { mke_mask_storeu_32(p, m, &v); }
MKE_LANES void mke_mask_storeu_epi16(void *p, __mmask16 m, __m256i v) {
    for (int i = 0; i < 16; i++) {
        if (m >> i & 1) memcpy((char *)p + 2 * i, (const char *)&v + 2 * i, 2);
    }
}
#undef _mm512_maskz_loadu_ps
#define _mm512_maskz_loadu_ps(m, p) mke_maskz_loadu_ps(m, p)
#undef _mm256_maskz_loadu_ps
#define _mm256_maskz_loadu_ps(m, p) mke_maskz_loadu_ps256(m, p)
#undef _mm256_maskz_loadu_epi16
#define _mm256_maskz_loadu_epi16(m, p) mke_maskz_loadu_epi16(m, p)
#undef _mm512_mask_storeu_ps
#define _mm512_mask_storeu_ps(p, m, v) mke_mask_storeu_ps(p, m, v)
#undef _mm512_mask_storeu_epi32
#define _mm512_mask_storeu_epi32(p, m, v) mke_mask_storeu_epi32(p, m, v)
#undef _mm256_mask_storeu_epi16
#define _mm256_mask_storeu_epi16(p, m, v) mke_mask_storeu_epi16(p, m, v)

/* k ? b : a per 32-bit lane (blend), k ? a : 0 (maskz mov) */
MKE_LANES __m512i mke_blend32(__mmask16 k, __m512i a, __m512i b) {
    mke_v16si x = (mke_v16si)a, y = (mke_v16si)b;
    for (int i = 0; i < 16; i++) {
        if (k >> i & 1) x[i] = y[i];
    }
    return (__m512i)x;
}
MKE_LANES __m512i mke_blend64(__mmask8 k, __m512i a, __m512i b) {
    mke_v8di x = (mke_v8di)a, y = (mke_v8di)b;
    for (int i = 0; i < 8; i++) {
        if (k >> i & 1) x[i] = y[i];
    }
    return (__m512i)x;
}
MKE_LANES __m256i mke_blend16(__mmask16 k, __m256i a, __m256i b) {
    mke_v16hu x = (mke_v16hu)a, y = (mke_v16hu)b;
    for (int i = 0; i < 16; i++) {
        if (k >> i & 1) x[i] = y[i];
    }
    return (__m256i)x;
}
#undef _mm512_mask_blend_epi32
#define _mm512_mask_blend_epi32(k, a, b) mke_blend32(k, a, b)
#undef _mm256_mask_blend_epi16
#define _mm256_mask_blend_epi16(k, a, b) mke_blend16(k, a, b)
#undef _mm512_maskz_mov_ps
#define _mm512_maskz_mov_ps(k, a) ((__m512)mke_blend32(k, mke_set1_epi32(0), (__m512i)(a)))
#undef _mm512_maskz_mov_pd
#define _mm512_maskz_mov_pd(k, a) ((__m512d)mke_blend64(k, mke_set1_epi32(0), (__m512i)(a)))

/* ---- float and double arithmetic: the AVX2 instruction on each half ---- */
MKE_BY_HALVES(add_ps, __m512, ps, _mm256_add_ps)
MKE_BY_HALVES(sub_ps, __m512, ps, _mm256_sub_ps)
MKE_BY_HALVES(mul_ps, __m512, ps, _mm256_mul_ps)
MKE_BY_HALVES(div_ps, __m512, ps, _mm256_div_ps)
MKE_BY_HALVES(max_ps, __m512, ps, _mm256_max_ps)
MKE_BY_HALVES(min_ps, __m512, ps, _mm256_min_ps)
MKE_BY_HALVES(add_pd, __m512d, pd, _mm256_add_pd)
MKE_BY_HALVES(mul_pd, __m512d, pd, _mm256_mul_pd)
MKE __m512 mke_fmadd_ps(__m512 a, __m512 b, __m512 c) {
    return mke_join_ps(_mm256_fmadd_ps(mke_lo_ps(a), mke_lo_ps(b), mke_lo_ps(c)),
                       _mm256_fmadd_ps(mke_hi_ps(a), mke_hi_ps(b), mke_hi_ps(c)));
}
/* vandpd with the sign bit cleared, as _mm512_abs_pd is defined */
MKE __m512d mke_abs_pd(__m512d a) {
    return (__m512d)((mke_v8du)a & (mke_v8du)mke_set1_epi64(INT64_MAX));
}
MKE __m512d mke_mask_add_pd(__m512d src, __mmask8 k, __m512d a, __m512d b) {
    return (__m512d)mke_blend64(k, (__m512i)src, (__m512i)mke_add_pd(a, b));
}
#undef _mm512_add_ps
#define _mm512_add_ps(a, b) mke_add_ps(a, b)
#undef _mm512_sub_ps
#define _mm512_sub_ps(a, b) mke_sub_ps(a, b)
#undef _mm512_mul_ps
#define _mm512_mul_ps(a, b) mke_mul_ps(a, b)
#undef _mm512_div_ps
#define _mm512_div_ps(a, b) mke_div_ps(a, b)
#undef _mm512_max_ps
#define _mm512_max_ps(a, b) mke_max_ps(a, b)
#undef _mm512_min_ps
#define _mm512_min_ps(a, b) mke_min_ps(a, b)
#undef _mm512_add_pd
#define _mm512_add_pd(a, b) mke_add_pd(a, b)
#undef _mm512_mul_pd
#define _mm512_mul_pd(a, b) mke_mul_pd(a, b)
#undef _mm512_fmadd_ps
#define _mm512_fmadd_ps(a, b, c) mke_fmadd_ps(a, b, c)
#undef _mm512_abs_pd
#define _mm512_abs_pd(a) mke_abs_pd(a)
#undef _mm512_mask_add_pd
#define _mm512_mask_add_pd(src, k, a, b) mke_mask_add_pd(src, k, a, b)

/* vcmpps to a mask: the AVX2 compare (same predicate) on each half, its sign bits gathered */
#undef _mm512_cmp_ps_mask
#define _mm512_cmp_ps_mask(a, b, p)                                                                     \
    ((__mmask16)(_mm256_movemask_ps(_mm256_cmp_ps(mke_lo_ps(a), mke_lo_ps(b), p)) |                      \
                 _mm256_movemask_ps(_mm256_cmp_ps(mke_hi_ps(a), mke_hi_ps(b), p)) << 8))

/* ---- conversions ---- */
MKE __m512 mke_cvtph_ps(__m256i h) {
    return mke_join_ps(_mm256_cvtph_ps(_mm256_castsi256_si128(h)), _mm256_cvtph_ps(_mm256_extracti128_si256(h, 1)));
}
#undef _mm512_cvtph_ps
#define _mm512_cvtph_ps(h) mke_cvtph_ps(h)
#undef _mm512_cvtps_ph
#define _mm512_cvtps_ph(v, r) \
    _mm256_set_m128i(_mm256_cvtps_ph(mke_hi_ps(v), r), _mm256_cvtps_ph(mke_lo_ps(v), r))
MKE __m512 mke_cvtepi32_ps(__m512i a) {
    return mke_join_ps(_mm256_cvtepi32_ps(mke_lo_si(a)), _mm256_cvtepi32_ps(mke_hi_si(a)));
}
#undef _mm512_cvtepi32_ps
#define _mm512_cvtepi32_ps(a) mke_cvtepi32_ps(a)
MKE __m512d mke_cvtps_pd(__m256 a) {
    return mke_join_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(a)), _mm256_cvtps_pd(_mm256_extractf128_ps(a, 1)));
}
#undef _mm512_cvtps_pd
#define _mm512_cvtps_pd(a) mke_cvtps_pd(a)
MKE __m512i mke_cvtepu16_epi32(__m256i h) {
    return mke_join_si(_mm256_cvtepu16_epi32(_mm256_castsi256_si128(h)), _mm256_cvtepu16_epi32(_mm256_extracti128_si256(h, 1)));
}
#undef _mm512_cvtepu16_epi32
#define _mm512_cvtepu16_epi32(h) mke_cvtepu16_epi32(h)
/* vpmovdw: each 32-bit lane truncated to its low 16 bits */
MKE_LANES __m256i mke_cvtepi32_epi16(__m512i a) {
    mke_v16su x = (mke_v16su)a;
    mke_v16hu r;
    for (int i = 0; i < 16; i++) r[i] = (uint16_t)x[i];
    return (__m256i)r;
}
#undef _mm512_cvtepi32_epi16
#define _mm512_cvtepi32_epi16(a) mke_cvtepi32_epi16(a)

/* ---- integer lanes ---- */
#undef _mm512_and_si512
#define _mm512_and_si512(a, b) ((__m512i)((mke_v8du)(a) & (mke_v8du)(b)))
#undef _mm512_or_si512
#define _mm512_or_si512(a, b) ((__m512i)((mke_v8du)(a) | (mke_v8du)(b)))
#undef _mm512_xor_si512
#define _mm512_xor_si512(a, b) ((__m512i)((mke_v8du)(a) ^ (mke_v8du)(b)))
#undef _mm512_andnot_si512
#define _mm512_andnot_si512(a, b) ((__m512i)(~(mke_v8du)(a) & (mke_v8du)(b)))
MKE_BY_HALVES(add_epi32, __m512i, si, _mm256_add_epi32)
MKE_BY_HALVES(add_epi64, __m512i, si, _mm256_add_epi64)
MKE_BY_HALVES(mullo_epi32, __m512i, si, _mm256_mullo_epi32)
MKE_BY_HALVES(mul_epu32, __m512i, si, _mm256_mul_epu32)
MKE_BY_HALVES(min_epu32, __m512i, si, _mm256_min_epu32)
#undef _mm512_add_epi32
#define _mm512_add_epi32(a, b) mke_add_epi32(a, b)
#undef _mm512_add_epi64
#define _mm512_add_epi64(a, b) mke_add_epi64(a, b)
#undef _mm512_mullo_epi32
#define _mm512_mullo_epi32(a, b) mke_mullo_epi32(a, b)
#undef _mm512_mul_epu32
#define _mm512_mul_epu32(a, b) mke_mul_epu32(a, b)
#undef _mm512_min_epu32
#define _mm512_min_epu32(a, b) mke_min_epu32(a, b)
/* shifts by an immediate: a count past the lane width gives 0, as vpsrld/vpslld/vpsrlq do */
MKE __m512i mke_srli_epi32(__m512i a, unsigned n) {
    return n > 31 ? mke_set1_epi32(0) : (__m512i)((mke_v16su)a >> n);
}
MKE __m512i mke_slli_epi32(__m512i a, unsigned n) {
    return n > 31 ? mke_set1_epi32(0) : (__m512i)((mke_v16su)a << n);
}
MKE __m512i mke_srli_epi64(__m512i a, unsigned n) {
    return n > 63 ? mke_set1_epi32(0) : (__m512i)((mke_v8du)a >> n);
}
#undef _mm512_srli_epi32
#define _mm512_srli_epi32(a, n) mke_srli_epi32(a, n)
#undef _mm512_slli_epi32
#define _mm512_slli_epi32(a, n) mke_slli_epi32(a, n)
#undef _mm512_srli_epi64
#define _mm512_srli_epi64(a, n) mke_srli_epi64(a, n)
MKE __m512i mke_mask_add_epi32(__m512i src, __mmask16 k, __m512i a, __m512i b) {
    return mke_blend32(k, src, mke_add_epi32(a, b));
}
MKE __m512i mke_mask_sub_epi32(__m512i src, __mmask16 k, __m512i a, __m512i b) {
    return mke_blend32(k, src, (__m512i)((mke_v16su)a - (mke_v16su)b));
}
#undef _mm512_mask_add_epi32
#define _mm512_mask_add_epi32(src, k, a, b) mke_mask_add_epi32(src, k, a, b)
#undef _mm512_mask_sub_epi32
#define _mm512_mask_sub_epi32(src, k, a, b) mke_mask_sub_epi32(src, k, a, b)
/* a 16-bit mask of lanes where a OP b, as lanes of V (signed or unsigned 32-bit) */
#define MKE_CMP32(name, V, OP)                                                 \
    MKE_LANES __mmask16 name(__m512i a, __m512i b) {                           \
        V x = (V)a, y = (V)b;                                                  \
        __mmask16 m = 0;                                                       \
        for (int i = 0; i < 16; i++) m |= (__mmask16)((x[i] OP y[i]) << i);   \
        return m;                                                              \
    }
MKE_CMP32(mke_cmplt_epi32, mke_v16si, <)
MKE_CMP32(mke_cmplt_epu32, mke_v16su, <)
MKE_CMP32(mke_cmpeq_epi32, mke_v16si, ==)
MKE __mmask16 mke_not16(__mmask16 m) { return (__mmask16)(0xFFFFu & ~(unsigned)m); }
MKE_LANES __mmask8 mke_test_epi64(__m512i a, __m512i b) {
    mke_v8du x = (mke_v8du)a, y = (mke_v8du)b;
    __mmask8 m = 0;
    for (int i = 0; i < 8; i++) m |= (__mmask8)(((x[i] & y[i]) != 0) << i);
    return m;
}
MKE_BY_HALVES(max_epu16, __m512i, si, _mm256_max_epu16)
MKE_BY_HALVES(max_epu32, __m512i, si, _mm256_max_epu32)
/* vpunpck*wd and vpackusdw work within each 128-bit lane, so each 256-bit half is its AVX2 form */
MKE_BY_HALVES(unpacklo_epi16, __m512i, si, _mm256_unpacklo_epi16)
MKE_BY_HALVES(unpackhi_epi16, __m512i, si, _mm256_unpackhi_epi16)
MKE_BY_HALVES(packus_epi32, __m512i, si, _mm256_packus_epi32)
#undef _mm512_max_epu16
#define _mm512_max_epu16(a, b) mke_max_epu16(a, b)
#undef _mm512_max_epu32
#define _mm512_max_epu32(a, b) mke_max_epu32(a, b)
#undef _mm512_unpacklo_epi16
#define _mm512_unpacklo_epi16(a, b) mke_unpacklo_epi16(a, b)
#undef _mm512_unpackhi_epi16
#define _mm512_unpackhi_epi16(a, b) mke_unpackhi_epi16(a, b)
#undef _mm512_packus_epi32
#define _mm512_packus_epi32(a, b) mke_packus_epi32(a, b)
#undef _mm512_set1_epi16
#define _mm512_set1_epi16(x) mke_join_si(_mm256_set1_epi16(x), _mm256_set1_epi16(x))
#undef _mm512_castsi512_si256
#define _mm512_castsi512_si256(v) mke_lo_si(v)
#undef _mm512_extracti64x4_epi64
#define _mm512_extracti64x4_epi64(v, i) ((i) ? mke_hi_si(v) : mke_lo_si(v))
#undef _mm256_maskz_mov_epi16
#define _mm256_maskz_mov_epi16(k, a) mke_blend16(k, _mm256_setzero_si256(), a)
#undef _mm512_cmpge_epu32_mask
#define _mm512_cmpge_epu32_mask(a, b) mke_not16(mke_cmplt_epu32(a, b))
#undef _mm512_cmplt_epi32_mask
#define _mm512_cmplt_epi32_mask(a, b) mke_cmplt_epi32(a, b)
#undef _mm512_cmpge_epi32_mask
#define _mm512_cmpge_epi32_mask(a, b) mke_not16(mke_cmplt_epi32(a, b))
#undef _mm512_cmplt_epu32_mask
#define _mm512_cmplt_epu32_mask(a, b) mke_cmplt_epu32(a, b)
#undef _mm512_test_epi64_mask
#define _mm512_test_epi64_mask(a, b) mke_test_epi64(a, b)

/* ---- added for the rebuilt Philox, band select and register-resident sparse merge ---- */
#undef _mm512_cmpgt_epi32_mask
#define _mm512_cmpgt_epi32_mask(a, b) mke_cmplt_epi32(b, a)
#undef _mm512_cmpeq_epi32_mask
#define _mm512_cmpeq_epi32_mask(a, b) mke_cmpeq_epi32(a, b)
/* vpcompressd to a register: the mask's lanes in order from lane 0, zeros above */
MKE_LANES __m512i mke_maskz_compress_epi32(__mmask16 k, __m512i a) {
    mke_v16si x = (mke_v16si)a, r = {0};
    int n = 0;
    for (int i = 0; i < 16; i++) {
        if (k >> i & 1) r[n++] = x[i];
    }
    return (__m512i)r;
}
#undef _mm512_maskz_compress_epi32
#define _mm512_maskz_compress_epi32(k, a) mke_maskz_compress_epi32(k, a)
/* vpshufd with a merge mask: lane 4q + i takes a's lane 4q + imm[2i+1:2i] where k is set, src's elsewhere */
MKE_LANES __m512i mke_mask_shuffle_epi32(__m512i src, __mmask16 k, __m512i a, unsigned imm) {
    mke_v16si s = (mke_v16si)src, x = (mke_v16si)a;
    for (int i = 0; i < 16; i++) {
        if (k >> i & 1) s[i] = x[(i & ~3) + (int)(imm >> (2 * (i & 3)) & 3)];
    }
    return (__m512i)s;
}
#undef _mm512_mask_shuffle_epi32
#define _mm512_mask_shuffle_epi32(src, k, a, imm) mke_mask_shuffle_epi32(src, k, a, (unsigned)(imm))
/* vpternlogd: bit j of the result is imm's bit (a_j << 2 | b_j << 1 | c_j) */
MKE_LANES __m512i mke_ternarylogic(__m512i a, __m512i b, __m512i c, unsigned imm) {
    mke_v8du x = (mke_v8du)a, y = (mke_v8du)b, z = (mke_v8du)c, r = {0};
    for (unsigned t = 0; t < 8; t++) {
        if (imm >> t & 1) {
            r |= ((t & 4) ? x : ~x) & ((t & 2) ? y : ~y) & ((t & 1) ? z : ~z);
        }
    }
    return (__m512i)r;
}
#undef _mm512_ternarylogic_epi32
#define _mm512_ternarylogic_epi32(a, b, c, imm) mke_ternarylogic(a, b, c, (unsigned)(imm))

/* ---- added for numerics §12's LoRA rows (lora_avx512.c) ---- */
#undef _mm512_castpd_si512
#define _mm512_castpd_si512(v) ((__m512i)(v))
#undef _mm512_castsi512_pd
#define _mm512_castsi512_pd(v) ((__m512d)(v))
MKE __m512d mke_set1_pd(double x) { return mke_join_pd(_mm256_set1_pd(x), _mm256_set1_pd(x)); }
#undef _mm512_set1_pd
#define _mm512_set1_pd(x) mke_set1_pd(x)
/* ---- added for numerics §13's products (svd_avx512.c) ---- */
MKE __m512d mke_fmadd_pd(__m512d a, __m512d b, __m512d c) {
    return mke_join_pd(_mm256_fmadd_pd(mke_lo_pd(a), mke_lo_pd(b), mke_lo_pd(c)),
                       _mm256_fmadd_pd(mke_hi_pd(a), mke_hi_pd(b), mke_hi_pd(c)));
}
#undef _mm512_fmadd_pd
#define _mm512_fmadd_pd(a, b, c) mke_fmadd_pd(a, b, c)
#undef _mm512_setzero_pd
#define _mm512_setzero_pd() mke_set1_pd(0.0)
/* vcvtpd2ps: vcvtpd2ps on each half (the same rounding under MXCSR), the two quadruples joined */
MKE __m256 mke_cvtpd_ps(__m512d a) {
    return _mm256_set_m128(_mm256_cvtpd_ps(mke_hi_pd(a)), _mm256_cvtpd_ps(mke_lo_pd(a)));
}
#undef _mm512_cvtpd_ps
#define _mm512_cvtpd_ps(a) mke_cvtpd_ps(a)
/* the upper half of a widened register is undefined; zeros here */
#undef _mm512_castps256_ps512
#define _mm512_castps256_ps512(v) mke_join_ps(v, _mm256_setzero_ps())
/* vinsertf32x8: the 256-bit half i replaced by b */
#undef _mm512_insertf32x8
#define _mm512_insertf32x8(a, b, i) ((i) ? mke_join_ps(mke_lo_ps(a), b) : mke_join_ps(b, mke_hi_ps(a)))

#endif
