/*
 * ops_ab N REPS OLD.so NEW.so OLD_ISA NEW_ISA: the native ops other than mk_linear and
 * mk_sparse_merge (floor_ab and sparse_ab time those) from two libexmerge builds or two ISA paths
 * (MK_ISA_*: 1 AVX2, 2 AVX-512; for two paths of one build pass a copy of the library as OLD), called
 * in turn, best of REPS each, over N BF16 elements: the band select's read, the magnitude histogram,
 * Philox uniforms, nearswap, the output check, BF16 -> F32, and DELLA's/breadcrumbs' L2 norms of two
 * models in blocks of 65,536 (mk_sparse_norms). Prints ns per element for each and whether
 * both wrote the same bytes. Built next to floor_ab (bench/target/native-build/ops_ab).
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exmerge.h"

typedef int32_t (*band_t)(const void *, int32_t, const void *, int32_t, int64_t, uint32_t, uint32_t, int64_t *,
                          uint32_t *, int64_t, int64_t *);
typedef int32_t (*hist_t)(const void *, int32_t, const void *, int32_t, int64_t, int64_t *);
typedef int32_t (*philox_t)(uint64_t, uint32_t, uint32_t, int64_t, int64_t, float *);
typedef int32_t (*nearswap_t)(const void *, int32_t, const void *, int32_t, void *, int32_t, float, int64_t);
typedef int32_t (*nonfinite_t)(const void *, int32_t, uint64_t, int64_t, int64_t *);
typedef int32_t (*convert_t)(const void *, int32_t, void *, int32_t, int64_t);
typedef int32_t (*norms_t)(int32_t, const void *const *, const int32_t *, const void *, int32_t, const int64_t *,
                           const int64_t *, int32_t, const float *, uint64_t, uint32_t, int32_t, int64_t, int64_t,
                           double *, int64_t, const double *, const double *, const float *);

typedef struct {
    band_t band;
    hist_t hist;
    philox_t philox;
    nearswap_t nearswap;
    nonfinite_t nonfinite;
    convert_t convert;
    norms_t norms;
} lib;

enum { OPS = 7, BLOCK = 65536 };
static const char *names[OPS] = {"band", "histogram", "philox", "nearswap", "nonfinite", "convert", "norms"};

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *sym(void *h, const char *name) {
    void *f = dlsym(h, name);
    if (f == NULL) {
        fprintf(stderr, "%s\n", dlerror());
        exit(1);
    }
    return f;
}

int main(int argc, char **argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: ops_ab ELEMENTS REPS OLD.so NEW.so OLD_ISA NEW_ISA\n");
        return 2;
    }
    const int64_t n = atoll(argv[1]);
    const int reps = atoi(argv[2]);
    lib L[2];
    for (int k = 0; k < 2; k++) {
        void *h = dlopen(argv[3 + k], RTLD_NOW | RTLD_LOCAL);
        if (h == NULL) {
            fprintf(stderr, "%s\n", dlerror());
            return 1;
        }
        int32_t (*force)(int32_t) = (int32_t (*)(int32_t))sym(h, "mk_force_isa");
        if (force(atoi(argv[5 + k])) != MK_OK) {
            fprintf(stderr, "%s cannot run ISA %s\n", argv[3 + k], argv[5 + k]);
            return 1;
        }
        L[k] = (lib){(band_t)sym(h, "mk_magnitude_band"), (hist_t)sym(h, "mk_magnitude_histogram_high"),
                     (philox_t)sym(h, "mk_philox_uniform"), (nearswap_t)sym(h, "mk_nearswap"),
                     (nonfinite_t)sym(h, "mk_first_nonfinite"), (convert_t)sym(h, "mk_convert"),
                     (norms_t)sym(h, "mk_sparse_norms")};
    }
    uint16_t *x = malloc(n * 2), *b = malloc(n * 2);
    srand(1);
    for (int64_t j = 0; j < n; j++) { /* bfloat16 of small weights around 0, a fine-tune's shape */
        float v = ((rand() % 2001) - 1000) * 2e-5f, d = ((rand() % 201) - 100) * 1e-6f, w = v + d;
        uint32_t u, t;
        memcpy(&u, &v, 4);
        memcpy(&t, &w, 4);
        b[j] = (uint16_t)(u >> 16);
        x[j] = (uint16_t)(t >> 16);
    }
    /* the band: keys between the 18th and 22nd percentile of a sample's magnitudes, as a TIES trim */
    const uint32_t lo = 0x37000000, hi = 0x37800000;
    const int64_t cap = n / 4;
    uint32_t *band[2] = {malloc(cap * 4), malloc(cap * 4)};
    int64_t *hist[2] = {calloc(32768, 8), calloc(32768, 8)};
    float *u[2] = {malloc(n * 4), malloc(n * 4)}, *f[2] = {malloc(n * 4), malloc(n * 4)};
    uint16_t *o[2] = {malloc(n * 2), malloc(n * 2)};
    int64_t counts[2][3], between[2], first[2];
    const int64_t blocks = (n + BLOCK - 1) / BLOCK;
    double *norm[2] = {malloc(blocks * 4 * sizeof(double)), malloc(blocks * 4 * sizeof(double))};
    const void *models[2] = {x, b};
    const int32_t model_types[2] = {MK_DTYPE_BF16, MK_DTYPE_BF16};
    const int64_t keep_from[2] = {lo, lo}, keep_below[2] = {1LL << 31, 1LL << 31};
    const float keep_prob[2] = {1, 1};
    double best[2][OPS];
    for (int k = 0; k < 2; k++) {
        for (int op = 0; op < OPS; op++) {
            best[k][op] = 1e9;
        }
    }
    for (int r = 0; r < reps; r++) {
        for (int op = 0; op < OPS; op++) {
            for (int k = 0; k < 2; k++) {
                double t0 = now();
                switch (op) {
                case 0:
                    memset(counts[k], 0, sizeof counts[k]);
                    between[k] = 0;
                    L[k].band(x, MK_DTYPE_BF16, b, MK_DTYPE_BF16, n, lo, hi, counts[k], band[k], cap, &between[k]);
                    break;
                case 1: L[k].hist(x, MK_DTYPE_BF16, b, MK_DTYPE_BF16, n, hist[k]); break;
                case 2: L[k].philox(42, 7, 1, 0, n, u[k]); break;
                case 3: L[k].nearswap(b, MK_DTYPE_BF16, x, MK_DTYPE_BF16, o[k], MK_DTYPE_BF16, 1e-3f, n); break;
                case 4: L[k].nonfinite(x, 2, 0x7f80, n, &first[k]); break;
                case 5: L[k].convert(x, MK_DTYPE_BF16, f[k], MK_DTYPE_F32, n); break;
                default: /* the second model is the base itself: its terms are 0, as many elements' are */
                    for (int64_t q = 0; q < blocks; q++) {
                        int64_t len = n - q * BLOCK < BLOCK ? n - q * BLOCK : BLOCK;
                        L[k].norms(2, models, model_types, b, MK_DTYPE_BF16, keep_from, keep_below, MK_RANDOM_NONE,
                                   keep_prob, 0, 0, MK_NORM_L2, q * BLOCK, len, norm[k] + 4 * q, 0, NULL, NULL, NULL);
                    }
                    break;
                }
                double t = now() - t0;
                if (t < best[k][op]) {
                    best[k][op] = t;
                }
            }
        }
    }
    const int same[OPS] = {
        memcmp(counts[0], counts[1], sizeof counts[0]) == 0 && between[0] == between[1] &&
            memcmp(band[0], band[1], 4 * (between[0] < cap ? between[0] : cap)) == 0,
        memcmp(hist[0], hist[1], 32768 * 8) == 0, memcmp(u[0], u[1], n * 4) == 0, memcmp(o[0], o[1], n * 2) == 0,
        first[0] == first[1], memcmp(f[0], f[1], n * 4) == 0, memcmp(norm[0], norm[1], blocks * 4 * sizeof(double)) == 0};
    printf("n=%lld, ns per element, old (%s) -> new (%s):\n", (long long)n, argv[5], argv[6]);
    for (int op = 0; op < OPS; op++) {
        printf("  %-10s %.3f -> %.3f  (%.2fx)  same bytes: %s\n", names[op], 1e9 * best[0][op] / n,
               1e9 * best[1][op] / n, best[0][op] / best[1][op], same[op] ? "yes" : "NO");
    }
    return 0;
}
