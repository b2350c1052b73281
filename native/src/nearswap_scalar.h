/*
 * numerics §10's nearswap of one element in float32: the scalar path and the AVX2 tails. Each step
 * rounds on its own (the build has -ffp-contract=off); the comparisons let a NaN fall through, as
 * maxps(floor, a) / minps(1, lo) do in the SIMD paths and Java's ternaries do in the spec.
 */
#ifndef EXMERGE_NEARSWAP_SCALAR_H
#define EXMERGE_NEARSWAP_SCALAR_H

#include <math.h>

/* mergekit's floor under |v0 - v1|. */
#define MK_NEARSWAP_FLOOR 1e-6f

static inline float mk_nearswap1(float t, float v0, float v1) {
    float a = fabsf(v0 - v1);
    float m = MK_NEARSWAP_FLOOR > a ? MK_NEARSWAP_FLOOR : a;
    float q = (1.0f / m) * t;
    float lo = 0.0f > q ? 0.0f : q;
    float w = 1.0f < lo ? 1.0f : lo;
    return w * v1 + (1.0f - w) * v0;
}

#endif
