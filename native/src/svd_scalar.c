/* numerics §13's products on the scalar path: one element at a time, its fma chain in term order. */
#include <math.h>

#include "kernels.h"

void mk_svd_block_scalar(const float *a, int64_t rs, int64_t ts, const double *b, int32_t k, int64_t rows, int64_t t0,
                         int64_t t1, double *out) {
    for (int64_t r = 0; r < rows; r++) {
        for (int32_t c = 0; c < k; c++) {
            double s = out[r * k + c];
            for (int64_t t = t0; t < t1; t++) {
                s = fma((double)a[r * rs + t * ts], b[t * k + c], s);
            }
            out[r * k + c] = s;
        }
    }
}
