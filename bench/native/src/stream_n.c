/*
 * mk_bench_stream_n: what mk_linear's register-resident path costs with its arithmetic taken out.
 * It reads n elements of `size` bytes from each of n_in inputs and writes n to out, with the
 * kernel's own vector width per ISA path and its own stores (non-temporal from the first 64-byte
 * line for outputs of MKB_STREAM_BYTES or more, plain otherwise); the inputs are combined with one
 * XOR per vector, only so that no load can be dropped. The fused kernel cannot beat this, so its
 * rate over this one is how close it runs to its memory floor.
 */
#include <string.h>

#include "stream_n.h"

#define MKB_API __attribute__((visibility("default")))

/* isa: 1 = AVX2, 2 = AVX-512 (ExmergeNative.MK_ISA_*), anything else the scalar loop. Returns the
 * path it ran, so the caller can check it measured the kernel's own. */
MKB_API int32_t mk_bench_stream_n(const void *const *in, int32_t n_in, void *out, int64_t n, int32_t size,
                                  int32_t isa) {
#if defined(MK_HAVE_X86_PATHS)
    if (isa == 2 && __builtin_cpu_supports("avx512bw")) {
        mkb_stream_n_avx512(in, n_in, out, n, size);
        return 2;
    }
    if (isa == 1 && __builtin_cpu_supports("avx2")) {
        mkb_stream_n_avx2(in, n_in, out, n, size);
        return 1;
    }
#endif
    unsigned char *o = out;
    for (int64_t j = 0; j < n * size; j++) {
        unsigned char v = 0;
        for (int32_t i = 0; i < n_in; i++) {
            v ^= ((const unsigned char *)in[i])[j];
        }
        o[j] = v;
    }
    return 0;
}
