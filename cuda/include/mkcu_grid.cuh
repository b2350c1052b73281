/*
 * How a kernel is written once and run twice. A kernel is a body function
 *     body(const Args *args, mkcu_ctx c, int phase, Shared *shared)
 * called for every (block, thread) of a 1-D grid, once per phase; phases are separated by a block
 * barrier, so a phase may read what any thread of its block wrote to shared memory (or to global
 * memory) in an earlier phase, and nothing a thread keeps in locals survives into the next phase.
 * MKCU_KERNEL(name, Args, Shared, phases, body) then makes
 *   - under nvcc: extern "C" __global__ name(const Args args), the phases in a loop with
 *     __syncthreads() between them, Shared in __shared__ memory;
 *   - under the host compiler (the emulator, cuda/emu): a function that runs every block in turn,
 *     and in each block every phase as a loop over the threads (the barrier is the loop's end),
 *     registered under name so mkcu_emu_launch finds it.
 * Atomics go through mkcu_atomic_add_u64 (and mkcu_atomic_fetch_add_u64, which returns the old
 * value): the device's atomicAdd, a plain add in the emulator, where threads run one at a time.
 */
#ifndef MKCU_GRID_CUH
#define MKCU_GRID_CUH

#include "mkcu_base.cuh"

/* Where a body runs: its block and thread, and the grid's shape. */
typedef struct mkcu_ctx {
    uint32_t block;  /* blockIdx.x */
    uint32_t thread; /* threadIdx.x */
    uint32_t blocks; /* gridDim.x */
    uint32_t threads; /* blockDim.x */
} mkcu_ctx;

/* The first index this thread takes in a grid-stride loop, and the stride. */
EXMERGE_HD int64_t mkcu_first(mkcu_ctx c) {
    return (int64_t)c.block * c.threads + c.thread;
}

EXMERGE_HD int64_t mkcu_stride(mkcu_ctx c) {
    return (int64_t)c.blocks * c.threads;
}

/* For kernels with no shared memory. */
typedef struct mkcu_no_shared {
    int32_t unused;
} mkcu_no_shared;

#if defined(__CUDACC__)

static __device__ __forceinline__ void mkcu_atomic_add_u64(uint64_t *p, uint64_t v) {
    atomicAdd((unsigned long long *)p, (unsigned long long)v);
}

static __device__ __forceinline__ uint64_t mkcu_atomic_fetch_add_u64(uint64_t *p, uint64_t v) {
    return (uint64_t)atomicAdd((unsigned long long *)p, (unsigned long long)v);
}

#define MKCU_KERNEL(name, Args, Shared, phases, body)                                                    \
    extern "C" __global__ void name(const __grid_constant__ Args args) {                                 \
        __shared__ Shared shared;                                                                        \
        const mkcu_ctx c = {blockIdx.x, threadIdx.x, gridDim.x, blockDim.x};                             \
        for (int phase = 0; phase < (phases); phase++) {                                                 \
            if (phase > 0) {                                                                             \
                __syncthreads();                                                                         \
            }                                                                                            \
            body(&args, c, phase, &shared);                                                              \
        }                                                                                                \
    }

#else

static inline void mkcu_atomic_add_u64(uint64_t *p, uint64_t v) {
    *p += v;
}

static inline uint64_t mkcu_atomic_fetch_add_u64(uint64_t *p, uint64_t v) {
    const uint64_t old = *p;
    *p += v;
    return old;
}

#include "mkcu_emu_registry.h"

#define MKCU_KERNEL(name, Args, Shared, phases, body)                                                    \
    static void mkcu_emu_##name(uint32_t blocks, uint32_t threads, const void *params) {                 \
        const Args *args = (const Args *)params;                                                         \
        Shared *shared = (Shared *)mkcu_emu_shared(sizeof(Shared));                                      \
        for (uint32_t b = 0; b < blocks; b++) {                                                          \
            memset(shared, 0xA5, sizeof(Shared)); /* shared memory starts undefined */                   \
            for (int phase = 0; phase < (phases); phase++) {                                             \
                for (uint32_t t = 0; t < threads; t++) {                                                 \
                    const mkcu_ctx c = {b, t, blocks, threads};                                          \
                    body(args, c, phase, shared);                                                        \
                }                                                                                        \
            }                                                                                            \
        }                                                                                                \
    }                                                                                                    \
    static const mkcu_emu_registration mkcu_emu_reg_##name(#name, sizeof(Args), &mkcu_emu_##name);

#endif

#endif
