/* MagnitudeSelect's two histogram passes: keys from the table a tile at a time, counted here. */
#include <stddef.h>

#include "kernels.h"

static int32_t check(const void *x, int32_t tx, const void *b, int32_t tb, int64_t n, int64_t *hist) {
    if (n < 0) {
        return MK_E_ARGUMENT;
    }
    if (hist == NULL || (n > 0 && x == NULL)) {
        return MK_E_NULL;
    }
    if (mk_dtype_size(tx) == 0 || (b != NULL && mk_dtype_size(tb) == 0)) {
        return MK_E_DTYPE;
    }
    return MK_OK;
}

static const void *at(const void *p, int32_t t, int64_t j) {
    return p == NULL ? NULL : (const char *)p + j * mk_dtype_size(t);
}

int32_t mk_magnitude_histogram_high(const void *x, int32_t x_type, const void *base, int32_t base_type, int64_t n,
                                    int64_t *hist) {
    int32_t s = check(x, x_type, base, base_type, n, hist);
    if (s != MK_OK) {
        return s;
    }
    const mk_kernel_table *k = mk_active();
    uint32_t keys[MK_TILE];
    for (int64_t from = 0; from < n; from += MK_TILE) {
        int64_t len = n - from < MK_TILE ? n - from : MK_TILE;
        k->magnitude_keys(at(x, x_type, from), x_type, at(base, base_type, from), base_type, len, keys);
        for (int64_t j = 0; j < len; j++) {
            hist[keys[j] >> 16]++;
        }
    }
    return MK_OK;
}

int32_t mk_magnitude_histogram_low(const void *x, int32_t x_type, const void *base, int32_t base_type, int64_t n,
                                   int32_t high, int64_t *hist) {
    int32_t s = check(x, x_type, base, base_type, n, hist);
    if (s != MK_OK) {
        return s;
    }
    if (high < 0 || high >= (1 << 15)) {
        return MK_E_ARGUMENT;
    }
    const mk_kernel_table *k = mk_active();
    uint32_t keys[MK_TILE];
    for (int64_t from = 0; from < n; from += MK_TILE) {
        int64_t len = n - from < MK_TILE ? n - from : MK_TILE;
        k->magnitude_keys(at(x, x_type, from), x_type, at(base, base_type, from), base_type, len, keys);
        for (int64_t j = 0; j < len; j++) {
            if ((keys[j] >> 16) == (uint32_t)high) {
                hist[keys[j] & 0xFFFFu]++;
            }
        }
    }
    return MK_OK;
}
