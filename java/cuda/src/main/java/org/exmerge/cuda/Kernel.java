package org.exmerge.cuda;

/**
 * The kernels of the fatbin (cuda/src), by their extern "C" names, with the size of the parameter
 * struct each takes by value. Adding an op adds its kernels here.
 */
enum Kernel {
    LINEAR32("mkcu_linear32", LinearLaunch.SIZE),
    LINEAR64("mkcu_linear64", LinearLaunch.SIZE),
    CONVERT("mkcu_convert", ConvertLaunch.SIZE),
    TAU_HISTOGRAM("mkcu_tau_histogram", HistogramLaunch.SIZE),
    TAU_BAND("mkcu_tau_band", BandLaunch.SIZE),
    SPARSE_MERGE("mkcu_sparse_merge", SparseParams.SIZE),
    SPARSE_NORMS("mkcu_sparse_norms", SparseParams.SIZE),
    SPARSE_KEPT_COUNTS("mkcu_sparse_kept_counts", SparseParams.SIZE),
    DELLA_RANKS("mkcu_della_ranks", RanksLaunch.SIZE),
    PAIR_SUMS("mkcu_pair_sums", PairSumsLaunch.SIZE),
    VLINEAR32("mkcu_vlinear32", VectorLinearLaunch.SIZE),
    VLINEAR64("mkcu_vlinear64", VectorLinearLaunch.SIZE),
    NEARSWAP("mkcu_nearswap", NearswapLaunch.SIZE),
    SCE_HISTOGRAM("mkcu_sce_histogram", SceLaunch.SIZE),
    SCE_SQUARES("mkcu_sce_squares", SceLaunch.SIZE),
    SCE_MERGE("mkcu_sce_merge", SceLaunch.SIZE),
    FUSION_HISTOGRAM("mkcu_fusion_histogram", FusionLaunch.SIZE),
    FUSION_MERGE("mkcu_fusion_merge", FusionLaunch.SIZE);

    final String symbol;
    final long paramsSize;

    Kernel(String symbol, long paramsSize) {
        this.symbol = symbol;
        this.paramsSize = paramsSize;
    }
}
