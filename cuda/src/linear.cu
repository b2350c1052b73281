/* numerics §2: the fused weighted sum (float32 and float64 paths, one op or one per vector) and the dtype conversion. */
#include "mkcu_linear.cuh"

MKCU_KERNEL(mkcu_linear32, mkcu_linear_args, mkcu_no_shared, 1, mkcu_linear32_body)
MKCU_KERNEL(mkcu_linear64, mkcu_linear_args, mkcu_no_shared, 1, mkcu_linear64_body)
MKCU_KERNEL(mkcu_convert, mkcu_convert_args, mkcu_no_shared, 1, mkcu_convert_body)

#include "mkcu_linear_vectors.cuh"

MKCU_KERNEL(mkcu_vlinear32, mkcu_vlinear_args, mkcu_no_shared, 1, mkcu_vlinear32_body)
MKCU_KERNEL(mkcu_vlinear64, mkcu_vlinear_args, mkcu_no_shared, 1, mkcu_vlinear64_body)
