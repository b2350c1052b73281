/*
 * DELLA's row ranks (numerics §3; the spec is kernel/RowRanks): in each row of L elements the
 * magnitude keys of τ = x − b ranked ascending, ties by column, rank 1 the smallest. A block ranks one
 * (model, row) pair with a stable LSD radix sort of (key << 32 | column) on the key's eight 4-bit
 * digits: each thread owns a contiguous segment of the row, counts its digits, the counts are
 * scanned digit-major and thread-minor, and each thread scatters its segment in order, so equal
 * digits keep their order and the columns (ascending at the start) break every tie.
 *
 * Phases: 0 keys; then per pass (count, scan, scatter); last, ranks from positions.
 */
#ifndef MKCU_RANKS_CUH
#define MKCU_RANKS_CUH

#include "mkcu_sparse.cuh"

#define MKCU_RANK_THREADS 256
#define MKCU_RANK_DIGITS 16
#define MKCU_RANK_PASSES 8
#define MKCU_RANK_PHASES (2 + 3 * MKCU_RANK_PASSES)

typedef struct mkcu_ranks_args {
    uint64_t inputs[MKCU_MAX_MODELS];
    int32_t input_types[MKCU_MAX_MODELS];
    uint64_t base;
    uint64_t ranks;   /* int32 out: model i, row r, column k at i·rows·L + r·L + k */
    uint64_t scratch; /* 2·L uint64 per block of the launch */
    int64_t origin;   /* absolute index of device element 0 */
    int64_t first_row; /* absolute row index of row 0 */
    int64_t rows;
    int64_t row_length;
    int64_t pair_first; /* this launch's blocks rank pairs pair_first … (model-major) */
    int32_t n_models;
    int32_t base_type;
} mkcu_ranks_args;

typedef struct mkcu_ranks_shared {
    uint32_t count[MKCU_RANK_DIGITS][MKCU_RANK_THREADS];
    uint32_t total[MKCU_RANK_DIGITS];
} mkcu_ranks_shared;

EXMERGE_HD void mkcu_ranks_body(const mkcu_ranks_args *a, mkcu_ctx c, int phase, mkcu_ranks_shared *s) {
    const int64_t pair = a->pair_first + c.block;
    if (pair >= (int64_t)a->n_models * a->rows || c.thread >= MKCU_RANK_THREADS) {
        return;
    }
    const int32_t i = (int32_t)(pair / a->rows);
    const int64_t r = pair % a->rows;
    const int64_t L = a->row_length;
    const int64_t seg = (L + c.threads - 1) / c.threads;
    const int64_t lo = (int64_t)c.thread * seg < L ? (int64_t)c.thread * seg : L;
    const int64_t hi = lo + seg < L ? lo + seg : L;
    uint64_t *buf0 = (uint64_t *)mkcu_out_ptr(a->scratch) + (int64_t)c.block * 2 * L;
    uint64_t *buf1 = buf0 + L;
    if (phase == 0) {
        const int64_t row0 = (a->first_row + r) * L - a->origin;
        for (int64_t k = lo; k < hi; k++) {
            const float t = mkcu_load(mkcu_ptr(a->inputs[i]), a->input_types[i], row0 + k)
                            - mkcu_load(mkcu_ptr(a->base), a->base_type, row0 + k);
            buf0[k] = ((uint64_t)mkcu_magnitude_key(t) << 32) | (uint64_t)k;
        }
        return;
    }
    if (phase == MKCU_RANK_PHASES - 1) { /* eight passes: the sorted keys are back in buf0 */
        int32_t *rank = (int32_t *)mkcu_out_ptr(a->ranks) + (int64_t)i * a->rows * L + r * L;
        for (int64_t q = lo; q < hi; q++) {
            rank[(uint32_t)buf0[q]] = (int32_t)(q + 1);
        }
        return;
    }
    const int pass = (phase - 1) / 3;
    const int step = (phase - 1) % 3;
    const int shift = 32 + 4 * pass;
    const uint64_t *src = (pass & 1) ? buf1 : buf0;
    uint64_t *dst = (pass & 1) ? buf0 : buf1;
    if (step == 0) {
        for (int d = 0; d < MKCU_RANK_DIGITS; d++) {
            s->count[d][c.thread] = 0;
        }
        for (int64_t q = lo; q < hi; q++) {
            s->count[(src[q] >> shift) & 0xF][c.thread]++;
        }
    } else if (step == 1) {
        if (c.thread < MKCU_RANK_DIGITS) { /* exclusive prefix over the threads of one digit */
            uint32_t run = 0;
            for (uint32_t t = 0; t < c.threads; t++) {
                const uint32_t k = s->count[c.thread][t];
                s->count[c.thread][t] = run;
                run += k;
            }
            s->total[c.thread] = run;
        }
    } else {
        uint32_t at[MKCU_RANK_DIGITS];
        uint32_t below = 0;
        for (int d = 0; d < MKCU_RANK_DIGITS; d++) {
            at[d] = below + s->count[d][c.thread];
            below += s->total[d];
        }
        for (int64_t q = lo; q < hi; q++) {
            const uint64_t v = src[q];
            dst[at[(v >> shift) & 0xF]++] = v;
        }
    }
}

#endif
