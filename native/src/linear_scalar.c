/* The linear/convert tile primitives in portable C: the reference the SIMD paths are held to. */
#include "fp_scalar.h"
#include "kernels.h"
#include "linear_vectors.h"

void mk_widen_scalar(const void *src, int32_t type, int64_t len, float *dst) {
    for (int64_t j = 0; j < len; j++) {
        dst[j] = mk_load(src, type, j);
    }
}

void mk_accumulate_scalar(float *acc, const float *b, const void *x, int32_t type, float w, int64_t len) {
    if (b != NULL) {
        for (int64_t j = 0; j < len; j++) {
            acc[j] = fmaf(w, mk_load(x, type, j) - b[j], acc[j]);
        }
    } else {
        for (int64_t j = 0; j < len; j++) {
            acc[j] = fmaf(w, mk_load(x, type, j), acc[j]);
        }
    }
}

void mk_finish_scalar(const float *acc, const float *b, int32_t divide, float divisor, float lambda,
                      void *out, int32_t type, int64_t len) {
    for (int64_t j = 0; j < len; j++) {
        float v = acc[j];
        if (divide) {
            v = v / divisor;
        }
        if (b != NULL) {
            v = fmaf(lambda, v, b[j]);
        }
        mk_store(out, type, j, v);
    }
}

/* The scalar path is the reference: it always takes the tile path, the literal reading of the spec. */
int mk_linear_direct_scalar(const mk_linear_args *a) {
    (void)a;
    return 0;
}

void mk_linear_vectors_scalar(const mk_vector_ops *v, const float *const *x, const float *b, const int32_t *ops,
                          int64_t len, float *acc) {
    mk_linear_vectors_body(v, x, b, ops, len, acc);
}
