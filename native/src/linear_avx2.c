/* The linear/convert tile primitives on AVX2 + FMA + F16C: 8 lanes, scalar tails (fp_scalar.h,
 * whose fmaf compiles to the same vfmadd here). */
#include <string.h>

#include "fp_scalar.h"
#include "kernels.h"
#include "linear_vectors.h"
#include "simd_avx2.h"

#define MK_BY_TYPE(t, BODY)             \
    switch (t) {                        \
    case MK_DTYPE_F32: {                \
        const int32_t T = MK_DTYPE_F32; \
        BODY;                           \
        break;                          \
    }                                   \
    case MK_DTYPE_F16: {                \
        const int32_t T = MK_DTYPE_F16; \
        BODY;                           \
        break;                          \
    }                                   \
    default: {                          \
        const int32_t T = MK_DTYPE_BF16; \
        BODY;                           \
        break;                          \
    }                                   \
    }

void mk_widen_avx2(const void *src, int32_t type, int64_t len, float *dst) {
    MK_BY_TYPE(type, {
        int64_t j = 0;
        for (; j + 8 <= len; j += 8) {
            _mm256_storeu_ps(dst + j, mk256_load(src, T, j));
        }
        for (; j < len; j++) {
            dst[j] = mk_load(src, T, j);
        }
    })
}

void mk_accumulate_avx2(float *acc, const float *b, const void *x, int32_t type, float w, int64_t len) {
    const __m256 vw = _mm256_set1_ps(w);
    if (b != NULL) {
        MK_BY_TYPE(type, {
            int64_t j = 0;
            for (; j + 8 <= len; j += 8) {
                __m256 d = _mm256_sub_ps(mk256_load(x, T, j), _mm256_loadu_ps(b + j));
                _mm256_storeu_ps(acc + j, _mm256_fmadd_ps(vw, d, _mm256_loadu_ps(acc + j)));
            }
            for (; j < len; j++) {
                acc[j] = fmaf(w, mk_load(x, T, j) - b[j], acc[j]);
            }
        })
    } else {
        MK_BY_TYPE(type, {
            int64_t j = 0;
            for (; j + 8 <= len; j += 8) {
                _mm256_storeu_ps(acc + j, _mm256_fmadd_ps(vw, mk256_load(x, T, j), _mm256_loadu_ps(acc + j)));
            }
            for (; j < len; j++) {
                acc[j] = fmaf(w, mk_load(x, T, j), acc[j]);
            }
        })
    }
}

void mk_finish_avx2(const float *acc, const float *b, int32_t divide, float divisor, float lambda, void *out,
                    int32_t type, int64_t len) {
    const __m256 vdiv = _mm256_set1_ps(divisor);
    const __m256 vlambda = _mm256_set1_ps(lambda);
    MK_BY_TYPE(type, {
        int64_t j = 0;
        for (; j + 8 <= len; j += 8) {
            __m256 v = _mm256_loadu_ps(acc + j);
            if (divide) {
                v = _mm256_div_ps(v, vdiv);
            }
            if (b != NULL) {
                v = _mm256_fmadd_ps(vlambda, v, _mm256_loadu_ps(b + j));
            }
            mk256_store(out, T, j, v);
        }
        for (; j < len; j++) {
            float v = acc[j];
            if (divide) {
                v = v / divisor;
            }
            if (b != NULL) {
                v = fmaf(lambda, v, b[j]);
            }
            mk_store(out, T, j, v);
        }
    })
}

/* The call's scalars in locals, read once: the stores through a->out could alias *a, so a loop
 * that reads a->inputs[i] or a->weights[i] reloads them (and re-broadcasts the weight) every vector. */
#define MK256_MAX_UNROLLED 4
typedef struct {
    const void *in[MK256_MAX_UNROLLED];
    __m256 w[MK256_MAX_UNROLLED];
    const void *base;
    __m256 zero, divisor, lambda;
    int divide;
} mk256_op;

/* One vector of the register-resident fused kernel (see mk_linear_direct_avx512), elements j..j+8;
 * the plain and the streaming loops both store what this returns, so they cannot drift apart.
 * N > 0: exactly N inputs, from o (the loop over them unrolls); N == 0: any count, read through a. */
MK_INLINE __m256 mk256_direct_vec(const mk_linear_args *a, const mk256_op *o, int N, int32_t T, int has_base,
                                  int64_t j) {
    __m256 b = has_base ? mk256_load(o->base, T, j) : _mm256_setzero_ps();
    __m256 acc = o->zero;
    int32_t n = N > 0 ? N : a->n_inputs;
    for (int32_t i = 0; i < n; i++) {
        __m256 x = mk256_load(N > 0 ? o->in[i] : a->inputs[i], T, j);
        __m256 w = N > 0 ? o->w[i] : _mm256_set1_ps(a->weights[i]);
        acc = _mm256_fmadd_ps(w, has_base ? _mm256_sub_ps(x, b) : x, acc);
    }
    if (o->divide) {
        acc = _mm256_div_ps(acc, o->divisor);
    }
    if (has_base) {
        acc = _mm256_fmadd_ps(o->lambda, acc, b);
    }
    return acc;
}

/* Sixteen BF16 elements j..j+16 → sixteen BF16, the same arithmetic per element as mk256_direct_vec.
 * Unpacking a 32-byte load against zero widens in one instruction per eight elements (each 128-bit
 * lane yields its elements 0-3 and 4-7 as floats), and the one packus that narrows puts them back in
 * order, so there is no per-vector zero-extend, shift, extract or second pack. */
MK_INLINE __m256i mk256_direct_bf16x16(const mk256_op *o, int N, int has_base, int64_t j) {
    const __m256i z = _mm256_setzero_si256();
    __m256 blo = _mm256_setzero_ps(), bhi = _mm256_setzero_ps();
    if (has_base) {
        __m256i r = _mm256_loadu_si256((const __m256i *)((const uint16_t *)o->base + j));
        blo = _mm256_castsi256_ps(_mm256_unpacklo_epi16(z, r));
        bhi = _mm256_castsi256_ps(_mm256_unpackhi_epi16(z, r));
    }
    __m256 lo = o->zero, hi = o->zero;
    for (int32_t i = 0; i < N; i++) {
        __m256i r = _mm256_loadu_si256((const __m256i *)((const uint16_t *)o->in[i] + j));
        __m256 xlo = _mm256_castsi256_ps(_mm256_unpacklo_epi16(z, r));
        __m256 xhi = _mm256_castsi256_ps(_mm256_unpackhi_epi16(z, r));
        lo = _mm256_fmadd_ps(o->w[i], has_base ? _mm256_sub_ps(xlo, blo) : xlo, lo);
        hi = _mm256_fmadd_ps(o->w[i], has_base ? _mm256_sub_ps(xhi, bhi) : xhi, hi);
    }
    if (o->divide) {
        lo = _mm256_div_ps(lo, o->divisor);
        hi = _mm256_div_ps(hi, o->divisor);
    }
    if (has_base) {
        lo = _mm256_fmadd_ps(o->lambda, lo, blo);
        hi = _mm256_fmadd_ps(o->lambda, hi, bhi);
    }
    return _mm256_packus_epi32(mk256_bf16_round(lo), mk256_bf16_round(hi));
}

/* Element j alone, for the runs too short for a vector (no 16-bit masked loads on AVX2); returns
 * whether the value it stored is non-finite. */
MK_INLINE int mk256_direct_one(const mk_linear_args *a, int32_t T, int32_t O, int has_base, int64_t j) {
    float b = has_base ? mk_load(a->base, T, j) : 0.0f;
    float acc = a->zero;
    for (int32_t i = 0; i < a->n_inputs; i++) {
        float x = mk_load(a->inputs[i], T, j);
        acc = fmaf(a->weights[i], has_base ? x - b : x, acc);
    }
    if (a->divide) {
        acc = acc / a->divisor;
    }
    if (has_base) {
        acc = fmaf(a->lambda, acc, b);
    }
    mk_store(a->out, O, j, acc);
    const int64_t size = O == MK_DTYPE_F32 ? 4 : 2;
    uint32_t bits = 0;
    memcpy(&bits, (const char *)a->out + size * j, (size_t)size); /* little-endian: the element's bits */
    uint32_t lane = (uint32_t)mk_nonfinite_lane(O);
    return (bits & lane) == lane;
}

/* The output check in registers: *top keeps, lane by lane, the largest magnitude bits (sign
 * cleared) of the values stored, and a value is non-finite exactly when those bits reach its type's
 * exponent lane (mk_first_nonfinite's test). Two instructions per vector. */
MK_INLINE void mk256_top16(__m256i *top, __m256i h) {
    *top = _mm256_max_epu16(*top, _mm256_and_si256(h, _mm256_set1_epi16(0x7FFF)));
}

/* Whether *top holds a non-finite value of type O (16-bit lanes for F16/BF16, 32-bit for F32). */
MK_INLINE int mk256_top_nonfinite(__m256i top, int32_t O) {
    if (O == MK_DTYPE_F32) {
        const __m256i below = _mm256_set1_epi32((int)(mk_nonfinite_lane(O) - 1));
        return !_mm256_testc_si256(_mm256_cmpeq_epi32(_mm256_max_epu32(top, below), below), _mm256_set1_epi32(-1));
    }
    const __m256i below = _mm256_set1_epi16((short)(mk_nonfinite_lane(O) - 1));
    return !_mm256_testz_si256(_mm256_subs_epu16(top, below), _mm256_subs_epu16(top, below));
}

/* Narrows v to t, stores it at p + j (streamed, or not) and keeps its magnitudes in *top.
 * Streaming needs out + j 32-byte (F32) or 16-byte (F16/BF16) aligned. */
MK_INLINE void mk256_put(void *p, int32_t t, int64_t j, __m256 v, int stream, __m256i *top) {
    if (t == MK_DTYPE_F32) {
        __m256i x = _mm256_and_si256(_mm256_castps_si256(v), _mm256_set1_epi32(0x7FFFFFFF));
        *top = _mm256_max_epu32(*top, x);
        if (stream) {
            _mm256_stream_ps((float *)p + j, v);
        } else {
            _mm256_storeu_ps((float *)p + j, v);
        }
        return;
    }
    __m128i h = t == MK_DTYPE_F16 ? mk256_to_f16(v) : mk256_to_bf16(v);
    mk256_top16(top, _mm256_zextsi128_si256(h));
    if (stream) {
        _mm_stream_si128((__m128i *)((uint16_t *)p + j), h);
    } else {
        _mm_storeu_si128((__m128i *)((uint16_t *)p + j), h);
    }
}

/* Sixteen BF16 values stored at out + j (streamed, or not), their magnitudes kept in *top. */
MK_INLINE void mk256_put_bf16x16(void *out, int64_t j, __m256i r, int stream, __m256i *top) {
    mk256_top16(top, r);
    if (stream) {
        _mm256_stream_si256((__m256i *)((uint16_t *)out + j), r);
    } else {
        _mm256_storeu_si256((__m256i *)((uint16_t *)out + j), r);
    }
}

/* Streams outputs of MK_STREAM_BYTES or more as mk512_direct does; last < 8 elements in scalar.
 * Returns whether any value it stored is non-finite: a few lane tests on values in registers, where
 * reading a streamed output back would fetch it from memory. */
MK_INLINE int mk256_direct_n(const mk_linear_args *a, int N, int32_t T, int32_t O, int has_base) {
    mk256_op op;
    for (int32_t i = 0; i < N; i++) {
        op.in[i] = a->inputs[i];
        op.w[i] = _mm256_set1_ps(a->weights[i]);
    }
    op.base = a->base;
    op.zero = _mm256_set1_ps(a->zero);
    op.divisor = _mm256_set1_ps(a->divisor);
    op.lambda = _mm256_set1_ps(a->lambda);
    op.divide = a->divide;
    void *out = a->out;
    const int64_t n = a->n;
    const int64_t size = O == MK_DTYPE_F32 ? 4 : 2;
    __m256i top = _mm256_setzero_si256();
    int bad_one = 0;
    int64_t j = 0;
    /* Stream from a 64-byte boundary, not just a vector one, so that every streamed line is written
     * whole by streams: a line shared with ordinary stores would cost a partial write-combine flush. */
    int64_t to_line = (int64_t)((0 - (uintptr_t)out) & 63);
    if (n * size >= MK_STREAM_BYTES && to_line % size == 0) {
        int64_t head = to_line / size; /* up to 31 elements before the first aligned vector */
        for (; j + 8 <= head; j += 8) {
            mk256_put(out, O, j, mk256_direct_vec(a, &op, N, T, has_base, j), 0, &top);
        }
        for (; j < head; j++) {
            bad_one |= mk256_direct_one(a, T, O, has_base, j);
        }
        if (N > 0 && T == MK_DTYPE_BF16 && O == MK_DTYPE_BF16) {
            for (; j + 16 <= n; j += 16) {
                mk256_put_bf16x16(out, j, mk256_direct_bf16x16(&op, N, has_base, j), 1, &top);
            }
        }
        for (; j + 8 <= n; j += 8) {
            mk256_put(out, O, j, mk256_direct_vec(a, &op, N, T, has_base, j), 1, &top);
        }
        _mm_sfence(); /* streamed stores are weakly ordered: publish them before returning */
    }
    if (N > 0 && T == MK_DTYPE_BF16 && O == MK_DTYPE_BF16) {
        for (; j + 16 <= n; j += 16) {
            mk256_put_bf16x16(out, j, mk256_direct_bf16x16(&op, N, has_base, j), 0, &top);
        }
    }
    for (; j + 8 <= n; j += 8) {
        mk256_put(out, O, j, mk256_direct_vec(a, &op, N, T, has_base, j), 0, &top);
    }
    for (; j < n; j++) {
        bad_one |= mk256_direct_one(a, T, O, has_base, j);
    }
    return bad_one || mk256_top_nonfinite(top, O);
}

/* Two and three inputs (ExMe and task_arithmetic over one or two fine-tunes, with the base) get their
 * own unrolled loops; the same arithmetic in the same order either way. */
MK_INLINE void mk256_direct(const mk_linear_args *a, int32_t T, int32_t O, int has_base) {
    int bad;
    switch (a->n_inputs) {
    case 2: bad = mk256_direct_n(a, 2, T, O, has_base); break;
    case 3: bad = mk256_direct_n(a, 3, T, O, has_base); break;
    default: bad = mk256_direct_n(a, 0, T, O, has_base); break;
    }
    if (a->nonfinite != NULL) {
        *a->nonfinite = bad;
    }
}

#define MK_DIRECT_OUT(T, has_base)                            \
    switch (a->out_type) {                                    \
    case MK_DTYPE_F32: mk256_direct(a, T, MK_DTYPE_F32, has_base); break; \
    case MK_DTYPE_F16: mk256_direct(a, T, MK_DTYPE_F16, has_base); break; \
    default: mk256_direct(a, T, MK_DTYPE_BF16, has_base); break;          \
    }

int mk_linear_direct_avx2(const mk_linear_args *a) {
    int32_t t = mk_uniform_input_type(a);
    if (t == 0) {
        return 0;
    }
    int has_base = a->base != NULL;
    switch (t) {
    case MK_DTYPE_F32:
        if (has_base) { MK_DIRECT_OUT(MK_DTYPE_F32, 1) } else { MK_DIRECT_OUT(MK_DTYPE_F32, 0) }
        break;
    case MK_DTYPE_F16:
        if (has_base) { MK_DIRECT_OUT(MK_DTYPE_F16, 1) } else { MK_DIRECT_OUT(MK_DTYPE_F16, 0) }
        break;
    default:
        if (has_base) { MK_DIRECT_OUT(MK_DTYPE_BF16, 1) } else { MK_DIRECT_OUT(MK_DTYPE_BF16, 0) }
        break;
    }
    return 1;
}

void mk_linear_vectors_avx2(const mk_vector_ops *v, const float *const *x, const float *b, const int32_t *ops,
                          int64_t len, float *acc) {
    mk_linear_vectors_body(v, x, b, ops, len, acc);
}
