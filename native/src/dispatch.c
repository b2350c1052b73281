/*
 * Picks the kernel table once: the best path this CPU and OS can run (cpu_features.c), unless a
 * test forces another with mk_force_isa. Paths need every feature their files were compiled for.
 */
#include <stddef.h>

#include "kernels.h"

#define MK_TABLE(name, isa_code, lora_width)                                                           \
    {                                                                                                  \
        isa_code, mk_linear_direct_##name, mk_widen_##name, mk_accumulate_##name, mk_finish_##name,    \
            mk_linear_vectors_##name, mk_pair_lanes_##name, mk_pair_rows_##name,                       \
            mk_magnitude_keys_##name, mk_magnitude_band_##name, mk_philox_uniform_##name,              \
            mk_sparse_values_##name, mk_sparse_combine_##name, mk_sparse_direct_##name,                \
            mk_sparse_norm_lanes_##name, mk_nearswap_##name,                                           \
            mk_sce_variance_keys_scalar, mk_first_nonfinite_##name, mk_lora_block_##name, lora_width,  \
            mk_svd_block_##name                                                                        \
    }

static const mk_kernel_table table_scalar = MK_TABLE(scalar, MK_ISA_SCALAR, 0);
#if defined(MK_HAVE_X86_PATHS)
static const mk_kernel_table table_avx2 = MK_TABLE(avx2, MK_ISA_AVX2, 8);
static const mk_kernel_table table_avx512 = MK_TABLE(avx512, MK_ISA_AVX512, 16);
#endif

#define MK_NEEDS_AVX2 (MK_CPU_AVX | MK_CPU_AVX2 | MK_CPU_FMA | MK_CPU_F16C | MK_CPU_OS_YMM)
#if defined(MK_EMULATED_AVX512)
/* libexmerge_avx512emu (native/emu, tests only): the AVX-512 files are built over AVX2 there. */
#define MK_NEEDS_AVX512 MK_NEEDS_AVX2
#else
#define MK_NEEDS_AVX512 \
    (MK_NEEDS_AVX2 | MK_CPU_AVX512F | MK_CPU_AVX512BW | MK_CPU_AVX512DQ | MK_CPU_AVX512VL | MK_CPU_OS_ZMM)
#endif

static const mk_kernel_table *active_table; /* accessed with __atomic builtins */

int64_t mk_cpu_features(void) {
    static int64_t cached = -1;
    int64_t f = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (f < 0) {
        f = mk_detect_cpu_features(); /* idempotent: a race only computes it twice */
        __atomic_store_n(&cached, f, __ATOMIC_RELAXED);
    }
    return f;
}

static int supports(int32_t isa) {
    int64_t f = mk_cpu_features();
    switch (isa) {
    case MK_ISA_SCALAR:
        return 1;
#if defined(MK_HAVE_X86_PATHS)
    case MK_ISA_AVX2:
        return (f & MK_NEEDS_AVX2) == MK_NEEDS_AVX2;
    case MK_ISA_AVX512:
        return (f & MK_NEEDS_AVX512) == MK_NEEDS_AVX512;
#endif
    default:
        return 0;
    }
}

static const mk_kernel_table *table_for(int32_t isa) {
    switch (isa) {
#if defined(MK_HAVE_X86_PATHS)
    case MK_ISA_AVX512:
        return &table_avx512;
    case MK_ISA_AVX2:
        return &table_avx2;
#endif
    default:
        return &table_scalar;
    }
}

int32_t mk_best_isa(void) {
    if (supports(MK_ISA_AVX512)) return MK_ISA_AVX512;
    if (supports(MK_ISA_AVX2)) return MK_ISA_AVX2;
    return MK_ISA_SCALAR;
}

const mk_kernel_table *mk_active(void) {
    const mk_kernel_table *t = __atomic_load_n(&active_table, __ATOMIC_ACQUIRE);
    if (t == NULL) {
        t = table_for(mk_best_isa());
        __atomic_store_n(&active_table, t, __ATOMIC_RELEASE);
    }
    return t;
}

int32_t mk_isa(void) {
    return mk_active()->isa;
}

int32_t mk_force_isa(int32_t isa) {
    if (isa == MK_ISA_AUTO) {
        isa = mk_best_isa();
    }
    if (isa < MK_ISA_SCALAR || isa > MK_ISA_AVX512 || !supports(isa)) {
        return MK_E_ISA;
    }
    __atomic_store_n(&active_table, table_for(isa), __ATOMIC_RELEASE);
    return MK_OK;
}

int32_t mk_abi_version(void) {
    return MK_ABI_VERSION;
}
