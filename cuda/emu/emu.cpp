/*
 * The emulated grid's C ABI (mkcu_emu_*), for the Java tests (java/cuda's EmulatedDevice) through
 * FFM. Each cuda/src .cu file is compiled by the host compiler into this library, where its
 * MKCU_KERNEL lines register a function that runs the kernel body over every block, phase and
 * thread in turn (cuda/include/mkcu_grid.cuh). "Device memory" is host memory the caller owns;
 * device addresses in the parameter structs are plain host addresses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mkcu_emu_registry.h"

#define MKCU_EMU_API extern "C" __attribute__((visibility("default")))

namespace {

struct entry {
    const char *name;
    size_t params;
    mkcu_emu_fn fn;
};

const int max_kernels = 64;
entry table[max_kernels];
int kernels = 0;

void *shared_buffer = nullptr;
size_t shared_size = 0;

const entry *find(const char *name) {
    for (int k = 0; k < kernels; k++) {
        if (strcmp(table[k].name, name) == 0) {
            return &table[k];
        }
    }
    return nullptr;
}

} // namespace

mkcu_emu_registration::mkcu_emu_registration(const char *name, size_t params, mkcu_emu_fn fn) {
    if (kernels < max_kernels) {
        table[kernels++] = entry{name, params, fn};
    }
}

void *mkcu_emu_shared(size_t bytes) {
    if (bytes > shared_size) {
        free(shared_buffer);
        shared_buffer = malloc(bytes);
        shared_size = shared_buffer == nullptr ? 0 : bytes;
    }
    return shared_buffer;
}

/* Status codes: 0 ok, 1 unknown kernel, 2 parameter size differs from the kernel's struct, 3 bad grid. */
MKCU_EMU_API int32_t mkcu_emu_launch(const char *name, uint32_t blocks, uint32_t threads, const void *params,
                                     uint64_t params_size) {
    const entry *e = find(name);
    if (e == nullptr) {
        return 1;
    }
    if (params_size != e->params) {
        return 2;
    }
    if (blocks == 0 || threads == 0 || threads > 1024) {
        return 3;
    }
    e->fn(blocks, threads, params);
    return 0;
}

/* The parameter struct size of a kernel, or 0 when there is none of that name. */
MKCU_EMU_API uint64_t mkcu_emu_params_size(const char *name) {
    const entry *e = find(name);
    return e == nullptr ? 0 : e->params;
}

MKCU_EMU_API int32_t mkcu_emu_kernel_count(void) {
    return kernels;
}

MKCU_EMU_API const char *mkcu_emu_kernel_name(int32_t k) {
    return k >= 0 && k < kernels ? table[k].name : nullptr;
}
