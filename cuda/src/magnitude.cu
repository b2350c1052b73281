/* numerics §3: the magnitude histograms and the band read behind exact top-k thresholds (TIES, breadcrumbs). */
#include "mkcu_magnitude.cuh"

MKCU_KERNEL(mkcu_tau_histogram, mkcu_histogram_args, mkcu_no_shared, 1, mkcu_histogram_body)
MKCU_KERNEL(mkcu_tau_band, mkcu_band_args, mkcu_band_shared, 3, mkcu_tau_band_body)
