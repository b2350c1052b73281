/*
 * Run-time CPU feature detection: CPUID says what the processor implements, XGETBV says which
 * register state the operating system saves on a context switch. Both are needed: a CPU with
 * AVX-512 under an OS (or hypervisor) that does not enable zmm state must not run zmm code.
 * Compiled without any ISA flags, so it runs on every x86-64.
 */
#include "kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static uint64_t xgetbv0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

int64_t mk_detect_cpu_features(void) {
    unsigned a, b, c, d;
    int64_t f = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) {
        return 0;
    }
    if (d & (1u << 26)) f |= MK_CPU_SSE2;
    if (c & (1u << 28)) f |= MK_CPU_AVX;
    if (c & (1u << 12)) f |= MK_CPU_FMA;
    if (c & (1u << 29)) f |= MK_CPU_F16C;
    if (c & (1u << 27)) { /* OSXSAVE: XGETBV is usable */
        uint64_t xcr0 = xgetbv0();
        if ((xcr0 & 0x6) == 0x6) f |= MK_CPU_OS_YMM;   /* SSE + AVX state */
        if ((xcr0 & 0xE6) == 0xE6) f |= MK_CPU_OS_ZMM; /* + opmask, ZMM_Hi256, Hi16_ZMM */
    }
    if (__get_cpuid_max(0, 0) >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        if (b & (1u << 5)) f |= MK_CPU_AVX2;
        if (b & (1u << 16)) f |= MK_CPU_AVX512F;
        if (b & (1u << 17)) f |= MK_CPU_AVX512DQ;
        if (b & (1u << 30)) f |= MK_CPU_AVX512BW;
        if (b & (1u << 31)) f |= MK_CPU_AVX512VL;
        unsigned subleaves = a;
        if (subleaves >= 1) {
            __cpuid_count(7, 1, a, b, c, d);
            if (a & (1u << 5)) f |= MK_CPU_AVX512BF16;
        }
    }
    return f;
}
#else
int64_t mk_detect_cpu_features(void) {
    return 0;
}
#endif
