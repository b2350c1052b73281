/* The linear/convert tile primitives on AVX-512: 16 lanes, masked tails, the exact ops of the spec
 * (vsubps, vfmadd, vdivps; -ffp-contract=off keeps the compiler from fusing anything else). */
#include "kernels.h"
#include "linear_vectors.h"
#include "simd_avx512.h"

/* The type switch sits outside the loops: each case inlines mk512_load with a constant type. */
#define MK_BY_TYPE(t, BODY)          \
    switch (t) {                     \
    case MK_DTYPE_F32: {             \
        const int32_t T = MK_DTYPE_F32; \
        BODY;                        \
        break;                       \
    }                                \
    case MK_DTYPE_F16: {             \
        const int32_t T = MK_DTYPE_F16; \
        BODY;                        \
        break;                       \
    }                                \
    default: {                       \
        const int32_t T = MK_DTYPE_BF16; \
        BODY;                        \
        break;                       \
    }                                \
    }

void mk_widen_avx512(const void *src, int32_t type, int64_t len, float *dst) {
    MK_BY_TYPE(type, {
        int64_t j = 0;
        for (; j + 16 <= len; j += 16) {
            _mm512_storeu_ps(dst + j, mk512_load_full(src, T, j));
        }
        if (j < len) {
            __mmask16 m = mk512_tail(len - j);
            _mm512_mask_storeu_ps(dst + j, m, mk512_load(src, T, j, m));
        }
    })
}

void mk_accumulate_avx512(float *acc, const float *b, const void *x, int32_t type, float w, int64_t len) {
    const __m512 vw = _mm512_set1_ps(w);
    if (b != NULL) {
        MK_BY_TYPE(type, {
            int64_t j = 0;
            for (; j + 16 <= len; j += 16) {
                __m512 d = _mm512_sub_ps(mk512_load_full(x, T, j), _mm512_loadu_ps(b + j));
                _mm512_storeu_ps(acc + j, _mm512_fmadd_ps(vw, d, _mm512_loadu_ps(acc + j)));
            }
            if (j < len) {
                __mmask16 m = mk512_tail(len - j);
                __m512 d = _mm512_sub_ps(mk512_load(x, T, j, m), _mm512_maskz_loadu_ps(m, b + j));
                _mm512_mask_storeu_ps(acc + j, m, _mm512_fmadd_ps(vw, d, _mm512_maskz_loadu_ps(m, acc + j)));
            }
        })
    } else {
        MK_BY_TYPE(type, {
            int64_t j = 0;
            for (; j + 16 <= len; j += 16) {
                _mm512_storeu_ps(acc + j, _mm512_fmadd_ps(vw, mk512_load_full(x, T, j), _mm512_loadu_ps(acc + j)));
            }
            if (j < len) {
                __mmask16 m = mk512_tail(len - j);
                _mm512_mask_storeu_ps(acc + j, m,
                                      _mm512_fmadd_ps(vw, mk512_load(x, T, j, m), _mm512_maskz_loadu_ps(m, acc + j)));
            }
        })
    }
}

MK_INLINE __m512 mk512_finish1(__m512 v, const float *b, int64_t j, __mmask16 m, int32_t divide, __m512 vdiv,
                               __m512 vlambda) {
    if (divide) {
        v = _mm512_div_ps(v, vdiv);
    }
    if (b != NULL) {
        v = _mm512_fmadd_ps(vlambda, v, _mm512_maskz_loadu_ps(m, b + j));
    }
    return v;
}

void mk_finish_avx512(const float *acc, const float *b, int32_t divide, float divisor, float lambda, void *out,
                      int32_t type, int64_t len) {
    const __m512 vdiv = _mm512_set1_ps(divisor);
    const __m512 vlambda = _mm512_set1_ps(lambda);
    MK_BY_TYPE(type, {
        int64_t j = 0;
        for (; j + 16 <= len; j += 16) {
            __m512 v = mk512_finish1(_mm512_loadu_ps(acc + j), b, j, 0xFFFF, divide, vdiv, vlambda);
            mk512_store(out, T, j, v, 0xFFFF);
        }
        if (j < len) {
            __mmask16 m = mk512_tail(len - j);
            __m512 v = mk512_finish1(_mm512_maskz_loadu_ps(m, acc + j), b, j, m, divide, vdiv, vlambda);
            mk512_store(out, T, j, v, m);
        }
    })
}

/* The call's scalars in locals, read once, as in linear_avx2.c: the stores through a->out could alias
 * *a, so a loop that reads a->inputs[i] or a->weights[i] reloads them (and re-broadcasts the weight)
 * every vector. */
#define MK512_MAX_UNROLLED 3
typedef struct {
    const void *in[MK512_MAX_UNROLLED];
    __m512 w[MK512_MAX_UNROLLED];
    const void *base;
    __m512 zero, divisor, lambda;
    int divide;
} mk512_op;

/* One vector of the register-resident fused kernel, elements j..j+16: the lanes in m, all 16 with
 * unmasked loads when full. The plain and the streaming loops both store what this returns, so
 * they cannot drift apart. N > 0: exactly N inputs, from o (the loop over them unrolls); N == 0:
 * any count, read through a. */
MK_INLINE __m512 mk512_direct_vec(const mk_linear_args *a, const mk512_op *o, int N, int32_t T, int has_base,
                                  int64_t j, __mmask16 m, int full) {
    __m512 b = _mm512_setzero_ps();
    if (has_base) {
        b = mk512_load_step(o->base, T, j, m, full);
    }
    __m512 acc = o->zero;
    int32_t n = N > 0 ? N : a->n_inputs;
    for (int32_t i = 0; i < n; i++) {
        const void *p = N > 0 ? o->in[i] : a->inputs[i];
        __m512 x = mk512_load_step(p, T, j, m, full);
        __m512 w = N > 0 ? o->w[i] : _mm512_set1_ps(a->weights[i]);
        acc = _mm512_fmadd_ps(w, has_base ? _mm512_sub_ps(x, b) : x, acc);
    }
    if (o->divide) {
        acc = _mm512_div_ps(acc, o->divisor);
    }
    if (has_base) {
        acc = _mm512_fmadd_ps(o->lambda, acc, b);
    }
    return acc;
}

/* Thirty-two BF16 elements j..j+32 → thirty-two BF16, the same arithmetic per element as
 * mk512_direct_vec. Unpacking a 64-byte load against zero widens in one instruction per sixteen
 * elements (each 128-bit lane yields its elements 0-3 and 4-7 as floats), and the one packus that
 * narrows puts them back in order: no zero-extend and shift per load, no vpmovdw per store, and
 * the output goes out in whole 64-byte lines. */
MK_INLINE __m512i mk512_direct_bf16x32(const mk512_op *o, int N, int has_base, int64_t j) {
    const __m512i z = _mm512_setzero_si512();
    __m512 blo = _mm512_setzero_ps(), bhi = _mm512_setzero_ps();
    if (has_base) {
        __m512i r = _mm512_loadu_si512((const void *)((const uint16_t *)o->base + j));
        blo = _mm512_castsi512_ps(_mm512_unpacklo_epi16(z, r));
        bhi = _mm512_castsi512_ps(_mm512_unpackhi_epi16(z, r));
    }
    __m512 lo = o->zero, hi = o->zero;
    for (int32_t i = 0; i < N; i++) {
        __m512i r = _mm512_loadu_si512((const void *)((const uint16_t *)o->in[i] + j));
        __m512 xlo = _mm512_castsi512_ps(_mm512_unpacklo_epi16(z, r));
        __m512 xhi = _mm512_castsi512_ps(_mm512_unpackhi_epi16(z, r));
        lo = _mm512_fmadd_ps(o->w[i], has_base ? _mm512_sub_ps(xlo, blo) : xlo, lo);
        hi = _mm512_fmadd_ps(o->w[i], has_base ? _mm512_sub_ps(xhi, bhi) : xhi, hi);
    }
    if (o->divide) {
        lo = _mm512_div_ps(lo, o->divisor);
        hi = _mm512_div_ps(hi, o->divisor);
    }
    if (has_base) {
        lo = _mm512_fmadd_ps(o->lambda, lo, blo);
        hi = _mm512_fmadd_ps(o->lambda, hi, bhi);
    }
    /* every lane is <= 0xFFFF, so the unsigned-saturating pack is a plain narrowing */
    return _mm512_packus_epi32(mk512_bf16_round(lo), mk512_bf16_round(hi));
}

/* The output check in registers, as in linear_avx2.c: the largest magnitude bits (sign cleared) of
 * the values stored, lane by lane, in top16 (16-bit lanes of 16-element vectors) and top32 (32-bit
 * lanes of F32 vectors, or 16-bit lanes of 32-element BF16 vectors); a value is non-finite exactly
 * when those bits reach its type's exponent lane (mk_first_nonfinite's test). */
typedef struct {
    __m256i top16;
    __m512i top32;
} mk512_tops;

/* Narrows v to t and stores the lanes in m at p + j (streamed, or not: streaming needs out + j
 * aligned to the store, and all lanes), keeping their magnitudes; lanes outside m never count. */
MK_INLINE void mk512_put(void *p, int32_t t, int64_t j, __m512 v, __mmask16 m, int stream, mk512_tops *top) {
    if (t == MK_DTYPE_F32) {
        __m512i x = _mm512_castps_si512(m == 0xFFFF ? v : _mm512_maskz_mov_ps(m, v));
        top->top32 = _mm512_max_epu32(top->top32, _mm512_and_si512(x, _mm512_set1_epi32(0x7FFFFFFF)));
        if (stream) {
            _mm512_stream_ps((float *)p + j, v);
        } else {
            _mm512_mask_storeu_ps((float *)p + j, m, v);
        }
        return;
    }
    __m256i h = t == MK_DTYPE_F16 ? mk512_to_f16(v) : mk512_to_bf16(v);
    __m256i kept = m == 0xFFFF ? h : _mm256_maskz_mov_epi16(m, h);
    top->top16 = _mm256_max_epu16(top->top16, _mm256_and_si256(kept, _mm256_set1_epi16(0x7FFF)));
    if (stream) {
        _mm256_stream_si256((__m256i *)((uint16_t *)p + j), h);
    } else {
        _mm256_mask_storeu_epi16((uint16_t *)p + j, m, h);
    }
}

/* Thirty-two BF16 values stored at out + j (streamed, or not), their magnitudes kept. */
MK_INLINE void mk512_put_bf16x32(void *out, int64_t j, __m512i r, int stream, mk512_tops *top) {
    top->top32 = _mm512_max_epu16(top->top32, _mm512_and_si512(r, _mm512_set1_epi16(0x7FFF)));
    if (stream) {
        _mm512_stream_si512((void *)((uint16_t *)out + j), r);
    } else {
        _mm512_storeu_si512((void *)((uint16_t *)out + j), r);
    }
}

/* Whether the tops hold a non-finite value of type O. */
MK_INLINE int mk512_top_nonfinite(const mk512_tops *top, int32_t O) {
    if (O == MK_DTYPE_F32) {
        return _mm512_cmpge_epu32_mask(top->top32, _mm512_set1_epi32((int)mk_nonfinite_lane(O))) != 0;
    }
    __m256i t = _mm256_max_epu16(top->top16, _mm256_max_epu16(_mm512_castsi512_si256(top->top32),
                                                              _mm512_extracti64x4_epi64(top->top32, 1)));
    const __m256i below = _mm256_set1_epi16((short)(mk_nonfinite_lane(O) - 1));
    return !_mm256_testz_si256(_mm256_subs_epu16(t, below), _mm256_subs_epu16(t, below));
}

/* Outputs of MK_STREAM_BYTES or more stream from their first 64-byte line: every streamed line is
 * then written whole by streams (a line shared with ordinary stores would cost a partial
 * write-combine flush). Returns whether any value it stored is non-finite. */
MK_INLINE int mk512_direct_n(const mk_linear_args *a, int N, int32_t T, int32_t O, int has_base) {
    mk512_op op;
    for (int32_t i = 0; i < N; i++) {
        op.in[i] = a->inputs[i];
        op.w[i] = _mm512_set1_ps(a->weights[i]);
    }
    op.base = a->base;
    op.zero = _mm512_set1_ps(a->zero);
    op.divisor = _mm512_set1_ps(a->divisor);
    op.lambda = _mm512_set1_ps(a->lambda);
    op.divide = a->divide;
    void *out = a->out;
    const int64_t n = a->n;
    const int64_t size = O == MK_DTYPE_F32 ? 4 : 2;
    const int x32 = N > 0 && T == MK_DTYPE_BF16 && O == MK_DTYPE_BF16;
    mk512_tops top = {_mm256_setzero_si256(), _mm512_setzero_si512()};
    int64_t j = 0;
    int64_t to_line = (int64_t)((0 - (uintptr_t)out) & 63);
    if (n * size >= MK_STREAM_BYTES && to_line % size == 0) {
        int64_t head = to_line / size;
        while (j < head) { /* up to 31 elements before the first aligned vector */
            int64_t cnt = head - j < 16 ? head - j : 16;
            __mmask16 m = mk512_tail(cnt);
            mk512_put(out, O, j, mk512_direct_vec(a, &op, N, T, has_base, j, m, 0), m, 0, &top);
            j += cnt;
        }
        if (x32) {
            for (; j + 32 <= n; j += 32) {
                mk512_put_bf16x32(out, j, mk512_direct_bf16x32(&op, N, has_base, j), 1, &top);
            }
        }
        for (; j + 16 <= n; j += 16) {
            mk512_put(out, O, j, mk512_direct_vec(a, &op, N, T, has_base, j, 0xFFFF, 1), 0xFFFF, 1, &top);
        }
        _mm_sfence(); /* streamed stores are weakly ordered: publish them before returning */
    }
    if (x32) {
        for (; j + 32 <= n; j += 32) {
            mk512_put_bf16x32(out, j, mk512_direct_bf16x32(&op, N, has_base, j), 0, &top);
        }
    }
    for (; j + 16 <= n; j += 16) {
        mk512_put(out, O, j, mk512_direct_vec(a, &op, N, T, has_base, j, 0xFFFF, 1), 0xFFFF, 0, &top);
    }
    if (j < n) {
        __mmask16 m = mk512_tail(n - j);
        mk512_put(out, O, j, mk512_direct_vec(a, &op, N, T, has_base, j, m, 0), m, 0, &top);
    }
    return mk512_top_nonfinite(&top, O);
}

/* Two and three inputs (ExMe and task_arithmetic over one or two fine-tunes, with the base) get their
 * own unrolled loops; the same arithmetic in the same order either way. */
MK_INLINE void mk512_direct(const mk_linear_args *a, int32_t T, int32_t O, int has_base) {
    int bad;
    switch (a->n_inputs) {
    case 2: bad = mk512_direct_n(a, 2, T, O, has_base); break;
    case 3: bad = mk512_direct_n(a, 3, T, O, has_base); break;
    default: bad = mk512_direct_n(a, 0, T, O, has_base); break;
    }
    if (a->nonfinite != NULL) {
        *a->nonfinite = bad;
    }
}

#define MK_DIRECT_OUT(T, has_base)                            \
    switch (a->out_type) {                                    \
    case MK_DTYPE_F32: mk512_direct(a, T, MK_DTYPE_F32, has_base); break; \
    case MK_DTYPE_F16: mk512_direct(a, T, MK_DTYPE_F16, has_base); break; \
    default: mk512_direct(a, T, MK_DTYPE_BF16, has_base); break;          \
    }

int mk_linear_direct_avx512(const mk_linear_args *a) {
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

void mk_linear_vectors_avx512(const mk_vector_ops *v, const float *const *x, const float *b, const int32_t *ops,
                          int64_t len, float *acc) {
    mk_linear_vectors_body(v, x, b, ops, len, acc);
}
