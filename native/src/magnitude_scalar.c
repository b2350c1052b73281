/* Magnitude keys (MagnitudeSelect.key) of x or of the task vector x - b, in portable C. */
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
