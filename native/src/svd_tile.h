/*
 * numerics §13's product tiles, compiled in each SIMD path's file with its vector type (MK_SVD_VEC,
 * MK_SVD_LANES, _LOAD, _STORE, _SET1, _FMA): nr rows of out by nv vectors of columns held in
 * registers over the terms t0 .. t1-1, each lane one output element whose fma chain runs in t order,
 * exactly the spec's. Columns past the last whole vector go through svd_tail (scalar fma).
 */
#ifndef EXMERGE_SVD_TILE_H
#define EXMERGE_SVD_TILE_H

#include <math.h>
#include <stdint.h>

/* Element (r, t) of the product's left factor: a[r * rs + t * ts] (D for D·X, Dᵀ for Dᵀ·Q). */
MK_INLINE void svd_tile(const float *a, int64_t rs, int64_t ts, const double *b, int32_t k, int64_t t0, int64_t t1,
                        double *out, int64_t c0, int nr, int nv) {
    MK_SVD_VEC acc[4][3];
    for (int r = 0; r < nr; r++) {
        for (int v = 0; v < nv; v++) {
            acc[r][v] = MK_SVD_LOAD(out + r * k + c0 + v * MK_SVD_LANES);
        }
    }
    for (int64_t t = t0; t < t1; t++) {
        const double *bt = b + t * k + c0;
        MK_SVD_VEC bv[3];
        for (int v = 0; v < nv; v++) {
            bv[v] = MK_SVD_LOAD(bt + v * MK_SVD_LANES);
        }
        const float *at = a + t * ts;
        for (int r = 0; r < nr; r++) {
            MK_SVD_VEC x = MK_SVD_SET1((double)at[r * rs]);
            for (int v = 0; v < nv; v++) {
                acc[r][v] = MK_SVD_FMA(x, bv[v], acc[r][v]);
            }
        }
    }
    for (int r = 0; r < nr; r++) {
        for (int v = 0; v < nv; v++) {
            MK_SVD_STORE(out + r * k + c0 + v * MK_SVD_LANES, acc[r][v]);
        }
    }
}

/* Columns [c0, k) of nr rows, one element at a time. */
static inline void svd_tail(const float *a, int64_t rs, int64_t ts, const double *b, int32_t k, int64_t t0, int64_t t1,
                            double *out, int64_t c0, int nr) {
    for (int r = 0; r < nr; r++) {
        for (int64_t c = c0; c < k; c++) {
            double s = out[r * k + c];
            for (int64_t t = t0; t < t1; t++) {
                s = fma((double)a[r * rs + t * ts], b[t * k + c], s);
            }
            out[r * k + c] = s;
        }
    }
}

MK_INLINE void svd_rows(const float *a, int64_t rs, int64_t ts, const double *b, int32_t k, int64_t t0, int64_t t1,
                        double *out, int nr) {
    int64_t c0 = 0;
    for (; c0 + 3 * MK_SVD_LANES <= k; c0 += 3 * MK_SVD_LANES) {
        svd_tile(a, rs, ts, b, k, t0, t1, out, c0, nr, 3);
    }
    for (; c0 + MK_SVD_LANES <= k; c0 += MK_SVD_LANES) {
        svd_tile(a, rs, ts, b, k, t0, t1, out, c0, nr, 1);
    }
    if (c0 < k) {
        svd_tail(a, rs, ts, b, k, t0, t1, out, c0, nr);
    }
}

/* The table's svd_block: rows in fours, then one at a time. */
#define MK_SVD_BLOCK(isa)                                                                                     \
    void mk_svd_block_##isa(const float *a, int64_t rs, int64_t ts, const double *b, int32_t k, int64_t rows, \
                            int64_t t0, int64_t t1, double *out) {                                            \
        int64_t r = 0;                                                                                        \
        for (; r + 4 <= rows; r += 4) {                                                                       \
            svd_rows(a + r * rs, rs, ts, b, k, t0, t1, out + r * k, 4);                                       \
        }                                                                                                     \
        for (; r < rows; r++) {                                                                               \
            svd_rows(a + r * rs, rs, ts, b, k, t0, t1, out + r * k, 1);                                       \
        }                                                                                                     \
    }

#endif
