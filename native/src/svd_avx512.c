/* numerics §13's products on AVX-512: tiles of 4 rows x 24 columns (three vectors of 8 doubles), vfmadd231pd. */
#include <immintrin.h>

#include "kernels.h"
#include "simd_avx512.h"

#define MK_SVD_VEC __m512d
#define MK_SVD_LANES 8
#define MK_SVD_LOAD(p) _mm512_loadu_pd(p)
#define MK_SVD_STORE(p, v) _mm512_storeu_pd(p, v)
#define MK_SVD_SET1(x) _mm512_set1_pd(x)
#define MK_SVD_FMA(a, b, c) _mm512_fmadd_pd(a, b, c)
#include "svd_tile.h"

MK_SVD_BLOCK(avx512)
