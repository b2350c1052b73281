/* numerics §10 nearswap tiles in portable C: the reference the SIMD paths are held to. */
#include "kernels.h"
#include "nearswap_scalar.h"

void mk_nearswap_scalar(const float *v0, const float *v1, float t, int64_t len, float *out) {
    for (int64_t j = 0; j < len; j++) {
        out[j] = mk_nearswap1(t, v0[j], v1[j]);
    }
}
