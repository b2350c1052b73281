/*
 * The emulator's kernel table: MKCU_KERNEL (cuda/include/mkcu_grid.cuh) registers each kernel it
 * defines under the host compiler here, by name, so cuda/src's .cu files, compiled as C++, are the
 * harness's entries and nothing lists them twice.
 */
#ifndef MKCU_EMU_REGISTRY_H
#define MKCU_EMU_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

typedef void (*mkcu_emu_fn)(uint32_t blocks, uint32_t threads, const void *params);

/* A block's shared memory (one buffer, reused block after block). */
void *mkcu_emu_shared(size_t bytes);

struct mkcu_emu_registration {
    mkcu_emu_registration(const char *name, size_t params, mkcu_emu_fn fn);
};

#endif
