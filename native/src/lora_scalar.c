/* numerics §12 on the scalar path: a row at a time in tiles of columns, the tile's sums over k in an
 * array (the compiler may vectorise across columns; each column's sum keeps its own order). */
#include "kernels.h"
#include "lora_scalar.h"

#define MK_LORA_SCALAR_TILE 64

void mk_lora_block_scalar(const mk_lora_args *a, int64_t r0, int64_t rows, int64_t c0, int64_t cols,
                          const double *pack) {
    (void)pack;
    double d[MK_LORA_SCALAR_TILE];
    for (int64_t r = r0; r < r0 + rows; r++) {
        const double *l = a->left + r * a->rank;
        for (int64_t j0 = c0; j0 < c0 + cols; j0 += MK_LORA_SCALAR_TILE) {
            int64_t len = c0 + cols - j0 < MK_LORA_SCALAR_TILE ? c0 + cols - j0 : MK_LORA_SCALAR_TILE;
            for (int64_t x = 0; x < len; x++) {
                d[x] = 0.0;
            }
            for (int32_t k = 0; k < a->rank; k++) {
                double lk = l[k];
                const double *rk = a->right + k * a->columns + j0;
                for (int64_t x = 0; x < len; x++) {
                    d[x] = d[x] + lk * rk[x];
                }
            }
            for (int64_t x = 0; x < len; x++) {
                mk_lora_finish(a, r, j0 + x, d[x]);
            }
        }
    }
}
