/*
 * numerics §12's arithmetic for one element of mk_lora_rows (org.exmerge.kernel.LoraKernels, and
 * org.exmerge.numeric.Narrow for the rounding): the scalar path's epilogue and the SIMD paths' tails
 * and their lanes below float32's normal range.
 */
#ifndef EXMERGE_LORA_SCALAR_H
#define EXMERGE_LORA_SCALAR_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "fp_scalar.h"
#include "kernels.h"

/* The float64 bits at and below float32's last significand bit (52 - 23 = 29 of them). */
#define MK_ODD_CUT 0x1FFFFFFFull

static inline uint64_t mk_dbits(double d) {
    uint64_t b;
    memcpy(&b, &d, 8);
    return b;
}

static inline double mk_double(uint64_t b) {
    double d;
    memcpy(&d, &b, 8);
    return d;
}

/* Narrow.toOddFloat: d's significand cut to float32's 24 bits, the last set when anything was cut, so
 * the 16-bit types' round-to-nearest-even of the result is d's own. Below 2^-126 float32 is subnormal
 * and cuts more than 29 bits: there the cast, then one step toward d when it was inexact and even. */
static inline float mk_odd_float(double d) {
    if (fabs(d) < 0x1p-126 && d != 0) {
        float f = (float)d;
        uint32_t bits = mk_bits(f);
        if ((double)f == d || (bits & 1u) != 0) {
            return f;
        }
        return mk_float(fabs(d) > fabs((double)f) ? bits + 1u : bits - 1u);
    }
    uint64_t b = mk_dbits(d);
    return (float)mk_double((b & ~MK_ODD_CUT) | ((uint64_t)((b & MK_ODD_CUT) != 0) << 29));
}

/* Element e of out, v rounded once to its type (Narrow.store). */
static inline void mk_lora_store(void *out, int32_t type, int64_t e, double v) {
    mk_store(out, type, e, type == MK_DTYPE_F32 ? (float)v : mk_odd_float(v));
}

/* Element (r, j) from its sum over k. */
static inline void mk_lora_finish(const mk_lora_args *a, int64_t r, int64_t j, double d) {
    int64_t e = r * a->columns + j;
    double v = (double)mk_load(a->w, a->w_type, e) + a->scaling * d;
    mk_lora_store(a->out, a->out_type, e, v);
}

/* Element (r, j) whole: the sum in k order from +0, each product rounded before its add. */
static inline void mk_lora_element(const mk_lora_args *a, int64_t r, int64_t j) {
    const double *l = a->left + r * a->rank;
    const double *x = a->right + j;
    double d = 0.0;
    for (int32_t k = 0; k < a->rank; k++) {
        d = d + l[k] * x[k * a->columns];
    }
    mk_lora_finish(a, r, j, d);
}

#endif
