/* The linear/convert tile primitives on AVX2 + FMA + F16C: 8 lanes, scalar tails (fp_scalar.h,
 * whose fmaf compiles to the same vfmadd here). */
#include "fp_scalar.h"
#include "kernels.h"
#include "simd_avx2.h"

#define MK_BY_TYPE(t, BODY)             \
    switch (t) {                        \
    case MK_DTYPE_F32: {                \
        const int32_t T = MK_DTYPE_F32; \
        BODY;                           \
        break;                          \
    }                                   \
    case MK_DTYPE_F16: {                \
        const int32_t T = MK_DTYPE_F16; \
        BODY;                           \
        break;                          \
    }                                   \
    default: {                          \
        const int32_t T = MK_DTYPE_BF16; \
        BODY;                           \
        break;                          \
    }                                   \
    }

void mk_widen_avx2(const void *src, int32_t type, int64_t len, float *dst) {
    MK_BY_TYPE(type, {
        int64_t j = 0;
        for (; j + 8 <= len; j += 8) {
            _mm256_storeu_ps(dst + j, mk256_load(src, T, j));
        }
        for (; j < len; j++) {
            dst[j] = mk_load(src, T, j);
        }
    })
}

void mk_accumulate_avx2(float *acc, const float *b, const void *x, int32_t type, float w, int64_t len) {
    const __m256 vw = _mm256_set1_ps(w);
    if (b != NULL) {
        MK_BY_TYPE(type, {
            int64_t j = 0;
            for (; j + 8 <= len; j += 8) {
                __m256 d = _mm256_sub_ps(mk256_load(x, T, j), _mm256_loadu_ps(b + j));
                _mm256_storeu_ps(acc + j, _mm256_fmadd_ps(vw, d, _mm256_loadu_ps(acc + j)));
            }
            for (; j < len; j++) {
                acc[j] = fmaf(w, mk_load(x, T, j) - b[j], acc[j]);
            }
        })
    } else {
        MK_BY_TYPE(type, {
            int64_t j = 0;
            for (; j + 8 <= len; j += 8) {
                _mm256_storeu_ps(acc + j, _mm256_fmadd_ps(vw, mk256_load(x, T, j), _mm256_loadu_ps(acc + j)));
            }
            for (; j < len; j++) {
                acc[j] = fmaf(w, mk_load(x, T, j), acc[j]);
            }
        })
    }
}

void mk_finish_avx2(const float *acc, const float *b, int32_t divide, float divisor, float lambda, void *out,
                    int32_t type, int64_t len) {
    const __m256 vdiv = _mm256_set1_ps(divisor);
    const __m256 vlambda = _mm256_set1_ps(lambda);
    MK_BY_TYPE(type, {
        int64_t j = 0;
        for (; j + 8 <= len; j += 8) {
            __m256 v = _mm256_loadu_ps(acc + j);
            if (divide) {
                v = _mm256_div_ps(v, vdiv);
            }
            if (b != NULL) {
                v = _mm256_fmadd_ps(vlambda, v, _mm256_loadu_ps(b + j));
            }
            mk256_store(out, T, j, v);
        }
        for (; j < len; j++) {
            float v = acc[j];
            if (divide) {
                v = v / divisor;
            }
            if (b != NULL) {
                v = fmaf(lambda, v, b[j]);
            }
            mk_store(out, T, j, v);
        }
    })
}
