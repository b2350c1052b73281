/* One numerics §4 block in portable C: 64 lanes, element i to lane i % 64, pairwise fold. */
#include <math.h>

#include "fp_scalar.h"
#include "kernels.h"

double mk_reduce_block_scalar(int32_t kind, const void *x, int32_t tx, const void *y, int32_t ty, int64_t len) {
    double lanes[MK_RED_LANES] = {0};
    for (int64_t i = 0; i < len; i++) {
        double a = (double)mk_load(x, tx, i);
        double term;
        switch (kind) {
        case MK_RED_SQUARES:
            term = a * a;
            break;
        case MK_RED_ABS:
            term = fabs(a);
            break;
        default:
            term = a * (double)mk_load(y, ty, i);
            break;
        }
        lanes[i % MK_RED_LANES] += term;
    }
    for (int s = MK_RED_LANES / 2; s >= 1; s >>= 1) {
        for (int l = 0; l < s; l++) {
            lanes[l] = lanes[l] + lanes[l + s];
        }
    }
    return lanes[0];
}
