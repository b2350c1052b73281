/*
 * mk_nearswap: argument checks, then tiles of MK_TILE elements: widen the base and the other model,
 * the table's nearswap in place, narrow into the output (the linear driver's finish with no base and
 * no divisor stores the value as it is). Each input is read once and the output written once.
 */
#include <stddef.h>

#include "kernels.h"

typedef struct nearswap_args {
    const void *base;
    int32_t base_type;
    const void *x;
    int32_t x_type;
    void *out;
    int32_t out_type;
    float t;
    int64_t n;
} nearswap_args;

/* The reading part, under the SIGBUS guard (fault_guard.c). */
static int32_t nearswap_body(void *ctx) {
    const nearswap_args *a = ctx;
    const mk_kernel_table *k = mk_active();
    float v0[MK_TILE] __attribute__((aligned(64)));
    float v1[MK_TILE] __attribute__((aligned(64)));
    for (int64_t from = 0; from < a->n; from += MK_TILE) {
        int64_t len = a->n - from < MK_TILE ? a->n - from : MK_TILE;
        k->widen((const char *)a->base + from * mk_dtype_size(a->base_type), a->base_type, len, v0);
        k->widen((const char *)a->x + from * mk_dtype_size(a->x_type), a->x_type, len, v1);
        k->nearswap(v0, v1, a->t, len, v0);
        k->finish(v0, NULL, 0, 1.0f, 1.0f, (char *)a->out + from * mk_dtype_size(a->out_type), a->out_type, len);
    }
    return MK_OK;
}

int32_t mk_nearswap(const void *base, int32_t base_type, const void *x, int32_t x_type, void *out, int32_t out_type,
                    float t, int64_t n) {
    if (n < 0) {
        return MK_E_ARGUMENT;
    }
    if (mk_dtype_size(base_type) == 0 || mk_dtype_size(x_type) == 0 || mk_dtype_size(out_type) == 0) {
        return MK_E_DTYPE;
    }
    if (n == 0) {
        return MK_OK;
    }
    if (base == NULL || x == NULL || out == NULL) {
        return MK_E_NULL;
    }
    const nearswap_args args = {base, base_type, x, x_type, out, out_type, t, n};
    return mk_guarded(nearswap_body, (void *)&args);
}
