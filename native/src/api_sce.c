/*
 * mergekit's sce (org.exmerge.kernel.SceOp is the normative statement): the variance-key histogram,
 * the masked squares of rescale's norms and the fused mask, sign election, weighted mean and base
 * add. Per tile of MK_SPARSE_TILE
 * elements the base and each model's task vector are widened into tiles, the variance keys come
 * from the table, and the election and mean run here in scalar float32 in the spec's order.
 */
#include <stdlib.h>

#include "fp_scalar.h"
#include "kernels.h"

typedef struct sce_call {
    int32_t n_models;
    const void *const *inputs;
    const int32_t *input_types;
    const void *base;
    int32_t base_type;
    int64_t n;
    /* histogram */
    int32_t high;
    int64_t *hist;
    /* merge */
    void *out;
    int32_t out_type;
    const float *weights;
    int64_t keep_from;
    /* squares */
    double *squares;
    double *lanes; /* n_models x MK_RED_LANES, allocated by the caller */
    float *t; /* n_models task-vector tiles, allocated by the caller */
} sce_call;

static int32_t check(int32_t n_models, const void *const *inputs, const int32_t *input_types, const void *base,
                     int32_t base_type, int64_t n) {
    if (n < 0 || n_models < 1) {
        return MK_E_ARGUMENT;
    }
    if (inputs == NULL || input_types == NULL || base == NULL) {
        return MK_E_NULL;
    }
    if (mk_dtype_size(base_type) == 0) {
        return MK_E_DTYPE;
    }
    return mk_check_inputs(n_models, inputs, input_types, 1);
}

/* A call with the inputs every entry point takes; the rest is zero until the entry point sets it. */
static sce_call inputs_of(int32_t n_models, const void *const *inputs, const int32_t *input_types, const void *base,
                          int32_t base_type, int64_t n) {
    sce_call c = {0};
    c.n_models = n_models;
    c.inputs = inputs;
    c.input_types = input_types;
    c.base = base;
    c.base_type = base_type;
    c.n = n;
    return c;
}

/* b and each model's t_i = widen(x_i) - b over elements [from, from + len). */
static void load_tiles(const sce_call *c, const mk_kernel_table *k, int64_t from, int64_t len, float *b) {
    k->widen((const char *)c->base + from * mk_dtype_size(c->base_type), c->base_type, len, b);
    for (int32_t i = 0; i < c->n_models; i++) {
        float *ti = c->t + (int64_t)i * MK_SPARSE_TILE;
        k->widen((const char *)c->inputs[i] + from * mk_dtype_size(c->input_types[i]), c->input_types[i], len, ti);
        for (int64_t j = 0; j < len; j++) {
            ti[j] = ti[j] - b[j];
        }
    }
}

static int32_t histogram_body(void *ctx) {
    const sce_call *c = ctx;
    const mk_kernel_table *k = mk_active();
    float b[MK_SPARSE_TILE] __attribute__((aligned(64)));
    uint32_t keys[MK_SPARSE_TILE];
    for (int64_t from = 0; from < c->n; from += MK_SPARSE_TILE) {
        int64_t len = c->n - from < MK_SPARSE_TILE ? c->n - from : MK_SPARSE_TILE;
        load_tiles(c, k, from, len, b);
        k->sce_variance_keys(c->t, c->n_models, len, keys);
        for (int64_t j = 0; j < len; j++) {
            if (keys[j] != 0) { /* sce ranks the nonzero variances only */
                mk_count_key(c->hist, c->high, keys[j]);
            }
        }
    }
    return MK_OK;
}

static int32_t merge_body(void *ctx) {
    const sce_call *c = ctx;
    const mk_kernel_table *k = mk_active();
    const int32_t m = c->n_models;
    float b[MK_SPARSE_TILE] __attribute__((aligned(64)));
    uint32_t keys[MK_SPARSE_TILE];
    for (int64_t from = 0; from < c->n; from += MK_SPARSE_TILE) {
        int64_t len = c->n - from < MK_SPARSE_TILE ? c->n - from : MK_SPARSE_TILE;
        load_tiles(c, k, from, len, b);
        if (c->keep_from > 0) {
            k->sce_variance_keys(c->t, m, len, keys);
        }
        for (int64_t j = 0; j < len; j++) {
            const int keep = c->keep_from == 0 || (int64_t)keys[j] >= c->keep_from;
            float s = 0.0f;
            for (int32_t i = 0; i < m; i++) {
                s = s + (keep ? c->t[(int64_t)i * MK_SPARSE_TILE + j] : 0.0f);
            }
            const int up = s >= 0.0f;
            float mix = 0.0f, d = 0.0f;
            for (int32_t i = 0; i < m; i++) {
                const float v = keep ? c->t[(int64_t)i * MK_SPARSE_TILE + j] : 0.0f;
                if (up ? v > 0.0f : v < 0.0f) {
                    mix = mix + c->weights[i] * v;
                    d = d + c->weights[i];
                }
            }
            const float q = d < 1e-6f ? 1e-6f : d;
            mk_store(c->out, c->out_type, from + j, b[j] + mix / q);
        }
    }
    return MK_OK;
}

/* numerics §4's pairwise fold of the 64 lanes: p[l] = p[l] + p[l + s] for s = 32..1. */
static double fold(double *p) {
    for (int s = MK_RED_LANES / 2; s >= 1; s >>= 1) {
        for (int l = 0; l < s; l++) {
            p[l] = p[l] + p[l + s];
        }
    }
    return p[0];
}

/* Tiles start at multiples of MK_SPARSE_TILE (a multiple of 64) inside the block, so element j of a
 * tile sits in lane j % 64; a dropped element adds +0 * +0 as the spec's does. */
static int32_t squares_body(void *ctx) {
    const sce_call *c = ctx;
    const mk_kernel_table *k = mk_active();
    const int32_t m = c->n_models;
    float b[MK_SPARSE_TILE] __attribute__((aligned(64)));
    uint32_t keys[MK_SPARSE_TILE];
    for (int64_t l = 0; l < (int64_t)m * MK_RED_LANES; l++) {
        c->lanes[l] = 0.0;
    }
    for (int64_t from = 0; from < c->n; from += MK_SPARSE_TILE) {
        int64_t len = c->n - from < MK_SPARSE_TILE ? c->n - from : MK_SPARSE_TILE;
        load_tiles(c, k, from, len, b);
        if (c->keep_from > 0) {
            k->sce_variance_keys(c->t, m, len, keys);
        }
        for (int32_t i = 0; i < m; i++) {
            const float *ti = c->t + (int64_t)i * MK_SPARSE_TILE;
            double *a = c->lanes + (int64_t)i * MK_RED_LANES;
            for (int64_t j = 0; j < len; j++) {
                const int keep = c->keep_from == 0 || (int64_t)keys[j] >= c->keep_from;
                const double v = keep ? (double)ti[j] : 0.0;
                a[j & (MK_RED_LANES - 1)] += v * v;
            }
        }
    }
    for (int32_t i = 0; i < m; i++) {
        c->squares[i] = fold(c->lanes + (int64_t)i * MK_RED_LANES);
    }
    return MK_OK;
}

/* Runs body with n_models task-vector tiles and lane sets: on the stack for the usual few models,
 * else allocated. */
static int32_t with_tiles(sce_call *c, int32_t (*body)(void *)) {
    float stack_t[8 * MK_SPARSE_TILE] __attribute__((aligned(64)));
    double stack_lanes[8 * MK_RED_LANES] __attribute__((aligned(64)));
    c->t = stack_t;
    c->lanes = stack_lanes;
    if (c->n_models > 8) {
        c->t = aligned_alloc(64, (size_t)c->n_models * MK_SPARSE_TILE * sizeof(float));
        c->lanes = aligned_alloc(64, (size_t)c->n_models * MK_RED_LANES * sizeof(double));
        if (c->t == NULL || c->lanes == NULL) {
            free(c->t);
            free(c->lanes);
            return MK_E_ARGUMENT; /* the ABI has no out-of-memory status; n_models is what was too large */
        }
    }
    const int32_t status = mk_guarded(body, c);
    if (c->t != stack_t) {
        free(c->t);
        free(c->lanes);
    }
    return status;
}

int32_t mk_sce_histogram(int32_t n_models, const void *const *inputs, const int32_t *input_types, const void *base,
                         int32_t base_type, int64_t n, int32_t high, int64_t *hist) {
    int32_t status = check(n_models, inputs, input_types, base, base_type, n);
    if (status != MK_OK) {
        return status;
    }
    if (high >= (1 << 15)) {
        return MK_E_ARGUMENT;
    }
    if (hist == NULL) {
        return MK_E_NULL;
    }
    sce_call c = inputs_of(n_models, inputs, input_types, base, base_type, n);
    c.high = high;
    c.hist = hist;
    return n == 0 ? MK_OK : with_tiles(&c, histogram_body);
}

int32_t mk_sce_merge(int32_t n_models, const void *const *inputs, const int32_t *input_types, const void *base,
                     int32_t base_type, void *out, int32_t out_type, const float *weights, int64_t keep_from,
                     int64_t n) {
    int32_t status = check(n_models, inputs, input_types, base, base_type, n);
    if (status != MK_OK) {
        return status;
    }
    if (keep_from < 0 || keep_from > ((int64_t)1 << 31)) {
        return MK_E_ARGUMENT;
    }
    if (out == NULL || weights == NULL) {
        return MK_E_NULL;
    }
    if (mk_dtype_size(out_type) == 0) {
        return MK_E_DTYPE;
    }
    sce_call c = inputs_of(n_models, inputs, input_types, base, base_type, n);
    c.out = out;
    c.out_type = out_type;
    c.weights = weights;
    c.keep_from = keep_from;
    return n == 0 ? MK_OK : with_tiles(&c, merge_body);
}

int32_t mk_sce_squares(int32_t n_models, const void *const *inputs, const int32_t *input_types, const void *base,
                       int32_t base_type, int64_t keep_from, int64_t n, double *out) {
    int32_t status = check(n_models, inputs, input_types, base, base_type, n);
    if (status != MK_OK) {
        return status;
    }
    if (n == 0 || n > MK_RED_BLOCK || keep_from < 0 || keep_from > ((int64_t)1 << 31)) {
        return MK_E_ARGUMENT;
    }
    if (out == NULL) {
        return MK_E_NULL;
    }
    sce_call c = inputs_of(n_models, inputs, input_types, base, base_type, n);
    c.keep_from = keep_from;
    c.squares = out;
    return with_tiles(&c, squares_body);
}
