/*
 * numerics §10's nearswap (kernel/NearSwapKernel): w = clamp((1 / max(|v0 − v1|, 1e-6))·t, 0, 1),
 * out = w·v1 + (1 − w)·v0, every operation rounded on its own (the build forbids contraction) in
 * float32, or float64 when an operand is F64. The comparisons are the spec's, so a NaN falls
 * through them unchanged.
 */
#ifndef MKCU_NEARSWAP_CUH
#define MKCU_NEARSWAP_CUH

#include "mkcu_linear.cuh"

/* The launch parameters (64 bytes); NearswapLaunch packs the same layout. */
typedef struct mkcu_nearswap_args {
    uint64_t base; /* v0 */
    uint64_t x;    /* v1 */
    uint64_t out;
    int64_t n;
    double t64;
    float t32; /* t rounded once to float32 */
    int32_t base_type;
    int32_t x_type;
    int32_t out_type;
    int32_t wide;
    int32_t unused;
} mkcu_nearswap_args;

EXMERGE_HD float mkcu_nearswap32(float t, float v0, float v1) {
    const float floor = 1e-6f;
    const float a = fabsf(v0 - v1);
    const float m = floor > a ? floor : a;
    const float q = (1.0f / m) * t;
    const float lo = 0.0f > q ? 0.0f : q;
    const float w = 1.0f < lo ? 1.0f : lo;
    return w * v1 + (1.0f - w) * v0;
}

EXMERGE_HD double mkcu_nearswap64(double t, double v0, double v1) {
    const double floor = 1e-6;
    const double a = fabs(v0 - v1);
    const double m = floor > a ? floor : a;
    const double q = (1.0 / m) * t;
    const double lo = 0.0 > q ? 0.0 : q;
    const double w = 1.0 < lo ? 1.0 : lo;
    return w * v1 + (1.0 - w) * v0;
}

EXMERGE_HD void mkcu_nearswap_body(const mkcu_nearswap_args *a, mkcu_ctx c, int phase, mkcu_no_shared *s) {
    for (int64_t j = mkcu_first(c); j < a->n; j += mkcu_stride(c)) {
        if (a->wide) {
            const double v0 = mkcu_load64(mkcu_ptr(a->base), a->base_type, j);
            const double v1 = mkcu_load64(mkcu_ptr(a->x), a->x_type, j);
            mkcu_store64(mkcu_out_ptr(a->out), a->out_type, j, mkcu_nearswap64(a->t64, v0, v1));
        } else {
            const float v0 = mkcu_load(mkcu_ptr(a->base), a->base_type, j);
            const float v1 = mkcu_load(mkcu_ptr(a->x), a->x_type, j);
            mkcu_store(mkcu_out_ptr(a->out), a->out_type, j, mkcu_nearswap32(a->t32, v0, v1));
        }
    }
}

#endif
