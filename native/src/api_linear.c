/*
 * mk_linear and mk_convert: argument checks, then the tile driver. Each tile of MK_TILE elements
 * widens the base once, folds every input into a float32 accumulator tile in input order (numerics §2's
 * order), and narrows the result straight into the output, so each input is read once and the
 * output written once. The per-element arithmetic is the table's; the order is this file's.
 * The output check looks at each tile while it is in L1, or at the direct path's values in registers
 * (the direct path streams large outputs past the cache, where a second read would fetch them back).
 */
#include <stddef.h>
#include <string.h>

#include "kernels.h"

static int valid_type(int32_t t) {
    return mk_dtype_size(t) != 0;
}

/* mk_linear's arguments and its output check's result, for the guarded body. */
typedef struct linear_call {
    mk_linear_args args;
    int64_t *first; /* NULL: no check */
} linear_call;

/* The reading part of mk_linear, under the SIGBUS guard (fault_guard.c). */
static int32_t linear_body(void *ctx) {
    const linear_call *c = ctx;
    const mk_linear_args *a = &c->args;
    const mk_kernel_table *k = mk_active();
    const int64_t n = a->n;
    const int64_t out_size = mk_dtype_size(a->out_type);
    const uint64_t lane = mk_nonfinite_lane(a->out_type);
    if (k->linear_direct(a)) {
        if (c->first != NULL) {
            /* a path that tested its stores says whether any was non-finite (then, rarely, find which);
             * one that did not left -1, and the output is read again */
            *c->first = *a->nonfinite == 0 ? -1 : k->first_nonfinite(a->out, (int32_t)out_size, lane, n);
        }
        return MK_OK;
    }
    float acc[MK_TILE] __attribute__((aligned(64)));
    float b[MK_TILE] __attribute__((aligned(64)));
    for (int64_t from = 0; from < n; from += MK_TILE) {
        int64_t len = n - from < MK_TILE ? n - from : MK_TILE;
        for (int64_t j = 0; j < len; j++) {
            acc[j] = a->zero; /* the spec's start: +0, or -0 for slerp's products */
        }
        if (a->base != NULL) {
            k->widen((const char *)a->base + from * mk_dtype_size(a->base_type), a->base_type, len, b);
        }
        for (int32_t i = 0; i < a->n_inputs; i++) {
            const char *x = (const char *)a->inputs[i] + from * mk_dtype_size(a->input_types[i]);
            k->accumulate(acc, a->base != NULL ? b : NULL, x, a->input_types[i], a->weights[i], len);
        }
        char *tile = (char *)a->out + from * out_size;
        k->finish(acc, a->base != NULL ? b : NULL, a->divide, a->divisor, a->lambda, tile, a->out_type, len);
        if (c->first != NULL && *c->first < 0) {
            int64_t at = k->first_nonfinite(tile, (int32_t)out_size, lane, len);
            *c->first = at < 0 ? -1 : from + at;
        }
    }
    return MK_OK;
}

int32_t mk_linear(int32_t n_inputs, const void *const *inputs, const int32_t *input_types, const float *weights,
                  const void *base, int32_t base_type, void *out, int32_t out_type, int32_t flags, float divisor,
                  float lambda, int64_t n, int64_t *first_nonfinite) {
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
    if (first_nonfinite != NULL) {
        *first_nonfinite = -1;
    }
    if (n == 0) {
        return MK_OK;
    }
    if (out == NULL) {
        return MK_E_NULL;
    }
    int32_t tested = -1;
    const linear_call call = {{n_inputs, inputs, input_types, weights, base, base_type, out, out_type,
                               (flags & MK_LINEAR_DIVIDE) != 0, (flags & MK_LINEAR_NEG_ZERO) != 0 ? -0.0f : 0.0f,
                               divisor, lambda, n, first_nonfinite != NULL ? &tested : NULL},
                              first_nonfinite};
    return mk_guarded(linear_body, (void *)&call);
}

typedef struct convert_args {
    const void *in;
    int32_t in_type;
    void *out;
    int32_t out_type;
    int64_t n;
} convert_args;

/* The reading part of mk_convert, under the SIGBUS guard. */
static int32_t convert_body(void *ctx) {
    const convert_args *a = ctx;
    if (a->in_type == a->out_type) {
        memmove(a->out, a->in, (size_t)(a->n * mk_dtype_size(a->in_type)));
        return MK_OK;
    }
    const mk_kernel_table *k = mk_active();
    float v[MK_TILE] __attribute__((aligned(64)));
    for (int64_t from = 0; from < a->n; from += MK_TILE) {
        int64_t len = a->n - from < MK_TILE ? a->n - from : MK_TILE;
        k->widen((const char *)a->in + from * mk_dtype_size(a->in_type), a->in_type, len, v);
        k->finish(v, NULL, 0, 1.0f, 1.0f, (char *)a->out + from * mk_dtype_size(a->out_type), a->out_type, len);
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
    const convert_args args = {in, in_type, out, out_type, n};
    return mk_guarded(convert_body, (void *)&args);
}
