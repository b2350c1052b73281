/*
 * mk_linear and mk_convert: argument checks, then the tile driver. Each tile of MK_TILE elements
 * widens the base once, folds every input into a float32 accumulator tile in input order (SPEC §2's
 * order), and narrows the result straight into the output, so each input is read once and the
 * output written once. The per-element arithmetic is the table's; the order is this file's.
 */
#include <stddef.h>
#include <string.h>

#include "kernels.h"

static int valid_type(int32_t t) {
    return mk_dtype_size(t) != 0;
}

int32_t mk_linear(int32_t n_inputs, const void *const *inputs, const int32_t *input_types, const float *weights,
                  const void *base, int32_t base_type, void *out, int32_t out_type, int32_t flags, float divisor,
                  float lambda, int64_t n) {
    if (n < 0 || n_inputs < 0 || (flags & ~(MK_LINEAR_DIVIDE | MK_LINEAR_NEG_ZERO)) != 0) {
        return MK_E_ARGUMENT;
    }
    if (n_inputs > 0 && (inputs == NULL || input_types == NULL || weights == NULL)) {
        return MK_E_NULL;
    }
    if (!valid_type(out_type) || (base != NULL && !valid_type(base_type))) {
        return MK_E_DTYPE;
    }
    for (int32_t i = 0; i < n_inputs; i++) {
        if (!valid_type(input_types[i])) {
            return MK_E_DTYPE;
        }
        if (inputs[i] == NULL && n > 0) {
            return MK_E_NULL;
        }
    }
    if (n == 0) {
        return MK_OK;
    }
    if (out == NULL) {
        return MK_E_NULL;
    }
    const mk_kernel_table *k = mk_active();
    const int32_t divide = (flags & MK_LINEAR_DIVIDE) != 0;
    const float zero = (flags & MK_LINEAR_NEG_ZERO) != 0 ? -0.0f : 0.0f;
    const mk_linear_args args = {n_inputs, inputs, input_types, weights, base, base_type, out, out_type,
                                 divide, zero, divisor, lambda, n};
    if (k->linear_direct(&args)) {
        return MK_OK;
    }
    float acc[MK_TILE] __attribute__((aligned(64)));
    float b[MK_TILE] __attribute__((aligned(64)));
    const int64_t out_size = mk_dtype_size(out_type);
    for (int64_t from = 0; from < n; from += MK_TILE) {
        int64_t len = n - from < MK_TILE ? n - from : MK_TILE;
        for (int64_t j = 0; j < len; j++) {
            acc[j] = zero; /* the spec's start: +0, or -0 for slerp's products */
        }
        if (base != NULL) {
            k->widen((const char *)base + from * mk_dtype_size(base_type), base_type, len, b);
        }
        for (int32_t i = 0; i < n_inputs; i++) {
            const char *x = (const char *)inputs[i] + from * mk_dtype_size(input_types[i]);
            k->accumulate(acc, base != NULL ? b : NULL, x, input_types[i], weights[i], len);
        }
        k->finish(acc, base != NULL ? b : NULL, divide, divisor, lambda, (char *)out + from * out_size, out_type, len);
    }
    return MK_OK;
}

int32_t mk_convert(const void *in, int32_t in_type, void *out, int32_t out_type, int64_t n) {
    if (n < 0) {
        return MK_E_ARGUMENT;
    }
    if (!valid_type(in_type) || !valid_type(out_type)) {
        return MK_E_DTYPE;
    }
    if (n == 0) {
        return MK_OK;
    }
    if (in == NULL || out == NULL) {
        return MK_E_NULL;
    }
    if (in_type == out_type) {
        memmove(out, in, (size_t)(n * mk_dtype_size(in_type)));
        return MK_OK;
    }
    const mk_kernel_table *k = mk_active();
    float v[MK_TILE] __attribute__((aligned(64)));
    for (int64_t from = 0; from < n; from += MK_TILE) {
        int64_t len = n - from < MK_TILE ? n - from : MK_TILE;
        k->widen((const char *)in + from * mk_dtype_size(in_type), in_type, len, v);
        k->finish(v, NULL, 0, 1.0f, 1.0f, (char *)out + from * mk_dtype_size(out_type), out_type, len);
    }
    return MK_OK;
}
