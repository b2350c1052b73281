/*
 * mk_first_nonfinite: the engine's check of every output chunk (org.exmerge.kernel.NonFinite is
 * the spec). It takes the element size and the all-ones lane rather than a MK_DTYPE_*, so F64 and
 * both F8 types, which no other kernel here computes in, are scanned too.
 */
#include "kernels.h"

typedef struct nonfinite_call {
    const void *data;
    int32_t size;
    uint64_t lane;
    int64_t n;
    int64_t *first;
} nonfinite_call;

static int32_t body(void *ctx) {
    const nonfinite_call *c = ctx;
    *c->first = mk_active()->first_nonfinite(c->data, c->size, c->lane, c->n);
    return MK_OK;
}

int32_t mk_first_nonfinite(const void *data, int32_t elem_bytes, uint64_t lane, int64_t n, int64_t *first) {
    if (elem_bytes != 1 && elem_bytes != 2 && elem_bytes != 4 && elem_bytes != 8) {
        return MK_E_ARGUMENT;
    }
    /* The word test needs the lane to be the bits from some bit up to just below the sign. */
    const uint64_t sign = (uint64_t)1 << (8 * elem_bytes - 1);
    if (n < 0 || lane == 0 || lane >= sign || lane + (lane & (~lane + 1)) != sign) {
        return MK_E_ARGUMENT;
    }
    if (first == NULL || (data == NULL && n > 0)) {
        return MK_E_NULL;
    }
    *first = -1;
    if (n == 0) {
        return MK_OK;
    }
    nonfinite_call c = {data, elem_bytes, lane, n, first};
    return mk_guarded(body, &c);
}
