/* SPEC §4 reductions: blocks of 65,536 from the start, each block's value from the table, block
 * values added left to right from +0 here (the one order every backend uses). */
#include <stddef.h>

#include "kernels.h"

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
    const mk_kernel_table *k = mk_active();
    double sum = 0.0;
    for (int64_t start = 0, blk = 0; start < n; start += MK_RED_BLOCK, blk++) {
        int64_t len = n - start < MK_RED_BLOCK ? n - start : MK_RED_BLOCK;
        const void *yb = kind == MK_RED_DOT ? (const char *)y + start * mk_dtype_size(ty) : NULL;
        double v = k->reduce_block(kind, (const char *)x + start * mk_dtype_size(tx), tx, yb, ty, len);
        if (blocks != NULL) {
            blocks[blk] = v;
        }
        sum += v;
    }
    *total = sum;
    return MK_OK;
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
