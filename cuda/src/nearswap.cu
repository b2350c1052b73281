/* numerics §10: nearswap's interpolation toward the other model, element by element. */
#include "mkcu_nearswap.cuh"

MKCU_KERNEL(mkcu_nearswap, mkcu_nearswap_args, mkcu_no_shared, 1, mkcu_nearswap_body)
