/*
 * Internal: the per-ISA kernel table. Each instruction-set path (scalar, AVX2, AVX-512) fills one
 * table from its own translation units, compiled with that path's flags only (cmake/ExmergeIsa.cmake),
 * and dispatch.c picks one table at load time from cpu_features.c's CPUID/XGETBV answer. The public
 * mk_ functions (api_*.c) validate arguments, cut the work into tiles and call through the table,
 * so every path shares one driver and differs only in its inner loops.
 */
#ifndef EXMERGE_KERNELS_H
#define EXMERGE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "exmerge.h"

/* Elements per tile of the linear/convert driver: acc and base tiles (4 KiB each) stay in L1. */
#define MK_TILE 1024
/* linear_direct writes outputs of at least this many bytes with non-temporal stores: a normal store
 * first reads the line it writes (read-for-ownership), one extra stream of memory traffic on top of
 * the inputs and the output, and an output this size would not stay in cache for the reader anyway. */
#define MK_STREAM_BYTES (1 << 20)
/* numerics §4 block and lane counts. */
#define MK_RED_BLOCK 65536
#define MK_RED_LANES 64
/* Magnitude keys of every NaN (org.exmerge.numeric.MagnitudeSelect.NAN_KEY). */
#define MK_NAN_KEY 0x7F800001u

/* mk_linear's arguments, for the paths that take the whole call at once. */
typedef struct mk_linear_args {
    int32_t n_inputs;
    const void *const *inputs;
    const int32_t *input_types;
    const float *weights;
    const void *base; /* NULL: no base */
    int32_t base_type;
    void *out;
    int32_t out_type;
    int32_t divide;
    float zero; /* the accumulator's start: +0, or -0 with MK_LINEAR_NEG_ZERO */
    float divisor;
    float lambda;
    int64_t n;
    /* NULL: no output check asked. Else a linear_direct that tests the values it stores sets it to 1
     * when one of them is non-finite and 0 when none is; one that does not test leaves it as it is. */
    int32_t *nonfinite;
} mk_linear_args;

/* Elements per tile of the sparse driver (api_sparse.c): one value tile per model stays in L1/L2. */
#define MK_SPARSE_TILE 512
/* The widest band bound a kernel sees: keys never exceed MK_NAN_KEY, so 2^31 (no bound) clamps to it. */
#define MK_SPARSE_BOUND 0x7FFFFFFFu

/* mk_sparse_merge's per-tensor scalars the combine step needs. */
typedef struct mk_sparse_args {
    int32_t n_models;
    const float *weights;
    int32_t election; /* MK_ELECT_* */
    int32_t normalize;
    float sum_divisor;
    float lambda;
    int32_t out_type;
} mk_sparse_args;

/* mk_linear_vectors' per-vector coefficients for one tile: element j uses op o = ops[j] of the arrays. */
typedef struct mk_vector_ops {
    int32_t n_inputs;
    const float *weights; /* [o * n_inputs + i] */
    const int32_t *flags; /* MK_LINEAR_* */
    const float *divisors;
    const float *lambdas;
} mk_vector_ops;

/* mk_lora_rows' arguments. */
typedef struct mk_lora_args {
    const void *w;
    int32_t w_type;
    const double *left;
    const double *right;
    int32_t rank;
    int64_t columns;
    int64_t count;
    double scaling;
    void *out;
    int32_t out_type;
} mk_lora_args;

typedef struct mk_kernel_table {
    int32_t isa;
    /* The whole fused linear kernel with the accumulator in registers (one load per input per
     * vector, no tiles), for calls whose inputs all have one type and the base, if any, that type
     * too: the common case of models saved alike. Returns 0, touching nothing, for other calls,
     * which then take the tile path below. Same operations in the same order as the tiles. */
    int (*linear_direct)(const mk_linear_args *a);
    /* dst[0..len) = widen(src[0..len)); len <= MK_TILE. */
    void (*widen)(const void *src, int32_t type, int64_t len, float *dst);
    /* acc[j] = fma(w, b ? widen(x[j]) - b[j] : widen(x[j]), acc[j]) for j < len. */
    void (*accumulate)(float *acc, const float *b, const void *x, int32_t type, float w, int64_t len);
    /* v = acc[j]; if divide: v /= divisor; if b: v = fma(lambda, v, b[j]); out[j] = narrow(v). */
    void (*finish)(const float *acc, const float *b, int32_t divide, float divisor, float lambda,
                   void *out, int32_t type, int64_t len);
    /* mk_linear_vectors' arithmetic for one tile of len <= MK_TILE elements: element j with op o = ops[j]:
     * a = +0 or -0 (flags[o]); a = fma(w[o][i], b ? x[i][j] - b[j] : x[i][j], a) for every input i;
     * if divide: a = a / divisors[o]; if b: a = fma(lambdas[o], a, b[j]); acc[j] = a. x[i] are widened tiles. */
    void (*linear_vectors)(const mk_vector_ops *v, const float *const *x, const float *b, const int32_t *ops,
                           int64_t len, float *acc);
    /* numerics §4 lanes of one run of a vector: lanes[j % 64] += (double)u[j] * (double)w[j] for j < len,
     * the run starting at a multiple of 64 inside its block (so j % 64 is the element's lane). */
    void (*pair_lanes)(const float *u, const float *w, int64_t len, double *lanes);
    /* One row across g vectors side by side: acc[c] += (double)u[c] * (double)w[c] for c < g. */
    void (*pair_rows)(const float *u, const float *w, int64_t g, double *acc);
    /* keys[j] = magnitude key of (b ? widen(x[j]) - widen(b[j]) : widen(x[j])); len <= MK_TILE. */
    void (*magnitude_keys)(const void *x, int32_t tx, const void *b, int32_t tb, int64_t len, uint32_t *keys);
    /* mk_magnitude_band over one tile (len <= MK_TILE, with b): counts[0..2] += keys > hi, == hi,
     * == lo (lo < hi only); keys with lo < key < hi go to band[at++] while at < cap, at counting on
     * past cap. Returns at. */
    int64_t (*magnitude_band)(const void *x, int32_t tx, const void *b, int32_t tb, int64_t len, uint32_t lo,
                              uint32_t hi, int64_t *counts, uint32_t *band, int64_t at, int64_t cap);
    /* u[j] = numerics §5 uniform of element first + j. */
    void (*philox_uniform)(uint64_t seed, uint32_t tensor_id, uint32_t model, int64_t first, int64_t n, float *u);
    /* numerics §3 sparsify + weight for one model's tile: t = widen(x[j]) - b[j];
     * v[j] = w * (from <= key(t) < below && (!u || u[j] < p) ? t / div : +0); len <= MK_SPARSE_TILE,
     * from and below already clamped to [0, MK_SPARSE_BOUND]. */
    void (*sparse_values)(const void *x, int32_t tx, const float *b, int64_t len, uint32_t from, uint32_t below,
                          const float *u, float p, float div, float w, float *v);
    /* numerics §3 election + combine + fma(lambda, m, b[j]) + narrow into out[0..len), over the value
     * tiles v + i * MK_SPARSE_TILE of the a->n_models models. */
    void (*sparse_combine)(const mk_sparse_args *a, const float *v, const float *b, int64_t len, void *out);
    /* sparse_values for every model then sparse_combine, register-resident (no value tiles), over
     * elements e..e+len of inputs x[i] and base b that all have type t (a MK_DTYPE_*), with no random
     * drop, each model's from, below (clamped) and div given: out[0..done) as the tile path would
     * write it, done the elements it did (a multiple of 8, or len; 0 when it takes no such calls: then
     * the tile path does them all). */
    int64_t (*sparse_direct)(const mk_sparse_args *a, const void *const *x, int32_t t, const void *b, int64_t e,
                             int64_t len, const uint32_t *from, const uint32_t *below, const float *div, void *out);
    /* numerics §4 lanes of one model's tile for MK_NORM_L1 / MK_NORM_L2 (t and keep as sparse_values):
     * before[j % 64] += term(t_j); after[j % 64] += keep_j ? term(t_j) : +0; the tile starts at a
     * multiple of 64 inside its block, so j % 64 is the element's lane. len <= MK_SPARSE_TILE. */
    void (*sparse_norm_lanes)(const void *x, int32_t tx, const float *b, int64_t len, uint32_t from, uint32_t below,
                              const float *u, float p, int32_t norm, double *before, double *after);
    /* numerics §10 nearswap of one tile of widened values: out[j] = nearswap(t, v0[j], v1[j]);
     * out may be v0 or v1. len <= MK_TILE. */
    void (*nearswap)(const float *v0, const float *v1, float t, int64_t len, float *out);
    /* sce: keys[j] = key((float)var_j) of the task-vector tiles t + i * MK_SPARSE_TILE (i < m), the
     * variance as org.exmerge.kernel.SceOp.variance; len <= MK_SPARSE_TILE. Scalar on every path. */
    void (*sce_variance_keys)(const float *t, int32_t m, int64_t len, uint32_t *keys);
    /* Index of the first element of p[0, n) (size bytes each, 1/2/4/8) whose bits of lane are all
     * ones, or -1; lane is bits [k, 8 * size - 2] for some k (nonfinite_scalar.h). */
    int64_t (*first_nonfinite)(const void *p, int32_t size, uint64_t lane, int64_t n);
    /* mk_lora_rows over rows [r0, r0 + rows) and columns [c0, c0 + cols). pack is NULL (right read in
     * place) or right's columns from c0 in groups of lora_width: pack[(g * rank + k) * lora_width + x] =
     * right[k * columns + c0 + g * lora_width + x], for the whole groups of cols; c0 is then a multiple of
     * lora_width. */
    void (*lora_block)(const mk_lora_args *a, int64_t r0, int64_t rows, int64_t c0, int64_t cols, const double *pack);
    /* The columns lora_block takes from pack per vector group; 0: it never takes a pack. */
    int32_t lora_width;
    /* numerics §13 over rows [0, rows) of out (k doubles each) and terms [t0, t1): for each row r and
     * column c, out[r * k + c] = fma((double)a[r * rs + t * ts], b[t * k + c], out[r * k + c]) for t in
     * order (api_svd.c: D·X and Dᵀ·Q). */
    void (*svd_block)(const float *a, int64_t rs, int64_t ts, const double *b, int32_t k, int64_t rows, int64_t t0,
                      int64_t t1, double *out);
} mk_kernel_table;

/* Each path defines these functions in its own files (<family>_<isa>.c); dispatch.c gathers them
 * into that path's table. */
#define MK_DECLARE_PATH(isa)                                                                             \
    int mk_linear_direct_##isa(const mk_linear_args *a);                                                 \
    void mk_widen_##isa(const void *src, int32_t type, int64_t len, float *dst);                         \
    void mk_accumulate_##isa(float *acc, const float *b, const void *x, int32_t type, float w, int64_t len); \
    void mk_finish_##isa(const float *acc, const float *b, int32_t divide, float divisor, float lambda,  \
                         void *out, int32_t type, int64_t len);                                          \
    void mk_linear_vectors_##isa(const mk_vector_ops *v, const float *const *x, const float *b,          \
                                 const int32_t *ops, int64_t len, float *acc);                          \
    void mk_pair_lanes_##isa(const float *u, const float *w, int64_t len, double *lanes);                \
    void mk_pair_rows_##isa(const float *u, const float *w, int64_t g, double *acc);                     \
    void mk_magnitude_keys_##isa(const void *x, int32_t tx, const void *b, int32_t tb, int64_t len,     \
                                 uint32_t *keys);                                                        \
    int64_t mk_magnitude_band_##isa(const void *x, int32_t tx, const void *b, int32_t tb, int64_t len,  \
                                    uint32_t lo, uint32_t hi, int64_t *counts, uint32_t *band, int64_t at, \
                                    int64_t cap);                                                      \
    void mk_philox_uniform_##isa(uint64_t seed, uint32_t tensor_id, uint32_t model, int64_t first,      \
                                 int64_t n, float *u);                                                   \
    void mk_sparse_values_##isa(const void *x, int32_t tx, const float *b, int64_t len, uint32_t from,     \
                                uint32_t below, const float *u, float p, float div, float w, float *v);   \
    void mk_sparse_combine_##isa(const mk_sparse_args *a, const float *v, const float *b, int64_t len,    \
                                 void *out);                                                             \
    int64_t mk_sparse_direct_##isa(const mk_sparse_args *a, const void *const *x, int32_t t, const void *b,  \
                                   int64_t e, int64_t len, const uint32_t *from, const uint32_t *below,     \
                                   const float *div, void *out);                                           \
    void mk_sparse_norm_lanes_##isa(const void *x, int32_t tx, const float *b, int64_t len, uint32_t from, \
                                    uint32_t below, const float *u, float p, int32_t norm, double *before, \
                                    double *after);                                                    \
    void mk_nearswap_##isa(const float *v0, const float *v1, float t, int64_t len, float *out);          \
    int64_t mk_first_nonfinite_##isa(const void *p, int32_t size, uint64_t lane, int64_t n);             \
    void mk_lora_block_##isa(const mk_lora_args *a, int64_t r0, int64_t rows, int64_t c0, int64_t cols,    \
                             const double *pack);                                                         \
    void mk_svd_block_##isa(const float *a, int64_t rs, int64_t ts, const double *b, int32_t k, int64_t rows,  \
                            int64_t t0, int64_t t1, double *out);

MK_DECLARE_PATH(scalar)
/* sce_scalar.c: the variance keys every path's table uses. */
void mk_sce_variance_keys_scalar(const float *t, int32_t m, int64_t len, uint32_t *keys);
#if defined(MK_HAVE_X86_PATHS)
MK_DECLARE_PATH(avx2)
MK_DECLARE_PATH(avx512)
#endif

/* The table in use (dispatch.c). */
const mk_kernel_table *mk_active(void);

/* Bytes per element of a MK_DTYPE_*, 0 for anything else. */
static inline int64_t mk_dtype_size(int32_t t) {
    return t == MK_DTYPE_F32 ? 4 : (t == MK_DTYPE_F16 || t == MK_DTYPE_BF16) ? 2 : 0;
}

/* mk_first_nonfinite's lane for a MK_DTYPE_*: its exponent bits. */
static inline uint64_t mk_nonfinite_lane(int32_t t) {
    return t == MK_DTYPE_F32 ? 0x7F800000u : t == MK_DTYPE_F16 ? 0x7C00u : 0x7F80u;
}

/* Every input's type is a MK_DTYPE_* (else MK_E_DTYPE) and, when data_needed, its pointer is set
 * (else MK_E_NULL), checked input by input in that order. */
static inline int32_t mk_check_inputs(int32_t count, const void *const *inputs, const int32_t *types, int data_needed) {
    for (int32_t i = 0; i < count; i++) {
        if (mk_dtype_size(types[i]) == 0) {
            return MK_E_DTYPE;
        }
        if (inputs[i] == NULL && data_needed) {
            return MK_E_NULL;
        }
    }
    return MK_OK;
}

/* The one type every input (and the base, if any) has, or 0 when they differ: linear_direct's test. */
static inline int32_t mk_uniform_input_type(const mk_linear_args *a) {
    int32_t t = a->base != NULL ? a->base_type : (a->n_inputs > 0 ? a->input_types[0] : 0);
    for (int32_t i = 0; i < a->n_inputs; i++) {
        if (a->input_types[i] != t) {
            return 0;
        }
    }
    return t;
}

/* fault_guard.c: body(ctx) under this thread's SIGBUS guard: its status, or MK_E_FAULT when memory it
 * read faulted. Every entry that reads caller memory runs its reading part this way; a body may not
 * allocate or lock (a fault jumps out of it), so entries allocate before and free after. */
int32_t mk_guarded(int32_t (*body)(void *ctx), void *ctx);

/* cpu_features.c */
int64_t mk_detect_cpu_features(void);

#endif
