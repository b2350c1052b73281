package org.exmerge.kernel.ffm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.Field;
import java.lang.invoke.MethodHandles;
import java.util.ArrayList;
import java.util.List;

/**
 * The binding of {@code native/include/exmerge.h}: one {@code static final MethodHandle} per C
 * function, named exactly as the function, with its prototype above it, and every {@code #define}
 * constant under its C name. {@code ExmergeHeaderTest} parses the header and checks both directions,
 * so a prototype changed on one side only fails the build (this replaces jextract, which is not
 * available here).
 *
 * <p>Mapping: {@code int32_t}/{@code uint32_t} → int, {@code int64_t}/{@code uint64_t} → long,
 * {@code float} → float, {@code double} → double, any pointer → {@link MemorySegment} (native
 * segments only). Chunk kernels are linked {@link Linker.Option#critical critical} (no heap access):
 * they are short, never call back into Java, and the thread-state transition would otherwise cost
 * as much as a small tensor's work.
 *
 * <p>Each kernel's handle lives in a nested class of its own, named as the function, so a run links
 * the kernels it calls and no others: linking spins a stub class per function, 5–15 ms each before
 * the JIT has warmed up; linking all of them up front cost every run 0.2 s, and linking a group
 * when its first function is called made an ExMe merge link three where it calls one, with the other
 * workers waiting on the class's initialisation. Only {@link Machine}'s four, read together, share one.
 *
 * <p>When no library could be loaded every handle still exists, with the right type, and throws an
 * {@link UnsatisfiedLinkError} naming the reason; {@link NativeSupport} decides availability.
 */
public final class ExmergeNative {
    // ---- #define constants of exmerge.h ----
    public static final int MK_ABI_VERSION = 12;

    public static final int MK_OK = 0;
    public static final int MK_E_NULL = -1;
    public static final int MK_E_ARGUMENT = -2;
    public static final int MK_E_DTYPE = -3;
    public static final int MK_E_ISA = -4;
    public static final int MK_E_FAULT = -5;

    public static final int MK_DTYPE_F32 = 1;
    public static final int MK_DTYPE_F16 = 2;
    public static final int MK_DTYPE_BF16 = 3;

    public static final int MK_ISA_AUTO = -1;
    public static final int MK_ISA_SCALAR = 0;
    public static final int MK_ISA_AVX2 = 1;
    public static final int MK_ISA_AVX512 = 2;

    public static final long MK_CPU_SSE2 = 1L << 0;
    public static final long MK_CPU_AVX = 1L << 1;
    public static final long MK_CPU_AVX2 = 1L << 2;
    public static final long MK_CPU_FMA = 1L << 3;
    public static final long MK_CPU_F16C = 1L << 4;
    public static final long MK_CPU_AVX512F = 1L << 5;
    public static final long MK_CPU_AVX512BW = 1L << 6;
    public static final long MK_CPU_AVX512DQ = 1L << 7;
    public static final long MK_CPU_AVX512VL = 1L << 8;
    public static final long MK_CPU_AVX512BF16 = 1L << 9;
    public static final long MK_CPU_OS_YMM = 1L << 16;
    public static final long MK_CPU_OS_ZMM = 1L << 17;

    public static final int MK_LINEAR_DIVIDE = 1;
    public static final int MK_LINEAR_NEG_ZERO = 2;

    public static final int MK_RANDOM_NONE = 0;
    public static final int MK_RANDOM_FIXED = 1;
    public static final int MK_RANDOM_RANKED = 2;
    public static final int MK_ELECT_NONE = 0;
    public static final int MK_ELECT_SUM = 1;
    public static final int MK_ELECT_COUNT = 2;
    public static final int MK_ELECT_KEPT = 3;
    public static final int MK_ELECT_LONE = 4;
    public static final int MK_SPARSE_NORMALIZE = 1;
    public static final int MK_SPARSE_DIVIDE_BY_PROB = 2;
    public static final int MK_NORM_L1 = 1;
    public static final int MK_NORM_L2 = 2;
    public static final int MK_NORM_LINF = 3;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LOOKUP = NativeLibrary.lookupOrNull();
    /** The header's functions the loaded library lacks: looked up by name at load, linked only on first use. */
    private static final List<String> MISSING = LOOKUP == null ? List.of() : missing(LOOKUP);
    private static final Linker.Option[] NONE = {};
    private static final Linker.Option[] CHUNK = {Linker.Option.critical(false)};
    /** For a call that fills Java arrays in place: the GC waits for it, so only bounded reads use it. */
    private static final Linker.Option[] ARRAYS = {Linker.Option.critical(true)};

    // ---- library and machine ----

    /** int32_t mk_abi_version(void); */
    public static final MethodHandle mk_abi_version = bind("mk_abi_version", FunctionDescriptor.of(JAVA_INT), NONE);

    /**
     * The machine's features and ISA paths, read together ({@code exmerge doctor}, a forced path): a
     * merge needs only the ABI check at load.
     */
    public static final class Machine {
        private Machine() {}

        /** int64_t mk_cpu_features(void); */
        public static final MethodHandle mk_cpu_features = bind("mk_cpu_features", FunctionDescriptor.of(JAVA_LONG), NONE);

        /** int32_t mk_best_isa(void); */
        public static final MethodHandle mk_best_isa = bind("mk_best_isa", FunctionDescriptor.of(JAVA_INT), NONE);

        /** int32_t mk_isa(void); */
        public static final MethodHandle mk_isa = bind("mk_isa", FunctionDescriptor.of(JAVA_INT), NONE);

        /** int32_t mk_force_isa(int32_t isa); */
        public static final MethodHandle mk_force_isa = bind("mk_force_isa", FunctionDescriptor.of(JAVA_INT, JAVA_INT), NONE);
    }

    /** Numerics §2: linked on first use. */
    public static final class Linear {
        private Linear() {}

        /**
         * int32_t mk_linear(int32_t n_inputs, const void *const *inputs, const int32_t *input_types,
         *                   const float *weights, const void *base, int32_t base_type, void *out,
         *                   int32_t out_type, int32_t flags, float divisor, float lambda, int64_t n,
         *                   int64_t *first_nonfinite);
         */
        public static final MethodHandle mk_linear = bind("mk_linear", FunctionDescriptor.of(JAVA_INT,
                JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_FLOAT, JAVA_FLOAT,
                JAVA_LONG, ADDRESS), CHUNK);
    }

    /** Numerics §2: linked on first use. */
    public static final class Convert {
        private Convert() {}

        /** int32_t mk_convert(const void *in, int32_t in_type, void *out, int32_t out_type, int64_t n); */
        public static final MethodHandle mk_convert = bind("mk_convert",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG), CHUNK);
    }

    /** Numerics §2: linked on first use. */
    public static final class LinearVectors {
        private LinearVectors() {}

        /**
         * int32_t mk_linear_vectors(int32_t n_inputs, const void *const *inputs, const int32_t *input_types,
         *                           const void *base, int32_t base_type, void *out, int32_t out_type,
         *                           int64_t op_first, int32_t n_ops, const float *weights, const int32_t *flags,
         *                           const float *divisors, const float *lambdas, int64_t vector_count,
         *                           int64_t vector_length, int32_t strided, int64_t start, int64_t n);
         */
        public static final MethodHandle mk_linear_vectors = bind("mk_linear_vectors", FunctionDescriptor.of(JAVA_INT,
                JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS,
                ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG), CHUNK);
    }

    /** Numerics §4: linked on first use. */
    public static final class PairSums {
        private PairSums() {}

        /**
         * int32_t mk_pair_sums(int32_t n_inputs, const void *const *inputs, const int32_t *input_types,
         *                      const void *base, int32_t base_type, int32_t n_pairs, const int32_t *pairs,
         *                      int64_t first, int64_t element_stride, int64_t vector_stride, int32_t vectors,
         *                      int64_t length, int64_t first_block, int32_t blocks, double *out);
         */
        public static final MethodHandle mk_pair_sums = bind("mk_pair_sums", FunctionDescriptor.of(JAVA_INT,
                JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT,
                JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS), CHUNK);
    }

    /** Numerics §3 magnitude select: linked on first use. */
    public static final class MagnitudeHistogramHigh {
        private MagnitudeHistogramHigh() {}

        /**
         * int32_t mk_magnitude_histogram_high(const void *x, int32_t x_type, const void *base,
         *                                     int32_t base_type, int64_t n, int64_t *hist);
         */
        public static final MethodHandle mk_magnitude_histogram_high = bind("mk_magnitude_histogram_high",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS), CHUNK);
    }

    /** Numerics §3 magnitude select: linked on first use. */
    public static final class MagnitudeHistogramLow {
        private MagnitudeHistogramLow() {}

        /**
         * int32_t mk_magnitude_histogram_low(const void *x, int32_t x_type, const void *base,
         *                                    int32_t base_type, int64_t n, int32_t high, int64_t *hist);
         */
        public static final MethodHandle mk_magnitude_histogram_low = bind("mk_magnitude_histogram_low",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_INT, ADDRESS), CHUNK);
    }

    /** Numerics §3 magnitude select: linked on first use. */
    public static final class MagnitudeBand {
        private MagnitudeBand() {}

        /**
         * int32_t mk_magnitude_band(const void *x, int32_t x_type, const void *base, int32_t base_type, int64_t n,
         *                           uint32_t lo, uint32_t hi, int64_t *counts, uint32_t *band, int64_t cap,
         *                           int64_t *between);
         */
        public static final MethodHandle mk_magnitude_band = bind("mk_magnitude_band", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS),
                ARRAYS);
    }

    /** Numerics §3 magnitude select: linked on first use. */
    public static final class MagnitudeKeysSpread {
        private MagnitudeKeysSpread() {}

        /**
         * int32_t mk_magnitude_keys_spread(const void *x, int32_t x_type, const void *base, int32_t base_type, int64_t n,
         *                                  int32_t first, int32_t runs, int32_t of, int32_t run, uint32_t *keys);
         */
        public static final MethodHandle mk_magnitude_keys_spread = bind("mk_magnitude_keys_spread", FunctionDescriptor.of(
                JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS),
                ARRAYS);
    }

    /** Numerics §3 magnitude select: linked on first use. */
    public static final class KthLargestKey {
        private KthLargestKey() {}

        /** int32_t mk_kth_largest_key(const uint32_t *keys, int64_t n, int64_t k, uint32_t *key); */
        public static final MethodHandle mk_kth_largest_key = bind("mk_kth_largest_key", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS), ARRAYS);
    }

    /** Numerics §5: linked on first use. */
    public static final class Philox4x32 {
        private Philox4x32() {}

        /** int32_t mk_philox4x32_10(const uint32_t *key, const uint32_t *counter, uint32_t *out); */
        public static final MethodHandle mk_philox4x32_10 = bind("mk_philox4x32_10",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS), CHUNK);
    }

    /** Numerics §5: linked on first use. */
    public static final class PhiloxUniform {
        private PhiloxUniform() {}

        /**
         * int32_t mk_philox_uniform(uint64_t seed, uint32_t tensor_id, uint32_t model, int64_t first,
         *                           int64_t n, float *u);
         */
        public static final MethodHandle mk_philox_uniform = bind("mk_philox_uniform",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS), CHUNK);
    }

    /** Numerics §3 fused sparsify-and-elect op: linked on first use. */
    public static final class SparseMerge {
        private SparseMerge() {}

        /**
         * int32_t mk_sparse_merge(int32_t n_models, const void *const *inputs, const int32_t *input_types,
         *                         const void *base, int32_t base_type, void *out, int32_t out_type,
         *                         const float *weights, const int64_t *keep_from, const int64_t *keep_below,
         *                         int32_t random, const float *keep_prob, const float *divisor, int32_t election,
         *                         int32_t flags, float sum_divisor, float lambda, uint64_t seed, uint32_t tensor_id,
         *                         int64_t start, int64_t n, int64_t row_length, const double *rank_low,
         *                         const double *rank_span, const float *rank_single, int64_t *first_nonfinite);
         */
        public static final MethodHandle mk_sparse_merge = bind("mk_sparse_merge", FunctionDescriptor.of(JAVA_INT,
                JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT,
                ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_FLOAT, JAVA_FLOAT, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG,
                JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, ADDRESS), CHUNK);
    }

    /** Numerics §3 ramplus_tl counts (the merge's values, counted): linked on first use. */
    public static final class SparseKeptCounts {
        private SparseKeptCounts() {}

        /**
         * int32_t mk_sparse_kept_counts(int32_t n_models, const void *const *inputs, const int32_t *input_types,
         *                               const void *base, int32_t base_type, const float *weights,
         *                               const int64_t *keep_from, const int64_t *keep_below, int32_t random,
         *                               const float *keep_prob, const float *divisor, int32_t election, int32_t flags,
         *                               uint64_t seed, uint32_t tensor_id, int64_t start, int64_t n,
         *                               int64_t row_length, const double *rank_low, const double *rank_span,
         *                               const float *rank_single, int64_t *counts);
         */
        public static final MethodHandle mk_sparse_kept_counts = bind("mk_sparse_kept_counts", FunctionDescriptor.of(
                JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS,
                ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS,
                ADDRESS, ADDRESS), CHUNK);
    }

    /** Numerics §3 fused sparsify-and-elect op: linked on first use. */
    public static final class SparseNorms {
        private SparseNorms() {}

        /**
         * int32_t mk_sparse_norms(int32_t n_models, const void *const *inputs, const int32_t *input_types,
         *                         const void *base, int32_t base_type, const int64_t *keep_from,
         *                         const int64_t *keep_below, int32_t random, const float *keep_prob, uint64_t seed,
         *                         uint32_t tensor_id, int32_t norm, int64_t block_start, int64_t len, double *out,
         *                         int64_t row_length, const double *rank_low, const double *rank_span,
         *                         const float *rank_single);
         */
        public static final MethodHandle mk_sparse_norms = bind("mk_sparse_norms", FunctionDescriptor.of(JAVA_INT,
                JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT,
                JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS, ADDRESS), CHUNK);
    }

    /** Numerics §10 nearswap: linked on first use. */
    public static final class NearSwap {
        private NearSwap() {}

        /**
         * int32_t mk_nearswap(const void *base, int32_t base_type, const void *x, int32_t x_type, void *out,
         *                     int32_t out_type, float t, int64_t n);
         */
        public static final MethodHandle mk_nearswap = bind("mk_nearswap", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_FLOAT, JAVA_LONG), CHUNK);
    }

    /** Mergekit's sce (org.exmerge.kernel.SceOp): linked on first use. */
    public static final class SceHistogram {
        private SceHistogram() {}

        /**
         * int32_t mk_sce_histogram(int32_t n_models, const void *const *inputs, const int32_t *input_types,
         *                          const void *base, int32_t base_type, int64_t n, int32_t high, int64_t *hist);
         */
        public static final MethodHandle mk_sce_histogram = bind("mk_sce_histogram", FunctionDescriptor.of(JAVA_INT,
                JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_INT, ADDRESS), CHUNK);
    }

    /** Mergekit's sce (org.exmerge.kernel.SceOp): linked on first use. */
    public static final class SceMerge {
        private SceMerge() {}

        /**
         * int32_t mk_sce_merge(int32_t n_models, const void *const *inputs, const int32_t *input_types,
         *                      const void *base, int32_t base_type, void *out, int32_t out_type,
         *                      const float *weights, int64_t keep_from, int64_t n);
         */
        public static final MethodHandle mk_sce_merge = bind("mk_sce_merge", FunctionDescriptor.of(JAVA_INT,
                JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), CHUNK);
    }

    /** Mergekit's sce (org.exmerge.kernel.SceOp): linked on first use. */
    public static final class SceSquares {
        private SceSquares() {}

        /**
         * int32_t mk_sce_squares(int32_t n_models, const void *const *inputs, const int32_t *input_types,
         *                        const void *base, int32_t base_type, int64_t keep_from, int64_t n, double *out);
         */
        public static final MethodHandle mk_sce_squares = bind("mk_sce_squares", FunctionDescriptor.of(JAVA_INT,
                JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS), CHUNK);
    }

    /** Mergekit's arcee_fusion (org.exmerge.kernel.FusionOp): linked on first use. */
    public static final class FusionHistogram {
        private FusionHistogram() {}

        /**
         * int32_t mk_fusion_histogram(const void *x, int32_t x_type, const void *base, int32_t base_type,
         *                             const float *row_kl, int64_t n_rows, int64_t row_length, int64_t start,
         *                             int64_t n, int32_t high, int64_t *hist);
         */
        public static final MethodHandle mk_fusion_histogram = bind("mk_fusion_histogram", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS),
                CHUNK);
    }

    /** Mergekit's arcee_fusion (org.exmerge.kernel.FusionOp): linked on first use. */
    public static final class FusionMerge {
        private FusionMerge() {}

        /**
         * int32_t mk_fusion_merge(const void *x, int32_t x_type, const void *base, int32_t base_type, void *out,
         *                         int32_t out_type, const float *row_kl, int64_t n_rows, int64_t row_length,
         *                         int64_t start, float threshold, int64_t n);
         */
        public static final MethodHandle mk_fusion_merge = bind("mk_fusion_merge", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG,
                JAVA_FLOAT, JAVA_LONG), CHUNK);
    }

    /**
     * Numerics §12's LoRA delta (org.exmerge.kernel.LoraKernels): linked on first use, and not critical: one
     * call works out a block of up to 4 MB of rows, milliseconds a safepoint should not wait for.
     */
    public static final class LoraRows {
        private LoraRows() {}

        /**
         * int32_t mk_lora_rows(const void *w, int32_t w_type, const double *left, const double *right, int32_t rank,
         *                      int64_t columns, int64_t count, double scaling, void *out, int32_t out_type);
         */
        public static final MethodHandle mk_lora_rows = bind("mk_lora_rows", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_DOUBLE, ADDRESS, JAVA_INT), NONE);
    }

    /**
     * Numerics §13's D·X of the truncated SVD (org.exmerge.numeric.SvdProducts): linked on first use, critical
     * with heap access, since the iteration's blocks are Java arrays; the caller bounds a call to ~2^24 fma.
     */
    public static final class SvdTimes {
        private SvdTimes() {}

        /**
         * int32_t mk_svd_times(const float *d, int64_t m, int64_t n, const double *x, int32_t k, int64_t from, int64_t to,
         *                      double *y);
         */
        public static final MethodHandle mk_svd_times = bind("mk_svd_times", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS), ARRAYS);
    }

    /** Numerics §13's Dᵀ·Q, as {@link SvdTimes}. */
    public static final class SvdTransposeTimes {
        private SvdTransposeTimes() {}

        /**
         * int32_t mk_svd_transpose_times(const float *d, int64_t m, int64_t n, const double *q, int32_t k, int64_t from,
         *                                int64_t to, double *z);
         */
        public static final MethodHandle mk_svd_transpose_times = bind("mk_svd_transpose_times", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS), ARRAYS);
    }

    /** The engine's output check (org.exmerge.kernel.NonFinite): linked on first use. */
    public static final class FirstNonFinite {
        private FirstNonFinite() {}

        /** int32_t mk_first_nonfinite(const void *data, int32_t elem_bytes, uint64_t lane, int64_t n, int64_t *first); */
        public static final MethodHandle mk_first_nonfinite = bind("mk_first_nonfinite", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS), CHUNK);
    }

    private ExmergeNative() {}

    private static MethodHandle bind(String name, FunctionDescriptor fd, Linker.Option[] options) {
        MemorySegment symbol = LOOKUP == null ? null : LOOKUP.find(name).orElse(null);
        if (symbol != null) {
            return LINKER.downcallHandle(symbol, fd, options);
        }
        String why = LOOKUP == null ? "the exmerge native library is not loaded"
                : NativeLibrary.loaded().path() + " has no symbol " + name + " (a stale or foreign build?)";
        // Same type as the real handle, so callers and the header test see no difference until called.
        MethodHandle thrower = MethodHandles.throwException(fd.toMethodType().returnType(), UnsatisfiedLinkError.class);
        thrower = MethodHandles.insertArguments(thrower, 0, new UnsatisfiedLinkError(name + ": " + why));
        return MethodHandles.dropArguments(thrower, 0, fd.toMethodType().parameterList());
    }

    /** Functions of the header the loaded library lacks (empty when it is complete or absent). */
    public static List<String> missingSymbols() {
        return MISSING;
    }

    /**
     * The handles' functions that {@code lookup} cannot find, every group's included, without linking
     * or even initialising their classes: a handle's field is named as its function.
     */
    static List<String> missing(SymbolLookup lookup) {
        List<Class<?>> holders = new ArrayList<>(List.of(ExmergeNative.class));
        holders.addAll(List.of(ExmergeNative.class.getDeclaredClasses()));
        List<String> out = new ArrayList<>();
        for (Class<?> g : holders) {
            for (Field f : g.getDeclaredFields()) {
                if (f.getType() == MethodHandle.class && f.getName().startsWith("mk_") && lookup.find(f.getName()).isEmpty()) {
                    out.add(f.getName());
                }
            }
        }
        return List.copyOf(out);
    }

    // ---- typed wrappers: invokeExact with the exact static types, Throwable narrowed ----

    public static int abiVersion() {
        try {
            return (int) mk_abi_version.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static long cpuFeatures() {
        try {
            return (long) Machine.mk_cpu_features.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int bestIsa() {
        try {
            return (int) Machine.mk_best_isa.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int isa() {
        try {
            return (int) Machine.mk_isa.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int forceIsa(int isa) {
        try {
            return (int) Machine.mk_force_isa.invokeExact(isa);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("native call failed", t);
    }
}
