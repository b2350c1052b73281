/* DELLA's row ranks and keep probabilities; see sparse_ranks.h. */
#include "sparse_ranks.h"

#include <stdlib.h>
#include <string.h>

#include "fp_scalar.h"
#include "kernels.h"

int mk_row_ranks_init(mk_row_ranks *s, int32_t models, int64_t n) {
    memset(s, 0, sizeof *s);
    s->n = n;
    s->models = models;
    if (n < 1 || models < 0 || (uint64_t)n > (SIZE_MAX / 8) / ((uint64_t)models + 1)) {
        return 1;
    }
    s->keys = malloc((size_t)n * sizeof(uint64_t));
    s->tmp = malloc((size_t)n * sizeof(uint64_t));
    s->rank = malloc((size_t)n * (size_t)(models > 0 ? models : 1) * sizeof(int32_t));
    s->row = malloc((size_t)(models > 0 ? models : 1) * sizeof(int64_t));
    s->by_rank = malloc((size_t)n * (size_t)(models > 0 ? models : 1) * sizeof(float));
    s->made = calloc((size_t)(models > 0 ? models : 1), 1);
    if (s->keys == NULL || s->tmp == NULL || s->rank == NULL || s->row == NULL || s->by_rank == NULL ||
        s->made == NULL) {
        mk_row_ranks_free(s);
        return 1;
    }
    for (int32_t i = 0; i < models; i++) {
        s->row[i] = -1;
    }
    return 0;
}

void mk_row_ranks_free(mk_row_ranks *s) {
    free(s->keys);
    free(s->tmp);
    free(s->rank);
    free(s->row);
    free(s->by_rank);
    free(s->made);
    s->by_rank = NULL;
    s->made = NULL;
    s->keys = s->tmp = NULL;
    s->rank = NULL;
    s->row = NULL;
}

static const int32_t *ranks_of_row(mk_row_ranks *s, int32_t i, const void *x, int32_t tx, const void *base,
                                   int32_t tb, int64_t r) {
    int32_t *rank = s->rank + (int64_t)i * s->n;
    if (s->row[i] == r) {
        return rank;
    }
    int64_t n = s->n;
    int64_t from = r * n;
    uint64_t *a = s->keys;
    /* Keys (widened by the active table, as every path widens), and the four 8-bit digit histograms
     * of the whole row in the same pass. */
    const mk_kernel_table *k = mk_active();
    size_t sx = mk_dtype_size(tx);
    size_t sb = mk_dtype_size(tb);
    int64_t count[4][257];
    memset(count, 0, sizeof count);
    float xs[MK_SPARSE_TILE] __attribute__((aligned(64)));
    float bs[MK_SPARSE_TILE] __attribute__((aligned(64)));
    for (int64_t c0 = 0; c0 < n; c0 += MK_SPARSE_TILE) {
        int64_t len = n - c0 < MK_SPARSE_TILE ? n - c0 : MK_SPARSE_TILE;
        k->widen((const char *)x + (from + c0) * (int64_t)sx, tx, len, xs);
        k->widen((const char *)base + (from + c0) * (int64_t)sb, tb, len, bs);
        for (int64_t j = 0; j < len; j++) {
            uint32_t key = mk_magnitude_key(xs[j] - bs[j]);
            a[c0 + j] = ((uint64_t)key << 32) | (uint64_t)(c0 + j);
            count[0][(key & 0xFF) + 1]++;
            count[1][((key >> 8) & 0xFF) + 1]++;
            count[2][((key >> 16) & 0xFF) + 1]++;
            count[3][(key >> 24) + 1]++;
        }
    }
    /* Stable LSD radix sort on the 32-bit keys in the high halves, 4 passes of 8 bits, ping-ponging
     * between keys and tmp (passes where every key shares the digit are skipped). The low halves are
     * the columns, already ascending, so the order is by (key, column): ranks are unique. */
    uint64_t *b = s->tmp;
    for (int pass = 0; pass < 4; pass++) {
        int shift = 32 + 8 * pass;
        int64_t *cnt = count[pass];
        if (cnt[((a[0] >> shift) & 0xFF) + 1] == n) {
            continue;
        }
        for (int d = 0; d < 256; d++) {
            cnt[d + 1] += cnt[d];
        }
        for (int64_t q = 0; q < n; q++) {
            b[cnt[(a[q] >> shift) & 0xFF]++] = a[q];
        }
        uint64_t *sw = a;
        a = b;
        b = sw;
    }
    for (int64_t pos = 0; pos < n; pos++) {
        rank[(uint32_t)a[pos]] = (int32_t)(pos + 1);
    }
    s->row[i] = r;
    return rank;
}

void mk_ranked_probs(mk_row_ranks *s, int32_t i, const void *x, int32_t tx, const void *base, int32_t tb,
                     double low, double span, float single, int64_t e, int64_t len, float *p) {
    int64_t n = s->n;
    float *by_rank = s->by_rank + (int64_t)i * n;
    if (!s->made[i]) {
        for (int64_t q = 1; q <= n; q++) {
            /* SparseOp.rankProb: multiply, divide, add in float64, one rounding to float32 */
            by_rank[q - 1] = n == 1 ? single : (float)(low + span * (double)(q - 1) / (double)(n - 1));
        }
        s->made[i] = 1;
    }
    for (int64_t j = 0; j < len;) {
        int64_t at = e + j;
        int64_t r = at / n;
        int64_t col = at - r * n;
        int64_t take = len - j < n - col ? len - j : n - col;
        const int32_t *rank = ranks_of_row(s, i, x, tx, base, tb, r);
        for (int64_t k = 0; k < take; k++) {
            p[j + k] = by_rank[rank[col + k] - 1];
        }
        j += take;
    }
}
