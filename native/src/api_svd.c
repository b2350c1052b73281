/*
 * mk_svd_times / mk_svd_transpose_times (numerics §13): argument checks, then the output rows' sums
 * in blocks of MK_SVD_TERMS terms, so the block of X (or Q) a block reads, up to 128 x k doubles, stays
 * in L1/L2 while every row of the call goes through it. One kernel does both products: D·X reads D
 * along its rows (row stride n, term stride 1), Dᵀ·Q down its columns (row stride 1, term stride n).
 */
#include <stdint.h>
#include <string.h>

#include "kernels.h"

#define MK_SVD_TERMS 128

typedef struct svd_call {
    const float *a;
    int64_t rs;
    int64_t ts;
    const double *b;
    int32_t k;
    int64_t rows;
    int64_t terms;
    double *out;
} svd_call;

static int32_t svd_body(void *ctx) {
    const svd_call *c = ctx;
    const mk_kernel_table *t = mk_active();
    memset(c->out, 0, sizeof(double) * (size_t)(c->rows * c->k));
    for (int64_t t0 = 0; t0 < c->terms; t0 += MK_SVD_TERMS) {
        int64_t t1 = c->terms - t0 < MK_SVD_TERMS ? c->terms : t0 + MK_SVD_TERMS;
        t->svd_block(c->a, c->rs, c->ts, c->b, c->k, c->rows, t0, t1, c->out);
    }
    return MK_OK;
}

static int32_t svd_checked(const float *d, int64_t m, int64_t n, const double *b, int32_t k, int64_t from, int64_t to,
                           double *out, int64_t out_rows) {
    if (m < 0 || n < 0 || k < 0 || from < 0 || from > to || to > out_rows) {
        return MK_E_ARGUMENT;
    }
    if ((n > 0 && m > INT64_MAX / 4 / n) || (k > 0 && out_rows > INT64_MAX / 8 / k)) {
        return MK_E_ARGUMENT;
    }
    if (from == to || k == 0) {
        return MK_OK;
    }
    if (out == NULL || (m > 0 && n > 0 && (d == NULL || b == NULL))) {
        return MK_E_NULL;
    }
    return MK_OK + 1; /* work to do */
}

int32_t mk_svd_times(const float *d, int64_t m, int64_t n, const double *x, int32_t k, int64_t from, int64_t to,
                     double *y) {
    int32_t s = svd_checked(d, m, n, x, k, from, to, y, m);
    if (s <= MK_OK) {
        return s;
    }
    svd_call c = {d + from * n, n, 1, x, k, to - from, n, y + from * k};
    return mk_guarded(svd_body, &c);
}

int32_t mk_svd_transpose_times(const float *d, int64_t m, int64_t n, const double *q, int32_t k, int64_t from, int64_t to,
                               double *z) {
    int32_t s = svd_checked(d, m, n, q, k, from, to, z, n);
    if (s <= MK_OK) {
        return s;
    }
    svd_call c = {d + from, 1, n, q, k, to - from, m, z + from * k};
    return mk_guarded(svd_body, &c);
}
