/* numerics §4 pair-sum lanes in portable C: element j to lane j % 64, the reference the SIMD paths match. */
#include "kernels.h"
#include "reduce_rows.h"

void mk_pair_lanes_scalar(const float *u, const float *w, int64_t len, double *lanes) {
    for (int64_t j = 0; j < len; j++) {
        lanes[j % MK_RED_LANES] += (double)u[j] * (double)w[j];
    }
}

void mk_pair_rows_scalar(const float *u, const float *w, int64_t g, double *acc) {
    mk_pair_rows_body(u, w, g, acc);
}
