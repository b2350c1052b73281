/*
 * mergekit's arcee_fusion (org.exmerge.kernel.FusionOp is the normative statement): the importance
 * histogram and the thresholded merge. Per tile of MK_SPARSE_TILE elements the base and the model
 * are widened by the table, the importance |t| * row_kl[row] is one float32 multiply per element
 * (scalar on every path: the op is bound by reading two inputs), and the merge narrows its tile
 * through the table's finish.
 */
#include <math.h>

#include "fp_scalar.h"
#include "kernels.h"

typedef struct fusion_call {
    const void *x;
    int32_t x_type;
    const void *base;
    int32_t base_type;
    const float *row_kl;
    int64_t row_length;
    int64_t start;
    int64_t n;
    /* histogram */
    int32_t high;
    int64_t *hist;
    /* merge */
    void *out;
    int32_t out_type;
    float threshold;
} fusion_call;

static int32_t check(const void *x, int32_t x_type, const void *base, int32_t base_type, const float *row_kl,
                     int64_t n_rows, int64_t row_length, int64_t start, int64_t n) {
    if (n < 0 || start < 0 || row_length < 1 || n_rows < 0) {
        return MK_E_ARGUMENT;
    }
    if (x == NULL || base == NULL || row_kl == NULL) {
        return MK_E_NULL;
    }
    if (mk_dtype_size(x_type) == 0 || mk_dtype_size(base_type) == 0) {
        return MK_E_DTYPE;
    }
    /* Every element's row must have its divergence: the last element's row is below n_rows. */
    if (n > 0 && (start + n - 1) / row_length >= n_rows) {
        return MK_E_ARGUMENT;
    }
    return MK_OK;
}

/* b = widen(base), t = widen(x) - b and imp = |t| * row_kl[row] over elements [from, from + len) of the run. */
static void load_tile(const fusion_call *c, const mk_kernel_table *k, int64_t from, int64_t len, float *b, float *t,
                      float *imp) {
    k->widen((const char *)c->base + from * mk_dtype_size(c->base_type), c->base_type, len, b);
    k->widen((const char *)c->x + from * mk_dtype_size(c->x_type), c->x_type, len, t);
    int64_t row = (c->start + from) / c->row_length;
    int64_t col = (c->start + from) % c->row_length;
    float kl = c->row_kl[row];
    for (int64_t j = 0; j < len; j++) {
        t[j] = t[j] - b[j];
        imp[j] = fabsf(t[j]) * kl;
        if (++col == c->row_length && j + 1 < len) {
            col = 0;
            kl = c->row_kl[++row];
        }
    }
}

static int32_t histogram_body(void *ctx) {
    const fusion_call *c = ctx;
    const mk_kernel_table *k = mk_active();
    float b[MK_SPARSE_TILE] __attribute__((aligned(64)));
    float t[MK_SPARSE_TILE] __attribute__((aligned(64)));
    float imp[MK_SPARSE_TILE] __attribute__((aligned(64)));
    for (int64_t from = 0; from < c->n; from += MK_SPARSE_TILE) {
        int64_t len = c->n - from < MK_SPARSE_TILE ? c->n - from : MK_SPARSE_TILE;
        load_tile(c, k, from, len, b, t, imp);
        for (int64_t j = 0; j < len; j++) {
            mk_count_key(c->hist, c->high, mk_magnitude_key(imp[j]));
        }
    }
    return MK_OK;
}

static int32_t merge_body(void *ctx) {
    const fusion_call *c = ctx;
    const mk_kernel_table *k = mk_active();
    float b[MK_SPARSE_TILE] __attribute__((aligned(64)));
    float t[MK_SPARSE_TILE] __attribute__((aligned(64)));
    float imp[MK_SPARSE_TILE] __attribute__((aligned(64)));
    const int64_t out_size = mk_dtype_size(c->out_type);
    for (int64_t from = 0; from < c->n; from += MK_SPARSE_TILE) {
        int64_t len = c->n - from < MK_SPARSE_TILE ? c->n - from : MK_SPARSE_TILE;
        load_tile(c, k, from, len, b, t, imp);
        for (int64_t j = 0; j < len; j++) {
            b[j] = b[j] + (imp[j] >= c->threshold ? t[j] : 0.0f);
        }
        /* No divide, no base: finish only narrows. */
        k->finish(b, NULL, 0, 1.0f, 1.0f, (char *)c->out + from * out_size, c->out_type, len);
    }
    return MK_OK;
}

int32_t mk_fusion_histogram(const void *x, int32_t x_type, const void *base, int32_t base_type, const float *row_kl,
                            int64_t n_rows, int64_t row_length, int64_t start, int64_t n, int32_t high,
                            int64_t *hist) {
    int32_t status = check(x, x_type, base, base_type, row_kl, n_rows, row_length, start, n);
    if (status != MK_OK) {
        return status;
    }
    if (high >= (1 << 15)) {
        return MK_E_ARGUMENT;
    }
    if (hist == NULL) {
        return MK_E_NULL;
    }
    fusion_call c = {x, x_type, base, base_type, row_kl, row_length, start, n, high, hist, NULL, 0, 0.0f};
    return n == 0 ? MK_OK : mk_guarded(histogram_body, &c);
}

int32_t mk_fusion_merge(const void *x, int32_t x_type, const void *base, int32_t base_type, void *out,
                        int32_t out_type, const float *row_kl, int64_t n_rows, int64_t row_length, int64_t start,
                        float threshold, int64_t n) {
    int32_t status = check(x, x_type, base, base_type, row_kl, n_rows, row_length, start, n);
    if (status != MK_OK) {
        return status;
    }
    if (out == NULL) {
        return MK_E_NULL;
    }
    if (mk_dtype_size(out_type) == 0) {
        return MK_E_DTYPE;
    }
    fusion_call c = {x, x_type, base, base_type, row_kl, row_length, start, n, -1, NULL, out, out_type, threshold};
    return n == 0 ? MK_OK : mk_guarded(merge_body, &c);
}
