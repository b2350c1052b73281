/*
 * numerics §3's magnitude keys, MagnitudeSelect's two histogram passes and the band select's read
 * (Kernels.tauBand) over τ = x − b (float32): key(τ) = min(bits(τ) & 0x7FFFFFFF, 0x7F800001), so ±0
 * tie and every NaN ranks above infinity. Counts are integers, so the order in which threads add
 * them (atomics) cannot change a bucket.
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

/* The band read's parameters (56 bytes); BandLaunch packs the same layout. */
typedef struct mkcu_band_args {
    uint64_t x;
    uint64_t base;
    uint64_t out; /* uint64 counts (above hi, at hi, at lo), the uint64 cursor, then cap uint32 keys */
    int64_t n;
    int64_t cap;
    int32_t x_type;
    int32_t base_type;
    uint32_t lo;
    uint32_t hi;
} mkcu_band_args;

typedef struct mkcu_band_shared {
    uint64_t counts[3];
} mkcu_band_shared;

#define MKCU_BAND_CURSOR 3
#define MKCU_BAND_KEYS 4

/*
 * Phase 0 zeroes the block's counts; phase 1 counts each thread's keys in registers and adds them
 * to the block's (so the global counts take three atomics a block, not one an element), and gives
 * each key strictly between lo and hi a slot from the global cursor, stored only below cap: the
 * cursor ends at the exact total, however many fit. Slots go in the order threads reach them, so
 * the band's order differs from the spec's, which the op allows (its caller ranks a multiset).
 * Phase 2 adds the block's counts to the global ones. Needs at least 3 threads a block.
 */
EXMERGE_HD void mkcu_tau_band_body(const mkcu_band_args *a, mkcu_ctx c, int phase, mkcu_band_shared *s) {
    uint64_t *out = (uint64_t *)mkcu_out_ptr(a->out);
    if (phase == 0) {
        if (c.thread < 3) {
            s->counts[c.thread] = 0;
        }
        return;
    }
    if (phase == 2) {
        if (c.thread < 3 && s->counts[c.thread] != 0) {
            mkcu_atomic_add_u64(out + c.thread, s->counts[c.thread]);
        }
        return;
    }
    uint32_t *band = (uint32_t *)(out + MKCU_BAND_KEYS);
    uint64_t counts[3] = {0, 0, 0};
    for (int64_t j = mkcu_first(c); j < a->n; j += mkcu_stride(c)) {
        const float t = mkcu_load(mkcu_ptr(a->x), a->x_type, j) - mkcu_load(mkcu_ptr(a->base), a->base_type, j);
        const uint32_t key = mkcu_magnitude_key(t);
        if (key > a->hi) {
            counts[0]++;
        } else if (key == a->hi) {
            counts[1]++;
        } else if (key == a->lo) {
            counts[2]++;
        } else if (key > a->lo) {
            const uint64_t slot = mkcu_atomic_fetch_add_u64(out + MKCU_BAND_CURSOR, 1);
            if (slot < (uint64_t)a->cap) {
                band[slot] = key;
            }
        }
    }
    for (int i = 0; i < 3; i++) {
        if (counts[i] != 0) {
            mkcu_atomic_add_u64(&s->counts[i], counts[i]);
        }
    }
}

#endif
