/*
 * exmerge native kernels: the flat C ABI (docs/numerics.md is the contract, org.exmerge.kernel.JavaKernels
 * the executable spec every function here reproduces bit for bit).
 *
 * Conventions: every function is prefixed mk_, sizes and element counts are int64_t, functions that
 * can fail return an int32_t status (MK_OK or a negative MK_E_* code) and write results through
 * pointers. Every kernel is single-threaded over the range it is given and re-entrant: callers cut
 * tensors into chunks and call from as many threads as they like. Pointers need no alignment.
 * Element data is little-endian. The Java binding (kernel/ffm/ExmergeNative.java) mirrors this file
 * one function per MethodHandle, and a test parses this header to keep the two in step: change a
 * prototype here and that test names the handle to change.
 *
 * Faults: a SIGBUS while a kernel reads its inputs (a memory-mapped file truncated under the call)
 * makes that call return MK_E_FAULT instead of killing the process. The library installs a SIGBUS
 * handler when it is loaded; every SIGBUS outside a kernel goes on to the handler that was there
 * before (the JVM's), as if ours were not there.
 */
#ifndef EXMERGE_H
#define EXMERGE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define MK_API __declspec(dllexport)
#else
#define MK_API __attribute__((visibility("default")))
#endif

/* Bumped whenever a prototype or a constant below changes meaning; the Java loader refuses a
 * library whose version differs from the one it was written against. */
#define MK_ABI_VERSION 12

/* ---- status codes ---- */
#define MK_OK 0
#define MK_E_NULL (-1)     /* a required pointer was NULL */
#define MK_E_ARGUMENT (-2) /* a count, flag or index out of range */
#define MK_E_DTYPE (-3)    /* an element type this library does not handle (the caller falls back) */
#define MK_E_ISA (-4)      /* mk_force_isa: this CPU/OS cannot run that instruction set */
#define MK_E_FAULT (-5)    /* reading an input faulted (SIGBUS: a mapped file truncated under the call); nothing
                            * else of the call happened that can be relied on: discard its outputs */

/* ---- element types (the float types the native kernels handle; F64 and F8 stay in Java) ---- */
#define MK_DTYPE_F32 1
#define MK_DTYPE_F16 2
#define MK_DTYPE_BF16 3

/* ---- instruction-set paths ---- */
#define MK_ISA_AUTO (-1) /* mk_force_isa: back to the best the machine supports */
#define MK_ISA_SCALAR 0  /* portable C, the reference every SIMD path is tested against */
#define MK_ISA_AVX2 1    /* AVX2 + FMA + F16C, OS saves ymm state */
#define MK_ISA_AVX512 2  /* AVX-512 F/BW/DQ/VL + FMA + F16C, OS saves zmm state */

/* ---- mk_cpu_features() bits (CPUID leaves 1 and 7, XGETBV for what the OS saves) ---- */
#define MK_CPU_SSE2 (1LL << 0)
#define MK_CPU_AVX (1LL << 1)
#define MK_CPU_AVX2 (1LL << 2)
#define MK_CPU_FMA (1LL << 3)
#define MK_CPU_F16C (1LL << 4)
#define MK_CPU_AVX512F (1LL << 5)
#define MK_CPU_AVX512BW (1LL << 6)
#define MK_CPU_AVX512DQ (1LL << 7)
#define MK_CPU_AVX512VL (1LL << 8)
#define MK_CPU_AVX512BF16 (1LL << 9) /* reported only: never used (see linear_avx512.c) */
#define MK_CPU_OS_YMM (1LL << 16)    /* XCR0 has SSE and AVX state */
#define MK_CPU_OS_ZMM (1LL << 17)    /* XCR0 has opmask, ZMM_Hi256 and Hi16_ZMM state */

/* ---- mk_linear flags ---- */
#define MK_LINEAR_DIVIDE 1 /* acc = acc / divisor before the base is added back */
#define MK_LINEAR_NEG_ZERO 2 /* acc starts at -0 instead of +0: slerp's first term is exactly c_1*x_1, -0 included */

/* ---- library and machine ---- */

/* MK_ABI_VERSION of the compiled library. */
MK_API int32_t mk_abi_version(void);

/* MK_CPU_* bits of this machine (CPUID and XGETBV, read once). */
MK_API int64_t mk_cpu_features(void);

/* The best MK_ISA_* this machine and OS support. */
MK_API int32_t mk_best_isa(void);

/* The MK_ISA_* the kernels use now. */
MK_API int32_t mk_isa(void);

/* Tests and benchmarks only: makes every kernel use the given path (MK_ISA_AUTO restores the best).
 * Process-wide; not to be called while kernels run on other threads. MK_E_ISA if unsupported. */
MK_API int32_t mk_force_isa(int32_t isa);

/* ---- numerics §2: the fused linear family (linear, task_arithmetic, expo, exme) ----
 * For j in [0, n): b = widen(base[j]) if base != NULL;
 *   acc = (flags & MK_LINEAR_NEG_ZERO) ? -0 : +0; for i in [0, n_inputs): acc = fma(weights[i], base ? widen(inputs[i][j]) - b : widen(inputs[i][j]), acc);
 *   if (flags & MK_LINEAR_DIVIDE) acc = acc / divisor;  if (base) acc = fma(lambda, acc, b);
 *   out[j] = narrow(acc)   (round to nearest even; NaN -> 0x7FC0 for BF16, 0x7E00 for F16; F32 stored as is)
 * all in float32. inputs[i] has type input_types[i]; any mix of MK_DTYPE_* for inputs, base and out.
 * out may not overlap an input unless it is the same pointer with the same type.
 * first_nonfinite: NULL, or where to put the index of the first element of out[0, n) that is an
 * infinity or NaN once written (mk_first_nonfinite's test), or -1: the engine's output check, made
 * while the values are in registers or in cache instead of by a second read of the output. */
MK_API int32_t mk_linear(int32_t n_inputs, const void *const *inputs, const int32_t *input_types,
                         const float *weights, const void *base, int32_t base_type, void *out,
                         int32_t out_type, int32_t flags, float divisor, float lambda, int64_t n,
                         int64_t *first_nonfinite);

/* out[j] = narrow(widen(in[j])) for j in [0, n); same type is a copy. */
MK_API int32_t mk_convert(const void *in, int32_t in_type, void *out, int32_t out_type, int64_t n);

/* numerics §2 with one op per vector (org.exmerge.kernel.Kernels.linearPerVector): element j in [0, n) is
 * tensor element e = start + j of a tensor of vector_count vectors of vector_length elements; its vector is
 * p = strided ? e % vector_count : e / vector_length, and its op o = (p - op_first) mod vector_count, which
 * must lie in [0, n_ops): weights[o * n_inputs + i], flags[o] (MK_LINEAR_* bits), divisors[o], lambdas[o].
 * Each element is computed exactly as mk_linear computes it under its op. inputs, base and out point at
 * element start (the chunk); any mix of MK_DTYPE_* as for mk_linear. */
MK_API int32_t mk_linear_vectors(int32_t n_inputs, const void *const *inputs, const int32_t *input_types,
                                 const void *base, int32_t base_type, void *out, int32_t out_type,
                                 int64_t op_first, int32_t n_ops, const float *weights, const int32_t *flags,
                                 const float *divisors, const float *lambdas, int64_t vector_count,
                                 int64_t vector_length, int32_t strided, int64_t start, int64_t n);

/* ---- numerics §4: the geometric methods' float64 pair sums (org.exmerge.kernel.Kernels.pairSums) ----
 * Element k of vector v (v < vectors) is element first + k * element_stride + v * vector_stride of what
 * inputs[i] and base point at (element_stride >= 1, vector_stride >= 0; first may be negative when the
 * span starts at a later block, as long as no element read lies before the pointers). Of each vector the
 * span reads blocks b in [first_block, first_block + blocks), block b being its elements k in
 * [b * 65536, min((b + 1) * 65536, length)). v_i = widen(inputs[i][e]), or with a base
 * (float)(widen(inputs[i][e]) - widen(base[e])) (a float32 subtraction). For pair q = (i, j) =
 * (pairs[2q], pairs[2q + 1]): out[(v * blocks + (b - first_block)) * n_pairs + q] = the block value of
 * (double)v_i * (double)v_j: element k in lane k % 64 from +0, the lanes folded pairwise for s = 32..1
 * (p[l] = p[l] + p[l + s]).
 * The caller adds a vector's block values left to right from +0. */
MK_API int32_t mk_pair_sums(int32_t n_inputs, const void *const *inputs, const int32_t *input_types,
                            const void *base, int32_t base_type, int32_t n_pairs, const int32_t *pairs,
                            int64_t first, int64_t element_stride, int64_t vector_stride, int32_t vectors,
                            int64_t length, int64_t first_block, int32_t blocks, double *out);

/* ---- numerics §3: exact top-k magnitude thresholds (org.exmerge.numeric.MagnitudeSelect) ----
 * v_j = widen(x[j]) - widen(base[j]) in float32 (the task vector), or widen(x[j]) when base is NULL;
 * key(v) = bits(v) & 0x7FFFFFFF, every NaN 0x7F800001. Counts are ADDED to hist, so chunks on any
 * threads merge by addition. high: hist[32768] counts key >> 16. low: hist[65536] counts
 * key & 0xFFFF of the keys whose key >> 16 == high. */
MK_API int32_t mk_magnitude_histogram_high(const void *x, int32_t x_type, const void *base,
                                           int32_t base_type, int64_t n, int64_t *hist);
MK_API int32_t mk_magnitude_histogram_low(const void *x, int32_t x_type, const void *base,
                                          int32_t base_type, int64_t n, int32_t high, int64_t *hist);
/* The band select's one read (Kernels.tauBand): keys as above, with base, and lo <= hi <= 0x7F800001.
 * Adds to counts[0] the keys > hi, to counts[1] the keys == hi, to counts[2] the keys == lo when
 * lo < hi; writes the keys with lo < key < hi into band[0 .. cap), in element order, and adds their
 * number (all of them, also those past cap) to *between. */
MK_API int32_t mk_magnitude_band(const void *x, int32_t x_type, const void *base, int32_t base_type, int64_t n,
                                 uint32_t lo, uint32_t hi, int64_t *counts, uint32_t *band, int64_t cap,
                                 int64_t *between);
/* The band select's sample (Kernels.tauKeys): keys as above, with base, of runs first .. first + runs - 1
 * of `of` runs of `run` elements spread over [0, n), run r starting at s = r * (n - run) / (of - 1) (0
 * when of == 1): keys[(r - first) * run + j] = key(x[s + j] - base[s + j]). 1 <= run <= n, 1 <= of <= 2^20,
 * 0 <= first <= first + runs <= of. */
MK_API int32_t mk_magnitude_keys_spread(const void *x, int32_t x_type, const void *base, int32_t base_type, int64_t n,
                                        int32_t first, int32_t runs, int32_t of, int32_t run, uint32_t *keys);
/* The k-th largest (1 <= k <= n, duplicates counted) of n magnitude keys (each <= 0x7F800001) into
 * *key: the band select's bracket and its rank among the gathered keys. keys is only read. */
MK_API int32_t mk_kth_largest_key(const uint32_t *keys, int64_t n, int64_t k, uint32_t *key);

/* ---- numerics §5: Philox4x32-10 (org.exmerge.numeric.Philox4x32) ----
 * One block: out[0..3] = philox4x32_10(counter[0..3], key[0..1]). */
MK_API int32_t mk_philox4x32_10(const uint32_t *key, const uint32_t *counter, uint32_t *out);

/* u[j] = numerics §5 uniform of element first + j: key (seed low, seed high), counter (element low,
 * element high, tensor_id, model), u = (word0 >> 8) * 2^-24. The generator mk_sparse_merge's random
 * drops use, exposed so tests prove every ISA path of it (the 2^32 counter carry included). */
MK_API int32_t mk_philox_uniform(uint64_t seed, uint32_t tensor_id, uint32_t model, int64_t first,
                                 int64_t n, float *u);

/* ---- numerics §3: the fused sparsify-and-elect op (TIES, DARE, breadcrumbs) ----
 * org.exmerge.kernel.SparseOp is the normative statement; per element e in [start, start + n), for
 * model i in [0, n_models), all in float32:
 *   t_i    = widen(inputs[i][e]) - widen(base[e])
 *   keep_i = keep_from[i] <= key(t_i) < keep_below[i]       (key as for the histograms above)
 *            and (random == MK_RANDOM_NONE or u(seed, e, tensor_id, i) < p_i)   (numerics §5)
 *   p_i    = keep_prob[i] (MK_RANDOM_FIXED, DARE), or (MK_RANDOM_RANKED, DELLA) with r the 1-based rank
 *            of key(t_i) in its row of row_length elements (ties by column; the whole row is ranked,
 *            even where [start, start + n) cuts it): rank_single[i] if row_length == 1, else
 *            (float)(rank_low[i] + rank_span[i] * (double)(r - 1) / (double)(row_length - 1))
 *   v_i    = w_i * (keep_i ? t_i / q_i : +0)                 q_i = p_i if MK_SPARSE_DIVIDE_BY_PROB,
 *                                                           else divisor[i]; plain multiply, no fma;
 *                                                           w_i = weights[i], 1 under MK_ELECT_LONE
 *   MK_ELECT_NONE:  m = +0; m = m + v_i in order; if MK_SPARSE_NORMALIZE: m = m / sum_divisor
 *   MK_ELECT_SUM:   s = +0; s = s + v_i; up = s >= 0       MK_ELECT_COUNT: c = sum of sign(v_i) (0 for
 *                   +-0, NaN); up = c >= 0. agree_i = up ? v_i > 0 : v_i < 0
 *   MK_ELECT_KEPT:  no sign elected (mergekit's ram); agree_i = v_i > 0 || v_i < 0
 *   MK_ELECT_LONE:  agree_i as MK_ELECT_KEPT (mergekit's ramplus_tl)
 *   then, for SUM, COUNT, KEPT and LONE: m = +0; d = +0; for agreeing i in order: m = m + v_i,
 *                   d = d + w_i; if MK_SPARSE_NORMALIZE: m = m / (d == 0 ? 1 : d)
 *   MK_ELECT_LONE:  g = +0; for agreeing i in order: g = g + weights[i]; if d == 1: m = g * m
 *                   (d counts the agreeing values: a lone one is multiplied by its model's weight)
 *   out[e - start] = narrow(fma(lambda, m, widen(base[e])))
 * inputs[i] and base point at element 0 of the tensor (Philox draws use the absolute index e); out
 * points at element start. keep_from/keep_below lie in [0, 2^31] (2^31: no bound / keep nothing);
 * keep_prob[i] >= 0 (ignored unless random is MK_RANDOM_FIXED). row_length, rank_low, rank_span and
 * rank_single are read only for MK_RANDOM_RANKED (row_length >= 1, the tensor a whole number of rows;
 * the arrays may be NULL otherwise). first_nonfinite: NULL, or as mk_linear's (an index into out). */
#define MK_RANDOM_NONE 0
#define MK_RANDOM_FIXED 1
#define MK_RANDOM_RANKED 2
#define MK_ELECT_NONE 0
#define MK_ELECT_SUM 1
#define MK_ELECT_COUNT 2
#define MK_ELECT_KEPT 3
#define MK_ELECT_LONE 4
#define MK_SPARSE_NORMALIZE 1      /* divide m as above */
#define MK_SPARSE_DIVIDE_BY_PROB 2 /* q_i = p_i (needs MK_RANDOM_FIXED or MK_RANDOM_RANKED) */

MK_API int32_t mk_sparse_merge(int32_t n_models, const void *const *inputs, const int32_t *input_types,
                               const void *base, int32_t base_type, void *out, int32_t out_type,
                               const float *weights, const int64_t *keep_from, const int64_t *keep_below,
                               int32_t random, const float *keep_prob, const float *divisor, int32_t election,
                               int32_t flags, float sum_divisor, float lambda, uint64_t seed, uint32_t tensor_id,
                               int64_t start, int64_t n, int64_t row_length, const double *rank_low,
                               const double *rank_span, const float *rank_single, int64_t *first_nonfinite);

/* mergekit's ramplus_tl counts (org.exmerge.kernel.Kernels.keptCounts): over elements [start, start + n),
 * with v_i exactly as mk_sparse_merge forms them for these arguments and c the number of v_i with
 * v_i > 0 || v_i < 0 (agreeing under MK_ELECT_KEPT), adds to counts[2i] the elements where model i's
 * v_i agrees and c > 1 and to counts[2i + 1] those where it agrees and c == 1. Arguments as
 * mk_sparse_merge's (sum_divisor, lambda and the output are not needed). */
MK_API int32_t mk_sparse_kept_counts(int32_t n_models, const void *const *inputs, const int32_t *input_types,
                                     const void *base, int32_t base_type, const float *weights,
                                     const int64_t *keep_from, const int64_t *keep_below, int32_t random,
                                     const float *keep_prob, const float *divisor, int32_t election, int32_t flags,
                                     uint64_t seed, uint32_t tensor_id, int64_t start, int64_t n,
                                     int64_t row_length, const double *rank_low, const double *rank_span,
                                     const float *rank_single, int64_t *counts);

/* One numerics §4 block of the norms rescale_norm matches (org.exmerge.kernel.Kernels.sparseNorms):
 * over elements [block_start, block_start + len) (block_start a multiple of 65,536, len <= 65,536),
 * with t_i and keep_i exactly as mk_sparse_merge forms them (divisors play no part),
 * out[2i] = the block value of model i's terms and out[2i + 1] that of its kept terms (dropped
 * elements add +0). MK_NORM_L1: |t| and MK_NORM_L2: t*t in float64, element l of the block in lane
 * l % 64 from +0, lanes folded pairwise for s = 32..1; MK_NORM_LINF: the largest |t| from +0, a NaN
 * propagating (Java's Math.max). */
#define MK_NORM_L1 1
#define MK_NORM_L2 2
#define MK_NORM_LINF 3

MK_API int32_t mk_sparse_norms(int32_t n_models, const void *const *inputs, const int32_t *input_types,
                               const void *base, int32_t base_type, const int64_t *keep_from,
                               const int64_t *keep_below, int32_t random, const float *keep_prob, uint64_t seed,
                               uint32_t tensor_id, int32_t norm, int64_t block_start, int64_t len, double *out,
                               int64_t row_length, const double *rank_low, const double *rank_span,
                               const float *rank_single);

/* ---- numerics §10: nearswap (org.exmerge.kernel.Kernels.nearswap) ----
 * For j in [0, n), all in float32, each step rounded on its own (no fma):
 *   v0 = widen(base[j]); v1 = widen(x[j]); a = |v0 - v1|; m = 1e-6f > a ? 1e-6f : a;
 *   q = (1 / m) * t; lo = 0 > q ? 0 : q; w = 1 < lo ? 1 : lo;   (a NaN passes through every step)
 *   out[j] = narrow(w * v1 + (1 - w) * v0)
 * Any mix of MK_DTYPE_* for base, x and out; out may not overlap an input unless it is the same
 * pointer with the same type. */
MK_API int32_t mk_nearswap(const void *base, int32_t base_type, const void *x, int32_t x_type, void *out,
                           int32_t out_type, float t, int64_t n);
/* ---- mergekit's sce (org.exmerge.kernel.SceOp is the normative statement) ----
 * Per element e in [0, n), over the n_models >= 1 models, in float32 unless said:
 *   t_i  = widen(inputs[i][e]) - widen(base[e])
 *   var  = (float)(V / m) with S = sum t_i, mu = S / m, V = sum (t_i - mu)^2 in float64 from +0 in order
 *   keep = keep_from == 0 or key(var) >= keep_from            (key as for the magnitude histograms)
 *   tk_i = keep ? t_i : +0;  s = +0; s = s + tk_i;  up = s >= 0 (a NaN s: down)
 *   agree_i = up ? tk_i > 0 : tk_i < 0;  m = +0, d = +0; for agreeing i in order:
 *   m = m + weights[i] * tk_i, d = d + weights[i];  out[e] = narrow(b + m / (d < 1e-6f ? 1e-6f : d))
 * mk_sce_histogram adds the counts of the nonzero keys key(var) (a zero key is not counted) as
 * mk_magnitude_histogram_high (high < 0: hist[32768] by key >> 16) or _low (hist[65536] by
 * key & 0xFFFF of the keys whose key >> 16 == high). Pointers start at element 0 of the run. */
MK_API int32_t mk_sce_histogram(int32_t n_models, const void *const *inputs, const int32_t *input_types,
                                const void *base, int32_t base_type, int64_t n, int32_t high, int64_t *hist);
MK_API int32_t mk_sce_merge(int32_t n_models, const void *const *inputs, const int32_t *input_types,
                            const void *base, int32_t base_type, void *out, int32_t out_type,
                            const float *weights, int64_t keep_from, int64_t n);
/* One numerics §4 block of each model's sum of tk_i * tk_i (tk_i as above, in float64, no fma):
 * the n <= 65536 elements from the pointers are the block, element j in lane j % 64, the 64 lanes
 * folded pairwise (p[l] = p[l] + p[l + s], s = 32..1); out[i] = model i's block value. */
MK_API int32_t mk_sce_squares(int32_t n_models, const void *const *inputs, const int32_t *input_types,
                              const void *base, int32_t base_type, int64_t keep_from, int64_t n, double *out);

/* ---- mergekit's arcee_fusion (org.exmerge.kernel.FusionOp is the normative statement) ----
 * Element j in [0, n) of the pointers is element e = start + j counted from the first element of row 0
 * of row_kl (the caller passes only the rows a chunk touches), in row r = e / row_length (every r below
 * n_rows), in float32:
 *   t = widen(x[j]) - widen(base[j]);  imp = |t| * row_kl[r]
 *   out[j] = narrow(widen(base[j]) + (imp >= threshold ? t : +0))
 * mk_fusion_histogram adds the counts of every key(imp) (zeros too) as mk_sce_histogram does. */
MK_API int32_t mk_fusion_histogram(const void *x, int32_t x_type, const void *base, int32_t base_type,
                                   const float *row_kl, int64_t n_rows, int64_t row_length, int64_t start,
                                   int64_t n, int32_t high, int64_t *hist);
MK_API int32_t mk_fusion_merge(const void *x, int32_t x_type, const void *base, int32_t base_type, void *out,
                               int32_t out_type, const float *row_kl, int64_t n_rows, int64_t row_length,
                               int64_t start, float threshold, int64_t n);

/* ---- numerics §12: a LoRA adapter's low-rank delta (org.exmerge.kernel.LoraKernels is the normative statement) ----
 * For rows r in [0, count) and columns j in [0, columns), in float64, every operation rounded on its own (no fma):
 *   d = +0;  for k = 0 .. rank-1:  d = d + left[r * rank + k] * right[k * columns + j]
 *   v = widen(w[r * columns + j]) + scaling * d
 *   out[r * columns + j] = narrow(v)
 * narrow is one rounding to nearest even: F32 the cast; F16 and BF16 through float32 rounded to odd (its
 * significand cut to 24 bits, the last set when anything was cut), NaN -> 0x7E00 / 0x7FC0. left is count x rank,
 * right rank x columns, both row-major float64; w and out any MK_DTYPE_*; out overlaps no other argument.
 * Every element is computed on its own, so any cut of the rows into calls writes the same bytes. */
MK_API int32_t mk_lora_rows(const void *w, int32_t w_type, const double *left, const double *right, int32_t rank,
                            int64_t columns, int64_t count, double scaling, void *out, int32_t out_type);

/* ---- numerics §13: extract-lora's truncated SVD products (org.exmerge.numeric.SvdProducts is the normative statement) ----
 * d is m x n float32, x n x k, q m x k, y m x k, z n x k, all row-major float64 but d. For output rows r in
 * [from, to) and columns c in [0, k), each sum from +0 in the order of its terms, each term one fma:
 *   mk_svd_times:           y[r * k + c] = fma((double)d[r * n + j], x[j * k + c], y[r * k + c])  for j = 0 .. n-1
 *   mk_svd_transpose_times: z[r * k + c] = fma((double)d[i * n + r], q[i * k + c], z[r * k + c])  for i = 0 .. m-1
 * Rows outside [from, to) are not touched; every element is computed on its own, so any cut of the rows
 * into calls writes the same bits. */
MK_API int32_t mk_svd_times(const float *d, int64_t m, int64_t n, const double *x, int32_t k, int64_t from, int64_t to,
                            double *y);
MK_API int32_t mk_svd_transpose_times(const float *d, int64_t m, int64_t n, const double *q, int32_t k, int64_t from,
                                      int64_t to, double *z);

/* ---- the engine's output check (org.exmerge.kernel.NonFinite is the normative statement) ----
 * *first = the index of the first of the n elements of elem_bytes (1, 2, 4 or 8) bytes at data whose
 * bits of lane are all ones (an infinity or NaN), or -1. lane is the bits from its lowest up to just
 * below the sign: the exponent (F64 0x7ff0000000000000, F32 0x7f800000, F16 0x7c00, BF16 0x7f80,
 * F8 E5M2 0x7c) or, for F8 E4M3 whose only non-finite values are its NaNs, 0x7f. Any float type. */
MK_API int32_t mk_first_nonfinite(const void *data, int32_t elem_bytes, uint64_t lane, int64_t n, int64_t *first);

#ifdef __cplusplus
}
#endif
#endif /* EXMERGE_H */
