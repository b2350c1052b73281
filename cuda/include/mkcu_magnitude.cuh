/*
 * numerics §3's magnitude keys and MagnitudeSelect's two histogram passes over τ = x − b (float32):
 * key(τ) = min(bits(τ) & 0x7FFFFFFF, 0x7F800001), so ±0 tie and every NaN ranks above infinity.
 * Counts are integers, so the order in which threads add them (atomics) cannot change a bucket.
 */
#ifndef MKCU_MAGNITUDE_CUH
#define MKCU_MAGNITUDE_CUH

#include "mkcu_dtype.cuh"
#include "mkcu_grid.cuh"
#include "mkcu_linear.cuh"

#define MKCU_NAN_KEY 0x7F800001u

EXMERGE_HD uint32_t mkcu_magnitude_key(float v) {
    const uint32_t k = mkcu_bits(v) & 0x7FFFFFFFu;
    return k < MKCU_NAN_KEY ? k : MKCU_NAN_KEY;
}

typedef struct mkcu_histogram_args {
    uint64_t x;
    uint64_t base;
    uint64_t hist; /* uint64 counts: 32,768 (high < 0) or 65,536 buckets */
    int64_t n;
    int32_t x_type;
    int32_t base_type;
    int32_t high; /* < 0: the first pass */
    int32_t unused;
} mkcu_histogram_args;

EXMERGE_HD void mkcu_histogram_body(const mkcu_histogram_args *a, mkcu_ctx c, int phase, mkcu_no_shared *s) {
    uint64_t *hist = (uint64_t *)mkcu_out_ptr(a->hist);
    for (int64_t j = mkcu_first(c); j < a->n; j += mkcu_stride(c)) {
        const float t = mkcu_load(mkcu_ptr(a->x), a->x_type, j) - mkcu_load(mkcu_ptr(a->base), a->base_type, j);
        const uint32_t key = mkcu_magnitude_key(t);
        if (a->high < 0) {
            mkcu_atomic_add_u64(hist + (key >> 16), 1);
        } else if ((key >> 16) == (uint32_t)a->high) {
            mkcu_atomic_add_u64(hist + (key & 0xFFFFu), 1);
        }
    }
}

#endif
