/* numerics §3/§5: DELLA's row ranks for the ranked keep (the Philox keep itself is in mkcu_sparse.cuh). */
#include "mkcu_ranks.cuh"

MKCU_KERNEL(mkcu_della_ranks, mkcu_ranks_args, mkcu_ranks_shared, MKCU_RANK_PHASES, mkcu_ranks_body)
