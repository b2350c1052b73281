/* The N-in-1-out memory floor of the fused linear kernel (bench only; see stream_n.c). */
#ifndef EXMERGE_BENCH_STREAM_N_H
#define EXMERGE_BENCH_STREAM_N_H

#include <stdint.h>

/* Same rule as native/src/kernels.h MK_STREAM_BYTES: outputs this large are streamed. */
#define MKB_STREAM_BYTES (1 << 20)

void mkb_stream_n_avx2(const void *const *in, int32_t n_in, void *out, int64_t n, int32_t size);
void mkb_stream_n_avx512(const void *const *in, int32_t n_in, void *out, int64_t n, int32_t size);

#endif
