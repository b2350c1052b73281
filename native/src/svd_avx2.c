/* numerics §13's products on AVX2: tiles of 4 rows x 12 columns (three vectors of 4 doubles), vfmadd231pd. */
#include <immintrin.h>

#include "kernels.h"
#include "simd_avx2.h"

#define MK_SVD_VEC __m256d
#define MK_SVD_LANES 4
#define MK_SVD_LOAD(p) _mm256_loadu_pd(p)
#define MK_SVD_STORE(p, v) _mm256_storeu_pd(p, v)
#define MK_SVD_SET1(x) _mm256_set1_pd(x)
#define MK_SVD_FMA(a, b, c) _mm256_fmadd_pd(a, b, c)
#include "svd_tile.h"

MK_SVD_BLOCK(avx2)
