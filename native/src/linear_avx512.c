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

/* One vector of the fused kernel with the accumulator in a register; T (input type) and O (output
 * type) are constants at every call site, so each instantiation is branch-free inside. */
MK_INLINE void mk512_direct_vec(const mk_linear_args *a, int32_t T, int32_t O, int has_base, int64_t j,
                                __mmask16 m, int full) {
    __m512 b = _mm512_setzero_ps();
    if (has_base) {
        b = full ? mk512_load_full(a->base, T, j) : mk512_load(a->base, T, j, m);
    }
    __m512 acc = _mm512_set1_ps(a->zero);
    for (int32_t i = 0; i < a->n_inputs; i++) {
        __m512 x = full ? mk512_load_full(a->inputs[i], T, j) : mk512_load(a->inputs[i], T, j, m);
        acc = _mm512_fmadd_ps(_mm512_set1_ps(a->weights[i]), has_base ? _mm512_sub_ps(x, b) : x, acc);
    }
    if (a->divide) {
        acc = _mm512_div_ps(acc, _mm512_set1_ps(a->divisor));
    }
    if (has_base) {
        acc = _mm512_fmadd_ps(_mm512_set1_ps(a->lambda), acc, b);
    }
    mk512_store(a->out, O, j, acc, m);
}

MK_INLINE void mk512_direct_stream_vec(const mk_linear_args *a, int32_t T, int32_t O, int has_base, int64_t j) {
    __m512 b = has_base ? mk512_load_full(a->base, T, j) : _mm512_setzero_ps();
    __m512 acc = _mm512_set1_ps(a->zero);
    for (int32_t i = 0; i < a->n_inputs; i++) {
        __m512 x = mk512_load_full(a->inputs[i], T, j);
        acc = _mm512_fmadd_ps(_mm512_set1_ps(a->weights[i]), has_base ? _mm512_sub_ps(x, b) : x, acc);
    }
    if (a->divide) {
        acc = _mm512_div_ps(acc, _mm512_set1_ps(a->divisor));
    }
    if (has_base) {
        acc = _mm512_fmadd_ps(_mm512_set1_ps(a->lambda), acc, b);
    }
    switch (O) {
    case MK_DTYPE_F32:
        _mm512_stream_ps((float *)a->out + j, acc);
        break;
    case MK_DTYPE_F16:
        _mm256_stream_si256((__m256i *)((uint16_t *)a->out + j), mk512_to_f16(acc));
        break;
    default:
        _mm256_stream_si256((__m256i *)((uint16_t *)a->out + j), mk512_to_bf16(acc));
        break;
    }
}

MK_INLINE void mk512_direct(const mk_linear_args *a, int32_t T, int32_t O, int has_base) {
    const int64_t size = O == MK_DTYPE_F32 ? 4 : 2;
    int64_t j = 0;
    /* Bytes to the next 64-byte boundary of the output; streaming needs aligned vector stores. */
    int64_t to_line = (int64_t)((0 - (uintptr_t)a->out) & 63);
    if (a->n * size >= MK_STREAM_BYTES && to_line % size == 0) {
        int64_t head = to_line / size;
        while (j < head) { /* up to 31 elements before the first aligned vector */
            int64_t cnt = head - j < 16 ? head - j : 16;
            mk512_direct_vec(a, T, O, has_base, j, mk512_tail(cnt), 0);
            j += cnt;
        }
        for (; j + 16 <= a->n; j += 16) {
            mk512_direct_stream_vec(a, T, O, has_base, j);
        }
        _mm_sfence(); /* streamed stores are weakly ordered: publish them before returning */
    }
    for (; j + 16 <= a->n; j += 16) {
        mk512_direct_vec(a, T, O, has_base, j, 0xFFFF, 1);
    }
    if (j < a->n) {
        mk512_direct_vec(a, T, O, has_base, j, mk512_tail(a->n - j), 0);
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
