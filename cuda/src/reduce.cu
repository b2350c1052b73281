/* numerics §4: float64 block reductions in the spec's lane order (the sparse rescale norms, the pair sums). */
#include "mkcu_reduce.cuh"

MKCU_KERNEL(mkcu_sparse_norms, mkcu_sparse_args, mkcu_norms_shared, 2, mkcu_sparse_norms_body)

#include "mkcu_pairs.cuh"

MKCU_KERNEL(mkcu_pair_sums, mkcu_pairs_args, mkcu_no_shared, 2, mkcu_pair_sums_body)
