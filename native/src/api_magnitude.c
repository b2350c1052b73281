/* MagnitudeSelect's two histogram passes: keys from the table a tile at a time, counted here. */
#include <emmintrin.h>
#include <stddef.h>

#include "kernels.h"

static int32_t check(const void *x, int32_t tx, const void *b, int32_t tb, int64_t n, int64_t *hist) {
    if (n < 0) {
        return MK_E_ARGUMENT;
    }
    if (hist == NULL || (n > 0 && x == NULL)) {
        return MK_E_NULL;
    }
    if (mk_dtype_size(tx) == 0 || (b != NULL && mk_dtype_size(tb) == 0)) {
        return MK_E_DTYPE;
    }
    return MK_OK;
}

static const void *at(const void *p, int32_t t, int64_t j) {
    return p == NULL ? NULL : (const char *)p + j * mk_dtype_size(t);
}

/*
 * The low pass counts only the keys whose high part is the bucket found by the first pass. On the
 * task vectors of 16-bit fine-tunes (a few ulps of the base, so few distinct values) that bucket can
 * hold a third of the keys, matched in no predictable pattern: a branch per key mispredicts at
 * every other key. So keys are tested sixteen at a time with SSE2 (every x86-64 has it) and only the
 * matching ones are visited, through the bits of the match mask.
 */
static void count_low(const uint32_t *keys, int64_t len, uint32_t high, int64_t *hist) {
    const __m128i want = _mm_set1_epi32((int)high);
    int64_t j = 0;
    for (; j + 16 <= len; j += 16) {
        unsigned mask = 0;
        for (int v = 0; v < 4; v++) {
            __m128i k = _mm_loadu_si128((const __m128i *)(keys + j + 4 * v));
            __m128i hit = _mm_cmpeq_epi32(_mm_srli_epi32(k, 16), want);
            mask |= (unsigned)_mm_movemask_ps(_mm_castsi128_ps(hit)) << (4 * v);
        }
        while (mask != 0) {
            hist[keys[j + __builtin_ctz(mask)] & 0xFFFFu]++;
            mask &= mask - 1;
        }
    }
    for (; j < len; j++) {
        if ((keys[j] >> 16) == high) {
            hist[keys[j] & 0xFFFFu]++;
        }
    }
}

typedef struct histogram_args {
    const void *x;
    int32_t x_type;
    const void *base;
    int32_t base_type;
    int64_t n;
    int32_t high;
    int64_t *hist;
} histogram_args;

/* The reading part of a pass, under the SIGBUS guard (fault_guard.c). */
static int32_t histogram_body(void *ctx) {
    const histogram_args *a = ctx;
    const mk_kernel_table *k = mk_active();
    uint32_t keys[MK_TILE];
    for (int64_t from = 0; from < a->n; from += MK_TILE) {
        int64_t len = a->n - from < MK_TILE ? a->n - from : MK_TILE;
        k->magnitude_keys(at(a->x, a->x_type, from), a->x_type, at(a->base, a->base_type, from), a->base_type, len,
                          keys);
        if (a->high >= 0) {
            count_low(keys, len, (uint32_t)a->high, a->hist);
            continue;
        }
        for (int64_t j = 0; j < len; j++) {
            a->hist[keys[j] >> 16]++;
        }
    }
    return MK_OK;
}

/* One pass: keys a tile at a time from the ISA's table, counted here (high < 0: the first pass). */
static int32_t histogram(const void *x, int32_t x_type, const void *base, int32_t base_type, int64_t n,
                         int32_t high, int64_t *hist) {
    int32_t s = check(x, x_type, base, base_type, n, hist);
    if (s != MK_OK) {
        return s;
    }
    const histogram_args args = {x, x_type, base, base_type, n, high, hist};
    return mk_guarded(histogram_body, (void *)&args);
}

int32_t mk_magnitude_histogram_high(const void *x, int32_t x_type, const void *base, int32_t base_type, int64_t n,
                                    int64_t *hist) {
    return histogram(x, x_type, base, base_type, n, -1, hist);
}

int32_t mk_magnitude_histogram_low(const void *x, int32_t x_type, const void *base, int32_t base_type, int64_t n,
                                   int32_t high, int64_t *hist) {
    if (high < 0 || high >= (1 << 15)) {
        return MK_E_ARGUMENT;
    }
    return histogram(x, x_type, base, base_type, n, high, hist);
}
