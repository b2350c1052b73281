/*
 * mk_sparse_merge: argument checks, then the tile driver. Per tile of MK_SPARSE_TILE elements the
 * base is widened once, each model's values v_i = w_i * sparsified(t_i) go to their own tile (with
 * that model's Philox uniforms first when the drop is random), and one combine pass elects, sums,
 * divides, adds the base back and narrows. Each input is read once and the output written once;
 * the output check, when asked, looks at each tile's output while it is in L1.
 * mk_sparse_kept_counts runs the same value tiles and counts instead of combining (integer counts,
 * scalar on every path: the values are the table's).
 */
#include <stdlib.h>

#include "kernels.h"
#include "sparse_ranks.h"
#include "sparse_scalar.h"

static uint32_t clamp_bound(int64_t b) {
    return b > (int64_t)MK_SPARSE_BOUND ? MK_SPARSE_BOUND : (uint32_t)b;
}

/* mk_sparse_merge's arguments and scratch, for the guarded tile loop. */
typedef struct merge_call {
    int32_t n_models;
    const void *const *inputs;
    const int32_t *input_types;
    const void *base;
    int32_t base_type;
    void *out;
    int32_t out_type;
    const float *weights;
    const int64_t *keep_from;
    const int64_t *keep_below;
    int32_t random;
    const float *keep_prob;
    const float *divisor;
    int32_t election;
    int32_t flags;
    float sum_divisor;
    float lambda;
    uint64_t seed;
    uint32_t tensor_id;
    int64_t start;
    int64_t n;
    const double *rank_low;
    const double *rank_span;
    const float *rank_single;
    float *v;            /* n_models value tiles, allocated by the caller */
    mk_row_ranks *ranks; /* DELLA's scratch, allocated by the caller */
    int64_t *first;      /* NULL: no output check; else -1 on entry */
    int64_t *counts;     /* mk_sparse_kept_counts: its 2 * n_models counts; NULL for the merge */
} merge_call;

/* Tile scratch: the widened base, one model's uniforms, DELLA's per-element probabilities. */
typedef struct tile_scratch {
    float b[MK_SPARSE_TILE] __attribute__((aligned(64)));
    float u[MK_SPARSE_TILE] __attribute__((aligned(64)));
    float pr[MK_SPARSE_TILE] __attribute__((aligned(64)));
} tile_scratch;

/* The value tiles c->v of elements from..from+len of the call (0 < len <= MK_SPARSE_TILE): widen the
 * base into s->b, then each model's values (its Philox uniforms first when the drop is random). */
static void tile_values(const merge_call *c, const mk_kernel_table *k, int64_t from, int64_t len, tile_scratch *s) {
    const int32_t base_type = c->base_type, random = c->random;
    const int by_prob = (c->flags & MK_SPARSE_DIVIDE_BY_PROB) != 0;
    const int64_t e = c->start + from; /* absolute index of the first element */
    float *b = s->b, *u = s->u, *pr = s->pr;
    k->widen((const char *)c->base + e * mk_dtype_size(base_type), base_type, len, b);
    for (int32_t i = 0; i < c->n_models; i++) {
        uint32_t lo = clamp_bound(c->keep_from[i]);
        uint32_t hi = clamp_bound(c->keep_below[i]);
        const float *ui = NULL;
        float p = c->keep_prob[i];
        if (random == MK_RANDOM_FIXED) {
            /* u lies in [0, 1 - 2^-24]: p >= 1 keeps every element and p <= 0 (or NaN) none, with
             * no draw needed; the decisions are the spec's u < p either way. */
            if (!(p > 0.0f)) {
                lo = MK_SPARSE_BOUND; /* above every key: keep nothing */
            } else if (p < 1.0f) {
                k->philox_uniform(c->seed, c->tensor_id, (uint32_t)i, e, len, u);
                ui = u;
            }
        }
        const char *x = (const char *)c->inputs[i] + e * mk_dtype_size(c->input_types[i]);
        float *vi = c->v + (int64_t)i * MK_SPARSE_TILE;
        if (random == MK_RANDOM_RANKED) {
            /* Per-element p from the element's rank; the arithmetic is the scalar reference's,
             * the uniforms the table's (bit-identical on every path). */
            mk_ranked_probs(c->ranks, i, c->inputs[i], c->input_types[i], c->base, base_type, c->rank_low[i],
                            c->rank_span[i], c->rank_single[i], e, len, pr);
            k->philox_uniform(c->seed, c->tensor_id, (uint32_t)i, e, len, u);
            float w = mk_value_weight(c->election, c->weights, i);
            float d = c->divisor[i];
            k->widen(x, c->input_types[i], len, vi); /* widened x first, then t in place */
            for (int64_t j = 0; j < len; j++) {
                float t = vi[j] - b[j];
                int keep = mk_ranked_keep1(t, lo, hi, u[j], pr[j]);
                vi[j] = w * mk_keep_or_zero(t / (by_prob ? pr[j] : d), keep);
            }
            continue;
        }
        k->sparse_values(x, c->input_types[i], b, len, lo, hi, ui, p, by_prob ? p : c->divisor[i],
                         mk_value_weight(c->election, c->weights, i), vi);
    }
}

/* The tile path over elements from..from+len of the call (0 < len <= MK_SPARSE_TILE): the value
 * tiles, then one combine. */
static void tile_path(const merge_call *c, const mk_kernel_table *k, const mk_sparse_args *args, int64_t from,
                      int64_t len, tile_scratch *s) {
    tile_values(c, k, from, len, s);
    k->sparse_combine(args, c->v, s->b, len, (char *)c->out + from * mk_dtype_size(c->out_type));
}

/* One call's scratch: a value tile per model (on the stack for the usual few models, else one
 * allocation) and, for DELLA, the row ranks (sparse_ranks.h); scratch_close frees both. */
typedef struct call_scratch {
    float stack_v[8 * MK_SPARSE_TILE] __attribute__((aligned(64)));
    float *v;
    mk_row_ranks ranks;
    int ranked;
} call_scratch;

static int32_t scratch_open(call_scratch *s, int32_t n_models, int32_t random, int64_t row_length) {
    s->v = s->stack_v;
    s->ranked = 0;
    if (n_models > 8) {
        s->v = aligned_alloc(64, (size_t)n_models * MK_SPARSE_TILE * sizeof(float));
        if (s->v == NULL) {
            return MK_E_ARGUMENT; /* the ABI has no out-of-memory status; n_models is what was too large */
        }
    }
    if (random == MK_RANDOM_RANKED) {
        if (mk_row_ranks_init(&s->ranks, n_models, row_length) != 0) {
            if (s->v != s->stack_v) {
                free(s->v);
            }
            return MK_E_ARGUMENT; /* no out-of-memory status: the row is what was too long */
        }
        s->ranked = 1;
    }
    return MK_OK;
}

static void scratch_close(call_scratch *s) {
    if (s->v != s->stack_v) {
        free(s->v);
    }
    if (s->ranked) {
        mk_row_ranks_free(&s->ranks);
    }
}

/* The tile loop: everything that reads the inputs, under the SIGBUS guard (fault_guard.c); allocates nothing. */
static int32_t merge_tiles(void *ctx) {
    const merge_call *c = ctx;
    const int32_t n_models = c->n_models, base_type = c->base_type, out_type = c->out_type;
    const int64_t n = c->n;
    tile_scratch scratch;
    const mk_kernel_table *k = mk_active();
    const mk_sparse_args args = {n_models, c->weights, c->election, (c->flags & MK_SPARSE_NORMALIZE) != 0,
                                 c->sum_divisor, c->lambda, out_type};
    /* The register-resident path takes what it can of each tile (sparse_direct); its bounds once. */
    int32_t direct_type = c->random == MK_RANDOM_NONE && n_models <= 4 ? base_type : 0;
    uint32_t direct_from[4], direct_below[4];
    for (int32_t i = 0; i < n_models && direct_type != 0; i++) {
        direct_type = c->input_types[i] == base_type ? direct_type : 0;
        direct_from[i] = clamp_bound(c->keep_from[i]);
        direct_below[i] = clamp_bound(c->keep_below[i]);
    }
    for (int64_t from = 0; from < n; from += MK_SPARSE_TILE) {
        const int64_t len = n - from < MK_SPARSE_TILE ? n - from : MK_SPARSE_TILE;
        char *tile = (char *)c->out + from * mk_dtype_size(out_type);
        const int64_t done = direct_type == 0 ? 0
                                              : k->sparse_direct(&args, c->inputs, direct_type, c->base, c->start + from,
                                                                 len, direct_from, direct_below, c->divisor, tile);
        if (done < len) {
            tile_path(c, k, &args, from + done, len - done, &scratch);
        }
        if (c->first != NULL && *c->first < 0) {
            int64_t at = k->first_nonfinite(tile, (int32_t)mk_dtype_size(out_type), mk_nonfinite_lane(out_type), len);
            *c->first = at < 0 ? -1 : from + at;
        }
    }
    return MK_OK;
}

int32_t mk_sparse_merge(int32_t n_models, const void *const *inputs, const int32_t *input_types, const void *base,
                        int32_t base_type, void *out, int32_t out_type, const float *weights,
                        const int64_t *keep_from, const int64_t *keep_below, int32_t random, const float *keep_prob,
                        const float *divisor, int32_t election, int32_t flags, float sum_divisor, float lambda,
                        uint64_t seed, uint32_t tensor_id, int64_t start, int64_t n, int64_t row_length,
                        const double *rank_low, const double *rank_span, const float *rank_single,
                        int64_t *first_nonfinite) {
    const int32_t known = MK_SPARSE_NORMALIZE | MK_SPARSE_DIVIDE_BY_PROB;
    if (n < 0 || start < 0 || n_models < 0 || (flags & ~known) != 0 || election < MK_ELECT_NONE ||
        election > MK_ELECT_LONE || random < MK_RANDOM_NONE || random > MK_RANDOM_RANKED ||
        ((flags & MK_SPARSE_DIVIDE_BY_PROB) != 0 && random == MK_RANDOM_NONE) ||
        (random == MK_RANDOM_RANKED && row_length < 1)) {
        return MK_E_ARGUMENT;
    }
    if (random == MK_RANDOM_RANKED && n_models > 0 && (rank_low == NULL || rank_span == NULL || rank_single == NULL)) {
        return MK_E_NULL;
    }
    if (n_models > 0 && (inputs == NULL || input_types == NULL || weights == NULL || keep_from == NULL ||
                         keep_below == NULL || keep_prob == NULL || divisor == NULL)) {
        return MK_E_NULL;
    }
    if (mk_dtype_size(out_type) == 0 || mk_dtype_size(base_type) == 0) {
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
    if (base == NULL || out == NULL) {
        return MK_E_NULL;
    }
    call_scratch scratch;
    const int32_t opened = scratch_open(&scratch, n_models, random, row_length);
    if (opened != MK_OK) {
        return opened;
    }
    const merge_call call = {n_models, inputs, input_types, base, base_type, out, out_type, weights, keep_from,
                             keep_below, random, keep_prob, divisor, election, flags, sum_divisor, lambda, seed,
                             tensor_id, start, n, rank_low, rank_span, rank_single, scratch.v, &scratch.ranks, first_nonfinite,
                             NULL};
    const int32_t status = mk_guarded(merge_tiles, (void *)&call);
    scratch_close(&scratch);
    return status;
}

/* mk_sparse_kept_counts' loop: every tile's values as the merge forms them, then per element the count
 * c of nonzero, non-NaN values and per model its shared (c > 1) and lone (c == 1) ones; under the
 * SIGBUS guard, allocating nothing. */
static int32_t count_tiles(void *ctx) {
    const merge_call *c = ctx;
    const int32_t n_models = c->n_models;
    const mk_kernel_table *k = mk_active();
    tile_scratch scratch;
    int32_t count[MK_SPARSE_TILE];
    int64_t *counts = c->counts;
    for (int64_t from = 0; from < c->n; from += MK_SPARSE_TILE) {
        const int64_t len = c->n - from < MK_SPARSE_TILE ? c->n - from : MK_SPARSE_TILE;
        tile_values(c, k, from, len, &scratch);
        for (int64_t j = 0; j < len; j++) {
            count[j] = 0;
        }
        for (int32_t i = 0; i < n_models; i++) {
            const float *vi = c->v + (int64_t)i * MK_SPARSE_TILE;
            for (int64_t j = 0; j < len; j++) {
                count[j] += mk_kept_value(vi[j]);
            }
        }
        for (int32_t i = 0; i < n_models; i++) {
            const float *vi = c->v + (int64_t)i * MK_SPARSE_TILE;
            int64_t shared = 0, lone = 0;
            for (int64_t j = 0; j < len; j++) {
                const int32_t kept = mk_kept_value(vi[j]);
                shared += kept & (count[j] > 1);
                lone += kept & (count[j] == 1);
            }
            counts[2 * i] += shared;
            counts[2 * i + 1] += lone;
        }
    }
    return MK_OK;
}

int32_t mk_sparse_kept_counts(int32_t n_models, const void *const *inputs, const int32_t *input_types,
                              const void *base, int32_t base_type, const float *weights, const int64_t *keep_from,
                              const int64_t *keep_below, int32_t random, const float *keep_prob,
                              const float *divisor, int32_t election, int32_t flags, uint64_t seed,
                              uint32_t tensor_id, int64_t start, int64_t n, int64_t row_length,
                              const double *rank_low, const double *rank_span, const float *rank_single,
                              int64_t *counts) {
    const int32_t known = MK_SPARSE_NORMALIZE | MK_SPARSE_DIVIDE_BY_PROB;
    if (n < 0 || start < 0 || n_models < 0 || (flags & ~known) != 0 || election < MK_ELECT_NONE ||
        election > MK_ELECT_LONE || random < MK_RANDOM_NONE || random > MK_RANDOM_RANKED ||
        ((flags & MK_SPARSE_DIVIDE_BY_PROB) != 0 && random == MK_RANDOM_NONE) ||
        (random == MK_RANDOM_RANKED && row_length < 1)) {
        return MK_E_ARGUMENT;
    }
    if (random == MK_RANDOM_RANKED && n_models > 0 && (rank_low == NULL || rank_span == NULL || rank_single == NULL)) {
        return MK_E_NULL;
    }
    if (n_models > 0 && (inputs == NULL || input_types == NULL || weights == NULL || keep_from == NULL ||
                         keep_below == NULL || keep_prob == NULL || divisor == NULL || counts == NULL)) {
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
        if (inputs[i] == NULL && n > 0) {
            return MK_E_NULL;
        }
    }
    if (n == 0 || n_models == 0) {
        return MK_OK;
    }
    if (base == NULL) {
        return MK_E_NULL;
    }
    call_scratch scratch;
    const int32_t opened = scratch_open(&scratch, n_models, random, row_length);
    if (opened != MK_OK) {
        return opened;
    }
    /* The merge's call without an output (the values need no out, sum_divisor or lambda). */
    const merge_call call = {n_models, inputs, input_types, base, base_type, NULL, MK_DTYPE_F32, weights, keep_from,
                             keep_below, random, keep_prob, divisor, election, flags, 0.0f, 1.0f, seed,
                             tensor_id, start, n, rank_low, rank_span, rank_single, scratch.v, &scratch.ranks, NULL, counts};
    const int32_t status = mk_guarded(count_tiles, (void *)&call);
    scratch_close(&scratch);
    return status;
}
