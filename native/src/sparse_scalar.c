/* numerics §3's sparse tile primitives in portable C: the reference the SIMD paths are held to. */
#include "sparse_scalar.h"

void mk_sparse_values_scalar(const void *x, int32_t tx, const float *b, int64_t len, uint32_t from, uint32_t below,
                             const float *u, float p, float div, float w, float *v) {
    for (int64_t j = 0; j < len; j++) {
        v[j] = mk_sparse_value1(mk_load(x, tx, j) - b[j], from, below, u == NULL ? NULL : u + j, p, div, w);
    }
}

void mk_sparse_combine_scalar(const mk_sparse_args *a, const float *v, const float *b, int64_t len, void *out) {
    for (int64_t j = 0; j < len; j++) {
        mk_store(out, a->out_type, j, fmaf(a->lambda, mk_sparse_mix1(a, v, j), b[j]));
    }
}

/* The scalar path is the reference: it always takes the tile path, the literal reading of the spec. */
int64_t mk_sparse_direct_scalar(const mk_sparse_args *a, const void *const *x, int32_t t, const void *b, int64_t e,
                                int64_t len, const uint32_t *from, const uint32_t *below, const float *div,
                                void *out) {
    (void)a, (void)x, (void)t, (void)b, (void)e, (void)len, (void)from, (void)below, (void)div, (void)out;
    return 0;
}

void mk_sparse_norm_lanes_scalar(const void *x, int32_t tx, const float *b, int64_t len, uint32_t from,
                                 uint32_t below, const float *u, float p, int32_t norm, double *before,
                                 double *after) {
    for (int64_t j = 0; j < len; j++) {
        float t = mk_load(x, tx, j) - b[j];
        int keep = mk_sparse_keep1(t, from, below, u == NULL ? NULL : u + j, p);
        mk_sparse_norm1(t, keep, norm, before + (j & (MK_RED_LANES - 1)), after + (j & (MK_RED_LANES - 1)));
    }
}
