/*
 * mk_linear_vectors: numerics §2 with one op per vector. Per tile of MK_TILE elements: widen the base and
 * every input once (the table's widen), name each element's op (a cursor, no division per element), run
 * the table's per-element arithmetic, and narrow with the table's finish (no divide, no base: a plain
 * narrowing, the same rounding mk_linear's output gets).
 */
#include <stddef.h>
#include <stdlib.h>

#include "kernels.h"

typedef struct vectors_call {
    const void *const *inputs;
    const int32_t *input_types;
    const void *base;
    int32_t base_type;
    void *out;
    int32_t out_type;
    mk_vector_ops ops;
    int64_t first_op; /* the op of element start */
    int64_t count;
    int64_t length;
    int32_t strided;
    int64_t start;
    int64_t n;
    float *tiles;       /* n_inputs tiles of MK_TILE floats, allocated by the caller */
    const float **rows; /* rows[i] = tiles + i * MK_TILE */
} vectors_call;

/* The reading part, under the SIGBUS guard (fault_guard.c); allocates nothing. */
static int32_t vectors_body(void *ctx) {
    const vectors_call *c = ctx;
    const mk_kernel_table *k = mk_active();
    float b[MK_TILE] __attribute__((aligned(64)));
    float acc[MK_TILE] __attribute__((aligned(64)));
    int32_t ops[MK_TILE];
    const int32_t n_inputs = c->ops.n_inputs;
    int64_t o = c->first_op;
    int64_t in_row = c->strided ? 0 : c->start % c->length;
    for (int64_t from = 0; from < c->n; from += MK_TILE) {
        int64_t len = c->n - from < MK_TILE ? c->n - from : MK_TILE;
        for (int64_t j = 0; j < len; j++) {
            ops[j] = (int32_t)o;
            if (c->strided) {
                o = o + 1 == c->count ? 0 : o + 1; /* the next element is in the next vector */
            } else if (++in_row == c->length) {
                in_row = 0;
                o++;
            }
        }
        if (c->base != NULL) {
            k->widen((const char *)c->base + from * mk_dtype_size(c->base_type), c->base_type, len, b);
        }
        for (int32_t i = 0; i < n_inputs; i++) {
            k->widen((const char *)c->inputs[i] + from * mk_dtype_size(c->input_types[i]), c->input_types[i], len,
                     c->tiles + (int64_t)i * MK_TILE);
        }
        k->linear_vectors(&c->ops, c->rows, c->base != NULL ? b : NULL, ops, len, acc);
        k->finish(acc, NULL, 0, 1.0f, 1.0f, (char *)c->out + from * mk_dtype_size(c->out_type), c->out_type, len);
    }
    return MK_OK;
}

/* Whether every element's op (p - op_first) mod count lies in [0, n_ops); *first gets element start's. */
static int ops_cover(int64_t op_first, int32_t n_ops, int64_t count, int64_t length, int32_t strided, int64_t start,
                     int64_t n, int64_t *first) {
    int64_t p = strided ? start % count : start / length;
    int64_t o = ((p - op_first) % count + count) % count;
    *first = o;
    if (!strided) {
        return o + ((start + n - 1) / length - p) < n_ops;
    }
    if (n >= count || o + n > count) {
        return n_ops == count; /* every op, wrapping */
    }
    return o + n <= n_ops;
}

int32_t mk_linear_vectors(int32_t n_inputs, const void *const *inputs, const int32_t *input_types, const void *base,
                          int32_t base_type, void *out, int32_t out_type, int64_t op_first, int32_t n_ops,
                          const float *weights, const int32_t *flags, const float *divisors, const float *lambdas,
                          int64_t vector_count, int64_t vector_length, int32_t strided, int64_t start, int64_t n) {
    if (n < 0 || start < 0 || n_inputs < 0 || n_ops < 1 || vector_count < 1 || vector_length < 1 ||
        n_ops > vector_count || op_first < 0 || op_first >= vector_count || (strided != 0 && strided != 1) ||
        start / vector_length > vector_count || (n > 0 && (start + n - 1) / vector_length >= vector_count)) {
        return MK_E_ARGUMENT;
    }
    if ((n_inputs > 0 && (inputs == NULL || input_types == NULL || weights == NULL)) || flags == NULL ||
        divisors == NULL || lambdas == NULL) {
        return MK_E_NULL;
    }
    if (mk_dtype_size(out_type) == 0 || (base != NULL && mk_dtype_size(base_type) == 0)) {
        return MK_E_DTYPE;
    }
    int32_t status = mk_check_inputs(n_inputs, inputs, input_types, n > 0);
    if (status != MK_OK) {
        return status;
    }
    for (int32_t o = 0; o < n_ops; o++) {
        if ((flags[o] & ~(MK_LINEAR_DIVIDE | MK_LINEAR_NEG_ZERO)) != 0) {
            return MK_E_ARGUMENT;
        }
    }
    if (n == 0) {
        return MK_OK;
    }
    if (out == NULL) {
        return MK_E_NULL;
    }
    int64_t first_op;
    if (!ops_cover(op_first, n_ops, vector_count, vector_length, strided, start, n, &first_op)) {
        return MK_E_ARGUMENT;
    }
    float *tiles = malloc(sizeof(float) * MK_TILE * (size_t)(n_inputs > 0 ? n_inputs : 1));
    const float **rows = malloc(sizeof(float *) * (size_t)(n_inputs > 0 ? n_inputs : 1));
    if (tiles == NULL || rows == NULL) {
        free(tiles);
        free(rows);
        return MK_E_ARGUMENT;
    }
    for (int32_t i = 0; i < n_inputs; i++) {
        rows[i] = tiles + (int64_t)i * MK_TILE;
    }
    vectors_call c = {inputs, input_types, base, base_type, out, out_type,
                      {n_inputs, weights, flags, divisors, lambdas}, first_op, vector_count, vector_length, strided,
                      start, n, tiles, rows};
    status = mk_guarded(vectors_body, &c);
    free(rows);
    free(tiles);
    return status;
}
