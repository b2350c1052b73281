/*
 * mk_sparse_norms: one numerics §4 block of rescale_norm's norms, before and after the drop, per model.
 * The keep decision is mk_sparse_merge's (same band clamp, same draw shortcuts); the lanes are the
 * table's, the fold and the block order this file's, as in api_reduce.c.
 */
#include <math.h>
#include <stddef.h>

#include "sparse_ranks.h"
#include "sparse_scalar.h"

static uint32_t clamp_bound(int64_t b) {
    return b > (int64_t)MK_SPARSE_BOUND ? MK_SPARSE_BOUND : (uint32_t)b;
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

/* mk_sparse_norms' arguments and scratch, for the guarded loop. */
typedef struct norms_call {
    int32_t n_models;
    const void *const *inputs;
    const int32_t *input_types;
    const void *base;
    int32_t base_type;
    const int64_t *keep_from;
    const int64_t *keep_below;
    int32_t random;
    const float *keep_prob;
    uint64_t seed;
    uint32_t tensor_id;
    int32_t norm;
    int64_t block_start;
    int64_t len;
    double *out;
    const double *rank_low;
    const double *rank_span;
    const float *rank_single;
    int ranked;
    mk_row_ranks *ranks; /* DELLA's scratch, allocated by the caller */
} norms_call;

/* Everything that reads the inputs, under the SIGBUS guard (fault_guard.c); allocates nothing. */
static int32_t norms_body(void *ctx) {
    const norms_call *c = ctx;
    const int32_t n_models = c->n_models, base_type = c->base_type, random = c->random, norm = c->norm;
    const void *const *inputs = c->inputs;
    const int32_t *input_types = c->input_types;
    const void *base = c->base;
    const int64_t *keep_from = c->keep_from, *keep_below = c->keep_below;
    const float *keep_prob = c->keep_prob;
    const uint64_t seed = c->seed;
    const uint32_t tensor_id = c->tensor_id;
    const int64_t block_start = c->block_start, len = c->len;
    double *out = c->out;
    const int ranked = c->ranked;
    mk_row_ranks *ranks = c->ranks;
    const mk_kernel_table *k = mk_active();
    float b[MK_SPARSE_TILE] __attribute__((aligned(64)));
    float u[MK_SPARSE_TILE] __attribute__((aligned(64)));
    float pr[MK_SPARSE_TILE] __attribute__((aligned(64)));
    for (int32_t i = 0; i < n_models; i++) {
        double before[MK_RED_LANES] = {0};
        double after[MK_RED_LANES] = {0};
        double max_before = 0.0, max_after = 0.0;
        uint32_t lo = clamp_bound(keep_from[i]);
        uint32_t hi = clamp_bound(keep_below[i]);
        float p = keep_prob[i];
        int draw = 0;
        if (random == MK_RANDOM_FIXED) {
            if (!(p > 0.0f)) {
                lo = MK_SPARSE_BOUND; /* u < p never holds: keep nothing (u lies in [0, 1 - 2^-24]) */
            } else if (p < 1.0f) {
                draw = 1; /* p >= 1: u < p always holds, no draw needed */
            }
        }
        /* Tiles start at multiples of MK_SPARSE_TILE (a multiple of 64) in the block, so an element's
         * index in its tile has the lane of its index in the block. */
        for (int64_t from = 0; from < len; from += MK_SPARSE_TILE) {
            int64_t tl = len - from < MK_SPARSE_TILE ? len - from : MK_SPARSE_TILE;
            int64_t e = block_start + from;
            k->widen((const char *)base + e * mk_dtype_size(base_type), base_type, tl, b);
            if (draw) {
                k->philox_uniform(seed, tensor_id, (uint32_t)i, e, tl, u);
            }
            const char *x = (const char *)inputs[i] + e * mk_dtype_size(input_types[i]);
            if (ranked) {
                /* Per-element p from the element's rank, scalar on every path (the uniforms are the table's). */
                mk_ranked_probs(ranks, i, inputs[i], input_types[i], base, base_type, c->rank_low[i], c->rank_span[i],
                                c->rank_single[i], e, tl, pr);
                k->philox_uniform(seed, tensor_id, (uint32_t)i, e, tl, u);
                for (int64_t j = 0; j < tl; j++) {
                    float t = mk_load(x, input_types[i], j) - b[j];
                    int keep = mk_ranked_keep1(t, lo, hi, u[j], pr[j]);
                    if (norm == MK_NORM_LINF) {
                        double a = fabs((double)t);
                        max_before = mk_java_max(max_before, a);
                        if (keep) {
                            max_after = mk_java_max(max_after, a);
                        }
                    } else {
                        mk_sparse_norm1(t, keep, norm, before + (j & (MK_RED_LANES - 1)),
                                        after + (j & (MK_RED_LANES - 1)));
                    }
                }
            } else if (norm == MK_NORM_LINF) {
                for (int64_t j = 0; j < tl; j++) {
                    float t = mk_load(x, input_types[i], j) - b[j];
                    double a = fabs((double)t);
                    max_before = mk_java_max(max_before, a);
                    if (mk_sparse_keep1(t, lo, hi, draw ? u + j : NULL, p)) {
                        max_after = mk_java_max(max_after, a);
                    }
                }
            } else {
                k->sparse_norm_lanes(x, input_types[i], b, tl, lo, hi, draw ? u : NULL, p, norm, before, after);
            }
        }
        out[2 * i] = norm == MK_NORM_LINF ? max_before : fold(before);
        out[2 * i + 1] = norm == MK_NORM_LINF ? max_after : fold(after);
    }
    return MK_OK;
}

int32_t mk_sparse_norms(int32_t n_models, const void *const *inputs, const int32_t *input_types, const void *base,
                        int32_t base_type, const int64_t *keep_from, const int64_t *keep_below, int32_t random,
                        const float *keep_prob, uint64_t seed, uint32_t tensor_id, int32_t norm, int64_t block_start,
                        int64_t len, double *out, int64_t row_length, const double *rank_low,
                        const double *rank_span, const float *rank_single) {
    if (n_models < 0 || norm < MK_NORM_L1 || norm > MK_NORM_LINF || block_start < 0 || block_start % MK_RED_BLOCK != 0 ||
        len < 0 || len > MK_RED_BLOCK || random < MK_RANDOM_NONE || random > MK_RANDOM_RANKED ||
        (random == MK_RANDOM_RANKED && row_length < 1)) {
        return MK_E_ARGUMENT;
    }
    if (random == MK_RANDOM_RANKED && n_models > 0 && (rank_low == NULL || rank_span == NULL || rank_single == NULL)) {
        return MK_E_NULL;
    }
    if (n_models > 0 && (inputs == NULL || input_types == NULL || keep_from == NULL || keep_below == NULL ||
                         keep_prob == NULL || out == NULL || base == NULL)) {
        return MK_E_NULL;
    }
    if (mk_dtype_size(base_type) == 0) {
        return MK_E_DTYPE;
    }
    for (int32_t i = 0; i < n_models; i++) {
        if (mk_dtype_size(input_types[i]) == 0) {
            return MK_E_DTYPE;
        }
        if (keep_from[i] < 0 || keep_from[i] > ((int64_t)1 << 31) || keep_below[i] < 0 ||
            keep_below[i] > ((int64_t)1 << 31)) {
            return MK_E_ARGUMENT;
        }
        if (inputs[i] == NULL && len > 0) {
            return MK_E_NULL;
        }
    }
    /* DELLA: one call's row-rank scratch (sparse_ranks.h), freed below. */
    mk_row_ranks ranks;
    const int ranked = random == MK_RANDOM_RANKED && len > 0;
    if (ranked && mk_row_ranks_init(&ranks, n_models, row_length) != 0) {
        return MK_E_ARGUMENT; /* no out-of-memory status: the row is what was too long */
    }
    const norms_call call = {n_models, inputs, input_types, base, base_type, keep_from, keep_below, random, keep_prob,
                             seed, tensor_id, norm, block_start, len, out, rank_low, rank_span, rank_single, ranked,
                             &ranks};
    const int32_t status = mk_guarded(norms_body, (void *)&call);
    if (ranked) {
        mk_row_ranks_free(&ranks);
    }
    return status;
}
