/*
 * numerics §2's linear op with one op per vector (kernel/VectorLinearKernels): element e is
 * computed exactly as mkcu_linear32/64 would compute it under the op of its vector. The Java side
 * stages a table of the coefficients of the vectors a sub-chunk touches: per row, the weights then
 * the divisor and λ, once in float64 and once rounded to float32, and the flags.
 */
#ifndef MKCU_LINEAR_VECTORS_CUH
#define MKCU_LINEAR_VECTORS_CUH

#include "mkcu_linear.cuh"

/* The launch parameters (288 bytes); VectorLinearLaunch packs the same layout. */
typedef struct mkcu_vlinear_args {
    uint64_t inputs[MKCU_MAX_MODELS]; /* the sub-chunk's slices: element j is tensor element first + j */
    int32_t input_types[MKCU_MAX_MODELS];
    uint64_t base; /* 0: the ops have no base */
    uint64_t out;
    uint64_t coef64; /* float64 [rows][n_inputs + 2]: weights, divisor, λ */
    uint64_t coef32; /* float32 [rows][n_inputs + 2], each rounded from the float64 */
    uint64_t flags;  /* int32 [rows]: MKCU_LINEAR_DIVIDE | MKCU_LINEAR_NEG_ZERO */
    int64_t n;
    int64_t first;
    int64_t length;       /* elements per vector */
    int64_t vectors;      /* vectors of the tensor */
    int64_t first_vector; /* the vector of table row 0 */
    int32_t n_inputs;
    int32_t base_type;
    int32_t out_type;
    int32_t strided; /* 1: element k of vector p is tensor element k·vectors + p */
} mkcu_vlinear_args;

EXMERGE_HD int64_t mkcu_vlinear_row(const mkcu_vlinear_args *a, int64_t j) {
    const int64_t e = a->first + j;
    return (a->strided ? e % a->vectors : e / a->length) - a->first_vector;
}

EXMERGE_HD float mkcu_vlinear32_element(const mkcu_vlinear_args *a, int64_t j) {
    const int64_t row = mkcu_vlinear_row(a, j);
    const float *w = (const float *)mkcu_ptr(a->coef32) + row * (a->n_inputs + 2);
    const int32_t flags = ((const int32_t *)mkcu_ptr(a->flags))[row];
    const int has_base = a->base != 0;
    const float b = has_base ? mkcu_load(mkcu_ptr(a->base), a->base_type, j) : 0.0f;
    float acc = (flags & MKCU_LINEAR_NEG_ZERO) ? -0.0f : 0.0f;
    for (int32_t i = 0; i < a->n_inputs; i++) {
        const float x = mkcu_load(mkcu_ptr(a->inputs[i]), a->input_types[i], j);
        acc = mkcu_fmaf(w[i], has_base ? x - b : x, acc);
    }
    if (flags & MKCU_LINEAR_DIVIDE) {
        acc = acc / w[a->n_inputs];
    }
    return has_base ? mkcu_fmaf(w[a->n_inputs + 1], acc, b) : acc;
}

EXMERGE_HD double mkcu_vlinear64_element(const mkcu_vlinear_args *a, int64_t j) {
    const int64_t row = mkcu_vlinear_row(a, j);
    const double *w = (const double *)mkcu_ptr(a->coef64) + row * (a->n_inputs + 2);
    const int32_t flags = ((const int32_t *)mkcu_ptr(a->flags))[row];
    const int has_base = a->base != 0;
    const double b = has_base ? mkcu_load64(mkcu_ptr(a->base), a->base_type, j) : 0.0;
    double acc = (flags & MKCU_LINEAR_NEG_ZERO) ? -0.0 : 0.0;
    for (int32_t i = 0; i < a->n_inputs; i++) {
        const double x = mkcu_load64(mkcu_ptr(a->inputs[i]), a->input_types[i], j);
        acc = mkcu_fma(w[i], has_base ? x - b : x, acc);
    }
    if (flags & MKCU_LINEAR_DIVIDE) {
        acc = acc / w[a->n_inputs];
    }
    return has_base ? mkcu_fma(w[a->n_inputs + 1], acc, b) : acc;
}

EXMERGE_HD void mkcu_vlinear32_body(const mkcu_vlinear_args *a, mkcu_ctx c, int phase, mkcu_no_shared *s) {
    for (int64_t j = mkcu_first(c); j < a->n; j += mkcu_stride(c)) {
        mkcu_store(mkcu_out_ptr(a->out), a->out_type, j, mkcu_vlinear32_element(a, j));
    }
}

EXMERGE_HD void mkcu_vlinear64_body(const mkcu_vlinear_args *a, mkcu_ctx c, int phase, mkcu_no_shared *s) {
    for (int64_t j = mkcu_first(c); j < a->n; j += mkcu_stride(c)) {
        mkcu_store64(mkcu_out_ptr(a->out), a->out_type, j, mkcu_vlinear64_element(a, j));
    }
}

#endif
