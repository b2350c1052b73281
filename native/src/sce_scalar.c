/*
 * sce's per-element variance keys (org.exmerge.kernel.SceOp.variance), the scalar loop every ISA
 * path uses today: float64 arithmetic in a fixed order, which SIMD lanes could reproduce element by
 * element, but the op is bound by reading m inputs, not by this arithmetic.
 */
#include "fp_scalar.h"
#include "kernels.h"

void mk_sce_variance_keys_scalar(const float *t, int32_t m, int64_t len, uint32_t *keys) {
    for (int64_t j = 0; j < len; j++) {
        double s = 0.0;
        for (int32_t i = 0; i < m; i++) {
            s = s + (double)t[(int64_t)i * MK_SPARSE_TILE + j];
        }
        double mu = s / (double)m;
        double v = 0.0;
        for (int32_t i = 0; i < m; i++) {
            double d = (double)t[(int64_t)i * MK_SPARSE_TILE + j] - mu;
            v = v + d * d;
        }
        keys[j] = mk_magnitude_key((float)(v / (double)m));
    }
}
