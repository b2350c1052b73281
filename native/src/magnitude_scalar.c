/* Magnitude keys (MagnitudeSelect.key) of x or of the task vector x - b, and the band select's read, in portable C. */
#include "fp_scalar.h"
#include "kernels.h"

void mk_magnitude_keys_scalar(const void *x, int32_t tx, const void *b, int32_t tb, int64_t len, uint32_t *keys) {
    for (int64_t j = 0; j < len; j++) {
        float v = mk_load(x, tx, j);
        if (b != NULL) {
            v = v - mk_load(b, tb, j);
        }
        keys[j] = mk_magnitude_key(v);
    }
}

int64_t mk_magnitude_band_scalar(const void *x, int32_t tx, const void *b, int32_t tb, int64_t len, uint32_t lo,
                                 uint32_t hi, int64_t *counts, uint32_t *band, int64_t at, int64_t cap) {
    for (int64_t j = 0; j < len; j++) {
        uint32_t k = mk_magnitude_key(mk_load(x, tx, j) - mk_load(b, tb, j));
        if (k > hi) {
            counts[0]++;
        } else if (k == hi) {
            counts[1]++;
        } else if (k == lo) {
            counts[2]++;
        } else if (k > lo) {
            if (at < cap) {
                band[at] = k;
            }
            at++;
        }
    }
    return at;
}
