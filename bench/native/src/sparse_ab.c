/*
 * sparse_ab N REPS OLD.so NEW.so [ties|dare [OLD_ISA NEW_ISA]]: mk_sparse_merge of two libexmerge builds in one
 * process, interleaved call by call (as floor_ab does for mk_linear), best of REPS each, next to
 * mk_bench_stream_n over the same streams and a memcpy of the same byte count. The op is the ties
 * method's (the default): each model trimmed at its 20 % magnitude threshold (keys from the data),
 * sum election, normalize, weights 0.6 / 0.3 / 0.1; or dare_ties': each element kept with
 * probability 0.2 (Philox draws, seed 42) and divided by it, sum election, no normalize. For 2 and 3
 * models of BF16, F16 and F32 (base and output of that type too). Prints ns per element and GB/s (models + base read, output written). Checks that
 * both builds write the same bytes. BASE=F32 in the environment makes the base float32 (the models keep their type):
 * the tile path (values, then combine) instead of the register-resident one (GB/s still counts the base
 * at the models' size). The ISA paths (MK_ISA_*) default to AVX2 for both, the floor runs
 * NEW_ISA's; two paths of one build: pass a copy of the library as OLD. Built next to floor_ab (bench/target/native-build/sparse_ab).
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exmerge.h"

typedef int32_t (*sparse_t)(int32_t, const void *const *, const int32_t *, const void *, int32_t, void *, int32_t,
                            const float *, const int64_t *, const int64_t *, int32_t, const float *, const float *,
                            int32_t, int32_t, float, float, uint64_t, uint32_t, int64_t, int64_t, int64_t,
                            const double *, const double *, const float *, int64_t *);
int32_t mk_bench_stream_n(const void *const *in, int32_t n_in, void *out, int64_t n, int32_t size, int32_t isa);

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* IEEE half bits to float, exactly (subnormals included). */
static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1Fu, m = h & 0x3FFu, u;
    if (e == 0x1F) {
        u = sign | 0x7F800000u | (m << 13);
    } else if (e != 0) {
        u = sign | ((e + 112) << 23) | (m << 13);
    } else if (m == 0) {
        u = sign;
    } else { /* subnormal: normalise */
        e = 113;
        while ((m & 0x400u) == 0) {
            m <<= 1;
            e--;
        }
        u = sign | (e << 23) | ((m & 0x3FFu) << 13);
    }
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Float to half bits for the test data only: truncating, finite normal values kept, smaller ones to ±0. */
static uint16_t float_to_half(float v) {
    uint32_t u;
    memcpy(&u, &v, 4);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
    int32_t e = (int32_t)((u >> 23) & 0xFFu) - 112;
    if (e <= 0) {
        return sign;
    }
    return e >= 31 ? (uint16_t)(sign | 0x7BFFu) : (uint16_t)(sign | (e << 10) | ((u >> 13) & 0x3FFu));
}

static float widen(const void *p, int32_t t, int64_t j) {
    if (t == MK_DTYPE_F32) {
        return ((const float *)p)[j];
    }
    uint16_t h = ((const uint16_t *)p)[j];
    if (t == MK_DTYPE_F16) {
        return half_to_float(h);
    }
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static void store(void *p, int32_t t, int64_t j, float v) {
    if (t == MK_DTYPE_F32) {
        ((float *)p)[j] = v;
    } else if (t == MK_DTYPE_BF16) {
        uint32_t u;
        memcpy(&u, &v, 4);
        ((uint16_t *)p)[j] = (uint16_t)(u >> 16);
    } else {
        ((uint16_t *)p)[j] = float_to_half(v);
    }
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The magnitude key of the 20 % largest |x - b| of the first million elements (numerics §3's key:
 * the float's bits without the sign). */
static int64_t threshold(const void *x, int32_t t, const void *b, int32_t tb, int64_t n) {
    int64_t m = n < 1000000 ? n : 1000000;
    uint32_t *k = malloc((size_t)m * 4);
    for (int64_t j = 0; j < m; j++) {
        float d = widen(x, t, j) - widen(b, tb, j);
        uint32_t u;
        memcpy(&u, &d, 4);
        k[j] = u & 0x7FFFFFFFu;
    }
    qsort(k, (size_t)m, 4, cmp_u32);
    int64_t key = k[m - m / 5];
    free(k);
    return key;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: sparse_ab ELEMENTS REPS OLD.so NEW.so [ties|dare [OLD_ISA NEW_ISA]]\n");
        return 2;
    }
    int64_t n = atoll(argv[1]);
    int reps = atoi(argv[2]);
    const int dare = argc > 5 && strcmp(argv[5], "dare") == 0;
    /* the op's own arguments: ties trims by magnitude and normalizes; dare draws and divides by p */
    const int32_t random = dare ? MK_RANDOM_FIXED : MK_RANDOM_NONE;
    const int32_t flags = dare ? MK_SPARSE_DIVIDE_BY_PROB : MK_SPARSE_NORMALIZE;
    const int32_t isa[2] = {argc > 7 ? atoi(argv[6]) : MK_ISA_AVX2, argc > 7 ? atoi(argv[7]) : MK_ISA_AVX2};
    sparse_t S[2];
    for (int k = 0; k < 2; k++) {
        void *h = dlopen(argv[3 + k], RTLD_NOW | RTLD_LOCAL);
        if (h == NULL) {
            fprintf(stderr, "%s\n", dlerror());
            return 1;
        }
        S[k] = (sparse_t)dlsym(h, "mk_sparse_merge");
        int32_t (*force)(int32_t) = (int32_t (*)(int32_t))dlsym(h, "mk_force_isa");
        if (force(isa[k]) != MK_OK) {
            fprintf(stderr, "%s cannot run ISA %d\n", argv[3 + k], isa[k]);
            return 1;
        }
    }
    const int32_t types[3] = {MK_DTYPE_BF16, MK_DTYPE_F16, MK_DTYPE_F32};
    const char *names[3] = {"BF16", "F16", "F32"};
    const char *base_env = getenv("BASE");
    const int f32_base = base_env != NULL && strcmp(base_env, "F32") == 0;
    for (int ti = 0; ti < 3; ti++) {
        int32_t t = types[ti];
        int32_t tb = f32_base ? MK_DTYPE_F32 : t;
        int32_t sz = t == MK_DTYPE_F32 ? 4 : 2;
        size_t bytes = ((size_t)n * sz + 63) / 64 * 64;
        void *base = aligned_alloc(64, ((size_t)n * 4 + 63) / 64 * 64), *x[3], *out[2], *cs = aligned_alloc(64, 5 * bytes),
             *cd = aligned_alloc(64, 5 * bytes);
        srand(7);
        for (int64_t j = 0; j < n; j++) {
            store(base, tb, j, ((rand() % 2001) - 1000) * 2e-5f);
        }
        for (int i = 0; i < 3; i++) {
            x[i] = aligned_alloc(64, bytes);
            for (int64_t j = 0; j < n; j++) {
                store(x[i], t, j, widen(base, tb, j) + ((rand() % 201) - 100) * 2e-6f);
            }
        }
        out[0] = aligned_alloc(64, bytes);
        out[1] = aligned_alloc(64, bytes);
        memset(cs, 1, 5 * bytes);
        memset(cd, 2, 5 * bytes);
        for (int m = 2; m <= 3; m++) {
            int32_t it[3] = {t, t, t};
            float w[3] = {0.6f, 0.3f, 0.1f}, p[3] = {1, 1, 1}, d[3] = {1, 1, 1};
            if (dare) {
                p[0] = p[1] = p[2] = 0.2f;
            }
            int64_t from[3], below[3] = {1LL << 31, 1LL << 31, 1LL << 31};
            for (int i = 0; i < m; i++) {
                from[i] = dare ? 0 : threshold(x[i], t, base, tb, n);
            }
            const void *all[4] = {base, x[0], x[1], x[2]};
            double best[4] = {1e9, 1e9, 1e9, 1e9};
            for (int r = 0; r < reps; r++) {
                double c[5];
                c[0] = now();
                for (int k = 0; k < 2; k++) {
                    int32_t s = S[k](m, (const void *const *)x, it, base, tb, out[k], t, w, from, below, random, p, d, 1,
                                     flags, 1.0f, 1.0f, 42, 0, 0, n, 1, NULL, NULL, NULL, NULL);
                    if (s != 0) {
                        fprintf(stderr, "mk_sparse_merge: status %d\n", s);
                        return 1;
                    }
                    c[k + 1] = now();
                }
                mk_bench_stream_n(all, m + 1, out[0], n, sz, isa[1]);
                c[3] = now();
                memcpy(cd, cs, (size_t)(m + 2) * n * sz);
                c[4] = now();
                for (int k = 0; k < 4; k++) {
                    best[k] = c[k + 1] - c[k] < best[k] ? c[k + 1] - c[k] : best[k];
                }
            }
            /* the stream floor wrote over out[0]: run both once more for the comparison */
            S[0](m, (const void *const *)x, it, base, tb, out[0], t, w, from, below, random, p, d, 1, flags, 1.0f, 1.0f, 42, 0,
                 0, n, 1, NULL, NULL, NULL, NULL);
            S[1](m, (const void *const *)x, it, base, tb, out[1], t, w, from, below, random, p, d, 1, flags, 1.0f, 1.0f, 42, 0,
                 0, n, 1, NULL, NULL, NULL, NULL);
            double traffic = (double)(m + 2) * n * sz;
            printf("%-4s %d models n=%lld: old %.2f ns/el %.1f GB/s | new %.2f ns/el %.1f GB/s | streamN %.1f GB/s | "
                   "memcpy %.1f GB/s | same bytes: %s\n",
                   names[ti], m, (long long)n, best[0] / n * 1e9, traffic / best[0] / 1e9, best[1] / n * 1e9,
                   traffic / best[1] / 1e9, traffic / best[2] / 1e9, traffic / best[3] / 1e9,
                   memcmp(out[0], out[1], (size_t)n * sz) == 0 ? "yes" : "NO");
        }
        free(base);
        free(x[0]);
        free(x[1]);
        free(x[2]);
        free(out[0]);
        free(out[1]);
        free(cs);
        free(cd);
    }
    return 0;
}
