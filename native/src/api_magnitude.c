/* MagnitudeSelect's two histogram passes (keys from the table a tile at a time, counted here) and the band select's read. */
#include <emmintrin.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

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

/*
 * The high pass counts every key, and task vectors of 16-bit fine-tunes crowd into a few hundred
 * buckets, so neighbouring keys often hit one bucket: each increment then waits for the previous
 * one's store. Four interleaved copies of the table (32-bit counts: a copy gets at most a quarter
 * of a flush's keys) let four increments of one bucket run at once; only the buckets touched take
 * cache, and the copies are added into hist at the end. Small passes count into hist directly,
 * where zeroing and adding the copies would cost more than they save.
 */
enum { HIGH_BUCKETS = 1 << 15, COPIES = 4 };
#define SPLIT_FROM ((int64_t)1 << 16)
#define FLUSH_EVERY ((int64_t)1 << 30)

static void count_high(const uint32_t *keys, int64_t len, uint32_t *copies) {
    int64_t j = 0;
    for (; j + COPIES <= len; j += COPIES) {
        copies[keys[j] >> 16]++;
        copies[HIGH_BUCKETS + (keys[j + 1] >> 16)]++;
        copies[2 * HIGH_BUCKETS + (keys[j + 2] >> 16)]++;
        copies[3 * HIGH_BUCKETS + (keys[j + 3] >> 16)]++;
    }
    for (; j < len; j++) {
        copies[keys[j] >> 16]++;
    }
}

static void flush_high(uint32_t *copies, int64_t *hist) {
    for (int b = 0; b < HIGH_BUCKETS; b++) {
        int64_t sum = 0;
        for (int c = 0; c < COPIES; c++) {
            sum += copies[c * HIGH_BUCKETS + b];
            copies[c * HIGH_BUCKETS + b] = 0;
        }
        hist[b] += sum;
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
    uint32_t *copies; /* zeroed COPIES x HIGH_BUCKETS counts for a large high pass, else NULL */
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
        if (a->copies != NULL) {
            count_high(keys, len, a->copies);
            if ((from + len) % FLUSH_EVERY == 0) {
                flush_high(a->copies, a->hist);
            }
            continue;
        }
        for (int64_t j = 0; j < len; j++) {
            a->hist[keys[j] >> 16]++;
        }
    }
    if (a->copies != NULL) {
        flush_high(a->copies, a->hist);
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
    /* Allocated outside the guard: a fault leaves the guarded body by a jump, past any free there. */
    uint32_t *copies = high < 0 && n >= SPLIT_FROM ? calloc((size_t)COPIES * HIGH_BUCKETS, sizeof(uint32_t)) : NULL;
    const histogram_args args = {x, x_type, base, base_type, n, high, hist, copies};
    s = mk_guarded(histogram_body, (void *)&args);
    free(copies);
    return s;
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

typedef struct band_args {
    const void *x;
    int32_t x_type;
    const void *base;
    int32_t base_type;
    int64_t n;
    uint32_t lo;
    uint32_t hi;
    int64_t *counts;
    uint32_t *band;
    int64_t cap;
    int64_t *between;
} band_args;

/* The band's read, under the SIGBUS guard; counts and the cursor reach the caller only on success. */
static int32_t band_body(void *ctx) {
    const band_args *a = ctx;
    const mk_kernel_table *k = mk_active();
    int64_t counts[3] = {0, 0, 0};
    int64_t cursor = 0;
    for (int64_t from = 0; from < a->n; from += MK_TILE) {
        int64_t len = a->n - from < MK_TILE ? a->n - from : MK_TILE;
        cursor = k->magnitude_band(at(a->x, a->x_type, from), a->x_type, at(a->base, a->base_type, from),
                                   a->base_type, len, a->lo, a->hi, counts, a->band, cursor, a->cap);
    }
    for (int i = 0; i < 3; i++) {
        a->counts[i] += counts[i];
    }
    *a->between += cursor;
    return MK_OK;
}

int32_t mk_magnitude_band(const void *x, int32_t x_type, const void *base, int32_t base_type, int64_t n, uint32_t lo,
                          uint32_t hi, int64_t *counts, uint32_t *band, int64_t cap, int64_t *between) {
    if (n < 0 || cap < 0 || lo > hi || hi > MK_NAN_KEY) {
        return MK_E_ARGUMENT;
    }
    if (counts == NULL || between == NULL || (n > 0 && (x == NULL || base == NULL)) || (cap > 0 && band == NULL)) {
        return MK_E_NULL;
    }
    if (mk_dtype_size(x_type) == 0 || mk_dtype_size(base_type) == 0) {
        return MK_E_DTYPE;
    }
    const band_args args = {x, x_type, base, base_type, n, lo, hi, counts, band, cap, between};
    return mk_guarded(band_body, (void *)&args);
}

typedef struct keys_args {
    const void *x;
    int32_t x_type;
    const void *base;
    int32_t base_type;
    int64_t n;
    int32_t first;
    int32_t runs;
    int32_t of;
    int32_t run;
    uint32_t *keys;
} keys_args;

/* The sample's scattered runs, under the SIGBUS guard: every run is the first touch of its page. */
static int32_t keys_body(void *ctx) {
    const keys_args *a = ctx;
    const mk_kernel_table *k = mk_active();
    for (int32_t r = 0; r < a->runs; r++) {
        int64_t s = a->of == 1 ? 0 : (int64_t)(a->first + r) * (a->n - a->run) / (a->of - 1);
        k->magnitude_keys(at(a->x, a->x_type, s), a->x_type, at(a->base, a->base_type, s), a->base_type, a->run,
                          a->keys + (int64_t)r * a->run);
    }
    return MK_OK;
}

int32_t mk_magnitude_keys_spread(const void *x, int32_t x_type, const void *base, int32_t base_type, int64_t n,
                                 int32_t first, int32_t runs, int32_t of, int32_t run, uint32_t *keys) {
    if (run < 1 || run > n || of < 1 || of > (1 << 20) || first < 0 || runs < 0 || first > of - runs) {
        return MK_E_ARGUMENT;
    }
    if (runs > 0 && (x == NULL || base == NULL || keys == NULL)) {
        return MK_E_NULL;
    }
    if (mk_dtype_size(x_type) == 0 || mk_dtype_size(base_type) == 0) {
        return MK_E_DTYPE;
    }
    const keys_args args = {x, x_type, base, base_type, n, first, runs, of, run, keys};
    return mk_guarded(keys_body, (void *)&args);
}

/* The bucket at or below `top` holding rank k (counted from the top, above the keys of higher buckets,
 * which *above accumulates); k is within the histogram's total, so a bucket is always found. */
static uint32_t rank_bucket(const int64_t *hist, int64_t top, int64_t k, int64_t *above) {
    int64_t b = top;
    for (; b > 0 && *above + hist[b] < k; b--) {
        *above += hist[b];
    }
    return (uint32_t)b;
}

/* Two counting passes, as MagnitudeSelect: the bucket of key >> 16 that holds rank k (counted from the
 * top), then the low part within it (count_low, as the histogram's second pass). */
int32_t mk_kth_largest_key(const uint32_t *keys, int64_t n, int64_t k, uint32_t *key) {
    if (n < 0 || k < 1 || k > n) {
        return MK_E_ARGUMENT;
    }
    if (keys == NULL || key == NULL) {
        return MK_E_NULL;
    }
    for (int64_t j = 0; j < n; j++) {
        if (keys[j] > MK_NAN_KEY) {
            return MK_E_ARGUMENT;
        }
    }
    int64_t *hist = calloc((size_t)1 << 16, sizeof(int64_t));
    if (hist == NULL) {
        return MK_E_ARGUMENT; /* the ABI has no out-of-memory status */
    }
    for (int64_t j = 0; j < n; j++) {
        hist[keys[j] >> 16]++;
    }
    int64_t above = 0;
    const uint32_t high = rank_bucket(hist, (int64_t)(MK_NAN_KEY >> 16), k, &above);
    memset(hist, 0, ((size_t)1 << 16) * sizeof(int64_t));
    count_low(keys, n, high, hist);
    *key = high << 16 | rank_bucket(hist, 0xFFFF, k, &above);
    free(hist);
    return MK_OK;
}
