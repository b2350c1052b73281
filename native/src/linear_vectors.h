/*
 * mk_linear_vectors' per-element arithmetic, shared by every path: each linear_<isa>.c compiles it with
 * its own flags, so fmaf is the hardware fma where the path has one and libm's exact fmaf on the scalar
 * path. The operations and their order are mk_linear's (numerics §2), with each element's own op.
 */
#ifndef EXMERGE_LINEAR_VECTORS_H
#define EXMERGE_LINEAR_VECTORS_H

#include <math.h>
#include <stddef.h>

#include "kernels.h"

static inline void mk_linear_vectors_body(const mk_vector_ops *v, const float *const *x, const float *b,
                                          const int32_t *ops, int64_t len, float *acc) {
    const int32_t k = v->n_inputs;
    for (int64_t j = 0; j < len; j++) {
        const int32_t o = ops[j];
        const float *w = v->weights + (int64_t)o * k;
        float a = (v->flags[o] & MK_LINEAR_NEG_ZERO) != 0 ? -0.0f : 0.0f;
        if (b != NULL) {
            for (int32_t i = 0; i < k; i++) {
                a = fmaf(w[i], x[i][j] - b[j], a);
            }
        } else {
            for (int32_t i = 0; i < k; i++) {
                a = fmaf(w[i], x[i][j], a);
            }
        }
        if ((v->flags[o] & MK_LINEAR_DIVIDE) != 0) {
            a = a / v->divisors[o];
        }
        if (b != NULL) {
            a = fmaf(v->lambdas[o], a, b[j]);
        }
        acc[j] = a;
    }
}

#endif
