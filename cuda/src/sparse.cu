/* numerics §3: TIES / breadcrumbs / DARE / DELLA merge: trim, keep, sign election, disjoint mean. */
#include "mkcu_sparse.cuh"

MKCU_KERNEL(mkcu_sparse_merge, mkcu_sparse_args, mkcu_no_shared, 1, mkcu_sparse_merge_body)
/* ramplus_tl: every model's shared and lone kept values, counted. */
MKCU_KERNEL(mkcu_sparse_kept_counts, mkcu_sparse_args, mkcu_counts_shared, 3, mkcu_sparse_kept_counts_body)
