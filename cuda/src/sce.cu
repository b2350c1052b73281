/* mergekit's sce and arcee_fusion: variance and importance histograms, sce's squares, both merges. */
#include "mkcu_sce.cuh"
#include "mkcu_fusion.cuh"

MKCU_KERNEL(mkcu_sce_histogram, mkcu_sce_args, mkcu_no_shared, 1, mkcu_sce_histogram_body)
MKCU_KERNEL(mkcu_sce_squares, mkcu_sce_args, mkcu_sce_squares_shared, 2, mkcu_sce_squares_body)
MKCU_KERNEL(mkcu_sce_merge, mkcu_sce_args, mkcu_no_shared, 1, mkcu_sce_merge_body)
MKCU_KERNEL(mkcu_fusion_histogram, mkcu_fusion_args, mkcu_no_shared, 1, mkcu_fusion_histogram_body)
MKCU_KERNEL(mkcu_fusion_merge, mkcu_fusion_args, mkcu_no_shared, 1, mkcu_fusion_merge_body)
