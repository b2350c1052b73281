/*
 * numerics §2's fused linear family and the dtype conversion, per element, as the Java spec's
 * JavaKernels.linear32/linear64/convert compute it: acc starts at +0 (−0 for slerp's products),
 * acc = fma(w_i, hasBase ? x_i − b : x_i, acc) in input order, an optional division, then
 * fma(λ, acc, b); float32 unless an operand is F64, then float64 with the unrounded coefficients.
 */
#ifndef MKCU_LINEAR_CUH
#define MKCU_LINEAR_CUH

#include "mkcu_dtype.cuh"
#include "mkcu_grid.cuh"

#define MKCU_LINEAR_DIVIDE 1
#define MKCU_LINEAR_NEG_ZERO 2

/* The launch parameters, passed by value; CudaLinear packs the same layout (448 bytes). */
typedef struct mkcu_linear_args {
    uint64_t inputs[MKCU_MAX_MODELS]; /* device addresses */
    double weights64[MKCU_MAX_MODELS];
    float weights32[MKCU_MAX_MODELS];
    int32_t input_types[MKCU_MAX_MODELS];
    uint64_t base; /* 0: the op has no base */
    uint64_t out;
    int64_t n;
    double divisor64;
    double lambda64;
    float divisor32;
    float lambda32;
    int32_t n_inputs;
    int32_t base_type;
    int32_t out_type;
    int32_t flags;
} mkcu_linear_args;

typedef struct mkcu_convert_args {
    uint64_t in;
    uint64_t out;
    int64_t n;
    int32_t in_type;
    int32_t out_type;
} mkcu_convert_args;

EXMERGE_HD const void *mkcu_ptr(uint64_t address) {
    return (const void *)(uintptr_t)address;
}

EXMERGE_HD void *mkcu_out_ptr(uint64_t address) {
    return (void *)(uintptr_t)address;
}

EXMERGE_HD float mkcu_linear32_element(const mkcu_linear_args *a, int64_t j) {
    const int has_base = a->base != 0;
    const float b = has_base ? mkcu_load(mkcu_ptr(a->base), a->base_type, j) : 0.0f;
    float acc = (a->flags & MKCU_LINEAR_NEG_ZERO) ? -0.0f : 0.0f;
    for (int32_t i = 0; i < a->n_inputs; i++) {
        const float x = mkcu_load(mkcu_ptr(a->inputs[i]), a->input_types[i], j);
        acc = mkcu_fmaf(a->weights32[i], has_base ? x - b : x, acc);
    }
    if (a->flags & MKCU_LINEAR_DIVIDE) {
        acc = acc / a->divisor32;
    }
    return has_base ? mkcu_fmaf(a->lambda32, acc, b) : acc;
}

EXMERGE_HD double mkcu_linear64_element(const mkcu_linear_args *a, int64_t j) {
    const int has_base = a->base != 0;
    const double b = has_base ? mkcu_load64(mkcu_ptr(a->base), a->base_type, j) : 0.0;
    double acc = (a->flags & MKCU_LINEAR_NEG_ZERO) ? -0.0 : 0.0;
    for (int32_t i = 0; i < a->n_inputs; i++) {
        const double x = mkcu_load64(mkcu_ptr(a->inputs[i]), a->input_types[i], j);
        acc = mkcu_fma(a->weights64[i], has_base ? x - b : x, acc);
    }
    if (a->flags & MKCU_LINEAR_DIVIDE) {
        acc = acc / a->divisor64;
    }
    return has_base ? mkcu_fma(a->lambda64, acc, b) : acc;
}

/* Grid-stride bodies: one phase, no shared memory. */
EXMERGE_HD void mkcu_linear32_body(const mkcu_linear_args *a, mkcu_ctx c, int phase, mkcu_no_shared *s) {
    for (int64_t j = mkcu_first(c); j < a->n; j += mkcu_stride(c)) {
        mkcu_store(mkcu_out_ptr(a->out), a->out_type, j, mkcu_linear32_element(a, j));
    }
}

EXMERGE_HD void mkcu_linear64_body(const mkcu_linear_args *a, mkcu_ctx c, int phase, mkcu_no_shared *s) {
    for (int64_t j = mkcu_first(c); j < a->n; j += mkcu_stride(c)) {
        mkcu_store64(mkcu_out_ptr(a->out), a->out_type, j, mkcu_linear64_element(a, j));
    }
}

/* Different float types only (the Java side copies equal types): float64 when either side is F64. */
EXMERGE_HD void mkcu_convert_body(const mkcu_convert_args *a, mkcu_ctx c, int phase, mkcu_no_shared *s) {
    const int wide = a->in_type == MKCU_F64 || a->out_type == MKCU_F64;
    for (int64_t j = mkcu_first(c); j < a->n; j += mkcu_stride(c)) {
        if (wide) {
            mkcu_store64(mkcu_out_ptr(a->out), a->out_type, j, mkcu_load64(mkcu_ptr(a->in), a->in_type, j));
        } else {
            mkcu_store(mkcu_out_ptr(a->out), a->out_type, j, mkcu_load(mkcu_ptr(a->in), a->in_type, j));
        }
    }
}

#endif
