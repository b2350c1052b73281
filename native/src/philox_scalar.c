/* numerics §5 uniforms, one Philox4x32-10 block per element, in portable C. */
#include "fp_scalar.h"
#include "kernels.h"

void mk_philox_uniform_scalar(uint64_t seed, uint32_t tensor_id, uint32_t model, int64_t first, int64_t n, float *u) {
    for (int64_t j = 0; j < n; j++) {
        uint64_t e = (uint64_t)(first + j);
        uint32_t c[4] = {(uint32_t)e, (uint32_t)(e >> 32), tensor_id, model};
        mk_philox_block((uint32_t)seed, (uint32_t)(seed >> 32), c);
        u[j] = mk_uniform_of(c[0]);
    }
}
