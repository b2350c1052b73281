/* numerics §4 reductions: blocks of 65,536 from the start, each block's value from the table, block
 * values added left to right from +0 here (the one order every backend uses). */
#include <stddef.h>

#include "kernels.h"

typedef struct reduce_args {
    int32_t kind;
    const void *x;
    int32_t tx;
    const void *y;
    int32_t ty;
    int64_t n;
    double *blocks;
    double *total;
} reduce_args;

/* The reading part, under the SIGBUS guard (fault_guard.c). */
static int32_t reduce_body(void *ctx) {
    const reduce_args *a = ctx;
    const mk_kernel_table *k = mk_active();
    double sum = 0.0;
    for (int64_t start = 0, blk = 0; start < a->n; start += MK_RED_BLOCK, blk++) {
        int64_t len = a->n - start < MK_RED_BLOCK ? a->n - start : MK_RED_BLOCK;
        const void *yb = a->kind == MK_RED_DOT ? (const char *)a->y + start * mk_dtype_size(a->ty) : NULL;
        double v = k->reduce_block(a->kind, (const char *)a->x + start * mk_dtype_size(a->tx), a->tx, yb, a->ty, len);
        if (a->blocks != NULL) {
            a->blocks[blk] = v;
        }
        sum += v;
    }
    *a->total = sum;
    return MK_OK;
}

static int32_t reduce(int32_t kind, const void *x, int32_t tx, const void *y, int32_t ty, int64_t n, double *blocks,
                      double *total) {
    if (n < 0) {
        return MK_E_ARGUMENT;
    }
    if (total == NULL) {
        return MK_E_NULL;
    }
    if (mk_dtype_size(tx) == 0 || (kind == MK_RED_DOT && mk_dtype_size(ty) == 0)) {
        return MK_E_DTYPE;
    }
    if (n > 0 && (x == NULL || (kind == MK_RED_DOT && y == NULL))) {
        return MK_E_NULL;
    }
    const reduce_args args = {kind, x, tx, y, ty, n, blocks, total};
    return mk_guarded(reduce_body, (void *)&args);
}

int32_t mk_sum_squares(const void *x, int32_t x_type, int64_t n, double *blocks, double *total) {
    return reduce(MK_RED_SQUARES, x, x_type, NULL, 0, n, blocks, total);
}

int32_t mk_sum_abs(const void *x, int32_t x_type, int64_t n, double *blocks, double *total) {
    return reduce(MK_RED_ABS, x, x_type, NULL, 0, n, blocks, total);
}

int32_t mk_dot(const void *x, int32_t x_type, const void *y, int32_t y_type, int64_t n, double *blocks,
               double *total) {
    return reduce(MK_RED_DOT, x, x_type, y, y_type, n, blocks, total);
}
