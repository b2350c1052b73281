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
    SPARSE_MERGE("mkcu_sparse_merge", SparseParams.SIZE),
    SPARSE_NORMS("mkcu_sparse_norms", SparseParams.SIZE),
    DELLA_RANKS("mkcu_della_ranks", RanksLaunch.SIZE),
    PAIR_SUMS("mkcu_pair_sums", PairSumsLaunch.SIZE),
    VLINEAR32("mkcu_vlinear32", VectorLinearLaunch.SIZE),
    VLINEAR64("mkcu_vlinear64", VectorLinearLaunch.SIZE),
    NEARSWAP("mkcu_nearswap", NearswapLaunch.SIZE);

    final String symbol;
    final long paramsSize;

    Kernel(String symbol, long paramsSize) {
        this.symbol = symbol;
        this.paramsSize = paramsSize;
    }
}
