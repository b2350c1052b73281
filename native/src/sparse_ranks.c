/* DELLA's row ranks and keep probabilities; see sparse_ranks.h. */
#include "sparse_ranks.h"

#include <stdlib.h>
#include <string.h>

#include "fp_scalar.h"

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
    if (s->keys == NULL || s->tmp == NULL || s->rank == NULL || s->row == NULL) {
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
    for (int64_t c = 0; c < n; c++) {
        float t = mk_load(x, tx, from + c) - mk_load(base, tb, from + c);
        a[c] = ((uint64_t)mk_magnitude_key(t) << 32) | (uint64_t)c;
    }
    /* Stable LSD radix sort on the 32-bit keys in the high halves, 4 passes of 8 bits, ping-ponging
     * between keys and tmp (passes where every key shares the digit are skipped). The low halves are
     * the columns, already ascending, so the order is by (key, column): ranks are unique. */
    uint64_t *b = s->tmp;
    {
        for (int shift = 32; shift < 64; shift += 8) {
            int64_t count[257] = {0};
            for (int64_t k = 0; k < n; k++) {
                count[((a[k] >> shift) & 0xFF) + 1]++;
            }
            if (count[((a[0] >> shift) & 0xFF) + 1] == n) {
                continue;
            }
            for (int d = 0; d < 256; d++) {
                count[d + 1] += count[d];
            }
            for (int64_t k = 0; k < n; k++) {
                b[count[(a[k] >> shift) & 0xFF]++] = a[k];
            }
            uint64_t *sw = a;
            a = b;
            b = sw;
        }
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
    for (int64_t j = 0; j < len;) {
        int64_t at = e + j;
        int64_t r = at / n;
        int64_t col = at - r * n;
        int64_t take = len - j < n - col ? len - j : n - col;
        const int32_t *rank = ranks_of_row(s, i, x, tx, base, tb, r);
        for (int64_t k = 0; k < take; k++) {
            /* SparseOp.rankProb: multiply, divide, add in float64, one rounding to float32 */
            p[j + k] = n == 1 ? single
                              : (float)(low + span * (double)(rank[col + k] - 1) / (double)(n - 1));
        }
        j += take;
    }
}
