/*
 * mk_pair_sums: numerics §4's pair sums of one span (blocks of a group of vectors). Vectors along
 * contiguous memory (element_stride 1) are read in tiles along each vector, a tile starting at a
 * multiple of 64 inside its block so the table's pair_lanes puts each element in its lane; any other
 * vectors MK_PAIR_GROUP side by side, one row (element k of each) at a time, with the lanes laid out
 * [pair][lane][vector] so the table's pair_rows runs along contiguous memory. Widening and the task
 * vector (a float32 subtraction) are done once per element for all pairs; the fold and the output
 * order are this file's.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "fp_scalar.h"
#include "kernels.h"

/* Vectors reduced side by side when reading across them. */
#define MK_PAIR_GROUP 256

typedef struct pair_call {
    int32_t n_inputs;
    const void *const *inputs;
    const int32_t *input_types;
    const void *base;
    int32_t base_type;
    int32_t n_pairs;
    const int32_t *pairs;
    int64_t first;
    int64_t element_stride;
    int64_t vector_stride;
    int32_t vectors;
    int64_t length;
    int64_t first_block;
    int32_t blocks;
    double *out;
    float *tiles;  /* n_inputs tiles of MK_TILE floats (>= MK_PAIR_GROUP), allocated by the caller */
    double *lanes; /* n_pairs * 64 (along) or n_pairs * 64 * MK_PAIR_GROUP (across) doubles, likewise */
} pair_call;

/* numerics §4's pairwise fold of the 64 lanes: p[l] = p[l] + p[l + s] for s = 32..1. */
static double fold(double *p) {
    for (int s = MK_RED_LANES / 2; s >= 1; s >>= 1) {
        for (int l = 0; l < s; l++) {
            p[l] = p[l] + p[l + s];
        }
    }
    return p[0];
}

/* len elements at, at + stride, ... of a MK_DTYPE_* run, widened into dst. */
static void gather(const mk_kernel_table *k, const void *p, int32_t t, int64_t at, int64_t stride, int64_t len,
                   float *dst) {
    if (stride == 1) {
        k->widen((const char *)p + at * mk_dtype_size(t), t, len, dst);
        return;
    }
    for (int64_t c = 0; c < len; c++) {
        dst[c] = mk_load(p, t, at + c * stride);
    }
}

/* Every input's values (task vectors with a base) of len elements from element at, stride apart. */
static void load(const mk_kernel_table *k, const pair_call *c, int64_t at, int64_t stride, int64_t len, float *b) {
    for (int32_t i = 0; i < c->n_inputs; i++) {
        gather(k, c->inputs[i], c->input_types[i], at, stride, len, c->tiles + (int64_t)i * MK_TILE);
    }
    if (c->base == NULL) {
        return;
    }
    gather(k, c->base, c->base_type, at, stride, len, b);
    for (int32_t i = 0; i < c->n_inputs; i++) {
        float *t = c->tiles + (int64_t)i * MK_TILE;
        for (int64_t j = 0; j < len; j++) {
            t[j] = t[j] - b[j];
        }
    }
}

static double *out_at(const pair_call *c, int64_t v, int64_t blk) {
    return c->out + (v * c->blocks + blk) * c->n_pairs;
}

static void along(const mk_kernel_table *k, const pair_call *c, float *b) {
    for (int64_t v = 0; v < c->vectors; v++) {
        for (int64_t blk = 0; blk < c->blocks; blk++) {
            int64_t from = (c->first_block + blk) * MK_RED_BLOCK;
            int64_t end = from + MK_RED_BLOCK < c->length ? from + MK_RED_BLOCK : c->length;
            memset(c->lanes, 0, sizeof(double) * MK_RED_LANES * (size_t)c->n_pairs);
            for (int64_t kk = from; kk < end; kk += MK_TILE) {
                int64_t len = end - kk < MK_TILE ? end - kk : MK_TILE;
                load(k, c, c->first + kk + v * c->vector_stride, 1, len, b);
                for (int32_t q = 0; q < c->n_pairs; q++) {
                    k->pair_lanes(c->tiles + (int64_t)c->pairs[2 * q] * MK_TILE,
                                  c->tiles + (int64_t)c->pairs[2 * q + 1] * MK_TILE, len,
                                  c->lanes + (int64_t)q * MK_RED_LANES);
                }
            }
            for (int32_t q = 0; q < c->n_pairs; q++) {
                out_at(c, v, blk)[q] = fold(c->lanes + (int64_t)q * MK_RED_LANES);
            }
        }
    }
}

static void across(const mk_kernel_table *k, const pair_call *c, float *b) {
    const int64_t group = MK_PAIR_GROUP;
    double p[MK_RED_LANES];
    for (int64_t v0 = 0; v0 < c->vectors; v0 += group) {
        int64_t g = c->vectors - v0 < group ? c->vectors - v0 : group;
        for (int64_t blk = 0; blk < c->blocks; blk++) {
            int64_t from = (c->first_block + blk) * MK_RED_BLOCK;
            int64_t end = from + MK_RED_BLOCK < c->length ? from + MK_RED_BLOCK : c->length;
            memset(c->lanes, 0, sizeof(double) * MK_RED_LANES * (size_t)group * (size_t)c->n_pairs);
            for (int64_t kk = from; kk < end; kk++) {
                load(k, c, c->first + kk * c->element_stride + v0 * c->vector_stride, c->vector_stride, g, b);
                double *row = c->lanes + (kk % MK_RED_LANES) * group;
                for (int32_t q = 0; q < c->n_pairs; q++) {
                    k->pair_rows(c->tiles + (int64_t)c->pairs[2 * q] * MK_TILE,
                                 c->tiles + (int64_t)c->pairs[2 * q + 1] * MK_TILE, g,
                                 row + (int64_t)q * MK_RED_LANES * group);
                }
            }
            for (int32_t q = 0; q < c->n_pairs; q++) {
                const double *lanes = c->lanes + (int64_t)q * MK_RED_LANES * group;
                for (int64_t v = 0; v < g; v++) {
                    for (int l = 0; l < MK_RED_LANES; l++) {
                        p[l] = lanes[l * group + v];
                    }
                    out_at(c, v0 + v, blk)[q] = fold(p);
                }
            }
        }
    }
}

/* The reading part, under the SIGBUS guard (fault_guard.c); allocates nothing. */
static int32_t pair_body(void *ctx) {
    const pair_call *c = ctx;
    const mk_kernel_table *k = mk_active();
    float b[MK_TILE] __attribute__((aligned(64)));
    if (c->element_stride == 1) {
        along(k, c, b);
    } else {
        across(k, c, b);
    }
    return MK_OK;
}

int32_t mk_pair_sums(int32_t n_inputs, const void *const *inputs, const int32_t *input_types, const void *base,
                     int32_t base_type, int32_t n_pairs, const int32_t *pairs, int64_t first, int64_t element_stride,
                     int64_t vector_stride, int32_t vectors, int64_t length, int64_t first_block, int32_t blocks,
                     double *out) {
    if (n_inputs < 0 || n_pairs < 0 || element_stride < 1 || vector_stride < 0 || vectors < 1 ||
        length < 1 || first_block < 0 || blocks < 1 || first_block + blocks > (length + MK_RED_BLOCK - 1) / MK_RED_BLOCK ||
        first + first_block * MK_RED_BLOCK * element_stride < 0) {
        return MK_E_ARGUMENT;
    }
    if ((n_inputs > 0 && (inputs == NULL || input_types == NULL)) || (n_pairs > 0 && (pairs == NULL || out == NULL))) {
        return MK_E_NULL;
    }
    if (base != NULL && mk_dtype_size(base_type) == 0) {
        return MK_E_DTYPE;
    }
    int32_t status = mk_check_inputs(n_inputs, inputs, input_types, 1);
    if (status != MK_OK) {
        return status;
    }
    for (int32_t q = 0; q < 2 * n_pairs; q++) {
        if (pairs[q] < 0 || pairs[q] >= n_inputs) {
            return MK_E_ARGUMENT;
        }
    }
    if (n_pairs == 0) {
        return MK_OK;
    }
    size_t lanes = (size_t)n_pairs * MK_RED_LANES * (element_stride == 1 ? 1 : MK_PAIR_GROUP);
    float *tiles = malloc(sizeof(float) * MK_TILE * (size_t)n_inputs);
    double *lane_buf = malloc(sizeof(double) * lanes);
    if (tiles == NULL || lane_buf == NULL) {
        free(tiles);
        free(lane_buf);
        return MK_E_ARGUMENT; /* the ABI has no out-of-memory status; n_pairs is what was too large */
    }
    const pair_call c = {n_inputs, inputs, input_types, base, base_type, n_pairs, pairs, first, element_stride,
                         vector_stride, vectors, length, first_block, blocks, out, tiles, lane_buf};
    status = mk_guarded(pair_body, (void *)&c);
    free(lane_buf);
    free(tiles);
    return status;
}
