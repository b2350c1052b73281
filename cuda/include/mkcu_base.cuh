/*
 * What every exmerge CUDA header shares: EXMERGE_HD (host and device under nvcc, plain inline
 * functions under the host compiler, which builds the emulator from these same headers), the dtype
 * codes the Java side passes, and bit casts. Nothing here may depend on which compiler reads it:
 * the arithmetic is written once and the device and the emulated grid run the same source.
 */
#ifndef MKCU_BASE_CUH
#define MKCU_BASE_CUH

#include <stdint.h>
#include <string.h>
#include <math.h>

#if defined(__CUDACC__)
#define EXMERGE_HD static __host__ __device__ __forceinline__
#else
#define EXMERGE_HD static inline
#endif

/* Element types; the values are CudaTypes' codes on the Java side. */
#define MKCU_F32 1
#define MKCU_F16 2
#define MKCU_BF16 3
#define MKCU_F64 4
#define MKCU_F8_E4M3 5
#define MKCU_F8_E5M2 6

/* The most models (inputs of a linear op, models of a sparse op) a kernel takes: per-element values
 * live in a fixed per-thread array. Larger ops are a counted fallback on the Java side. */
#define MKCU_MAX_MODELS 16

EXMERGE_HD uint32_t mkcu_bits(float f) {
#if defined(__CUDA_ARCH__)
    return (uint32_t)__float_as_uint(f);
#else
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
#endif
}

EXMERGE_HD float mkcu_float(uint32_t b) {
#if defined(__CUDA_ARCH__)
    return __uint_as_float(b);
#else
    float f;
    memcpy(&f, &b, 4);
    return f;
#endif
}

EXMERGE_HD uint64_t mkcu_bits64(double d) {
#if defined(__CUDA_ARCH__)
    return (uint64_t)__double_as_longlong(d);
#else
    uint64_t b;
    memcpy(&b, &d, 8);
    return b;
#endif
}

/* Single-rounding multiply-add; fmaf/fma are IEEE on both sides (never a contraction the
 * compiler chose: --fmad=false and -ffp-contract=off forbid those). */
EXMERGE_HD float mkcu_fmaf(float a, float b, float c) {
    return fmaf(a, b, c);
}

EXMERGE_HD double mkcu_fma(double a, double b, double c) {
    return fma(a, b, c);
}

/* Bytes per element of a dtype code; 0 for an unknown code. */
EXMERGE_HD int32_t mkcu_dtype_size(int32_t t) {
    switch (t) {
    case MKCU_F64:
        return 8;
    case MKCU_F32:
        return 4;
    case MKCU_F16:
    case MKCU_BF16:
        return 2;
    case MKCU_F8_E4M3:
    case MKCU_F8_E5M2:
        return 1;
    default:
        return 0;
    }
}

#endif
