/* numerics §5: the Philox block itself and the uniforms, for tests that prove the generator on every path. */
#include <stddef.h>

#include "fp_scalar.h"
#include "kernels.h"

int32_t mk_philox4x32_10(const uint32_t *key, const uint32_t *counter, uint32_t *out) {
    if (key == NULL || counter == NULL || out == NULL) {
        return MK_E_NULL;
    }
    uint32_t c[4] = {counter[0], counter[1], counter[2], counter[3]};
    mk_philox_block(key[0], key[1], c);
    for (int i = 0; i < 4; i++) {
        out[i] = c[i];
    }
    return MK_OK;
}

int32_t mk_philox_uniform(uint64_t seed, uint32_t tensor_id, uint32_t model, int64_t first, int64_t n, float *u) {
    if (n < 0 || first < 0) {
        return MK_E_ARGUMENT;
    }
    if (n > 0 && u == NULL) {
        return MK_E_NULL;
    }
    mk_active()->philox_uniform(seed, tensor_id, model, first, n, u);
    return MK_OK;
}
