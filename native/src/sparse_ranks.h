/*
 * DELLA's per-row ranks (numerics §3, org.exmerge.kernel.RowRanks): within each row of n elements the
 * magnitude keys of t = x - b ranked ascending, ties broken by column, rank 1 the smallest. Every row
 * a call touches is ranked whole, even where the call's range cuts it, so results do not depend on
 * chunking. One state per call: scratch for one row's sort keys plus a cached rank row per model
 * (consecutive tiles share rows), allocated once and freed on every path.
 */
#ifndef EXMERGE_SPARSE_RANKS_H
#define EXMERGE_SPARSE_RANKS_H

#include <stdint.h>

typedef struct mk_row_ranks {
    int64_t n;        /* row length */
    int32_t models;
    uint64_t *keys;   /* n sort keys: key << 32 | column */
    uint64_t *tmp;    /* n, the radix sort's other buffer */
    int32_t *rank;    /* models * n: 1-based ranks by column of each model's cached row */
    int64_t *row;     /* models: the cached row, -1 for none */
    float *by_rank;   /* models * n: p of ranks 1..n per model (SparseOp.rankProb), made on first use */
    uint8_t *made;    /* models: whether by_rank of the model is made */
} mk_row_ranks;

/* 0 on success, nonzero when the scratch cannot be allocated. */
int mk_row_ranks_init(mk_row_ranks *s, int32_t models, int64_t n);
void mk_row_ranks_free(mk_row_ranks *s);

/* p[j] for elements e .. e + len - 1 of model i: SparseOp.rankProb of each element's rank. */
void mk_ranked_probs(mk_row_ranks *s, int32_t i, const void *x, int32_t tx, const void *base, int32_t tb,
                     double low, double span, float single, int64_t e, int64_t len, float *p);

#endif
