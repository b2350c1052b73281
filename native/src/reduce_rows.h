/*
 * The pair-sum row update shared by every path: each file that includes this compiles it with its own
 * instruction-set flags, and the loop vectorises across the vectors of the row. Every acc[c] is its own
 * sum, so no vector width reorders an addition; -ffp-contract=off keeps the multiply and add apart.
 */
#ifndef EXMERGE_REDUCE_ROWS_H
#define EXMERGE_REDUCE_ROWS_H

#include <stdint.h>

static inline void mk_pair_rows_body(const float *restrict u, const float *restrict w, int64_t g,
                                     double *restrict acc) {
    for (int64_t c = 0; c < g; c++) {
        acc[c] += (double)u[c] * (double)w[c];
    }
}

#endif
