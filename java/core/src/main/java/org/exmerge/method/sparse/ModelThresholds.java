package org.exmerge.method.sparse;

import java.util.Arrays;
import java.util.List;
import org.exmerge.method.ModelPass;
import org.exmerge.method.ParameterException;
import org.exmerge.method.PassTensor;
import org.exmerge.numeric.MagnitudeSelect;

/**
 * numerics §3 {@code scope: model} (the TIES paper's global trim) as a model pass: model i's exact
 * k-th largest {@code |τ_i|} over all tensors of the pass, {@code k = floor(density_i · N)} with N
 * the elements of those tensors, as {@link MagnitudeSelect} keys ({@code NONE} keeps nothing, 0 keeps
 * all). Two rounds, {@link MagnitudeSelect}'s two histogram passes: the high 15 bits of every key,
 * then the low 16 bits of the keys in the bucket holding the k-th. Counted by the backend's
 * {@link org.exmerge.kernel.Kernels#tauHistogram}; nothing is sorted or copied. The per-tensor
 * selects these plans would otherwise do at bind time are skipped, so a model-scope trim reads its
 * inputs as often as a per-tensor one, only earlier.
 *
 * @param density per model (base excluded): the fraction each model keeps of itself as a whole
 */
record ModelThresholds(double[] density) implements ModelPass<long[]> {
    static final String KEY = "sparse: model-wide magnitude thresholds";
    /** Elements per piece: a piece's histograms (up to 512 KiB a model) are small beside its reads. */
    static final long PIECE = 1 << 20;

    ModelThresholds {
        density = density.clone();
    }

    /** Passes with the same densities are the same pass (a record compares arrays by identity). */
    @Override
    public boolean equals(Object o) {
        return o instanceof ModelThresholds other && Arrays.equals(density, other.density);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(density);
    }

    @Override
    public String toString() {
        return KEY + " " + Arrays.toString(density);
    }

    @Override
    public String key() {
        return KEY;
    }

    @Override
    public long pieceElements() {
        return PIECE;
    }

    @Override
    public long stateBytes() {
        return (long) density.length * MagnitudeSelect.LOW_BUCKETS * Long.BYTES;
    }

    @Override
    public boolean reads(int input) {
        return input == 0 || density[input - 1] < 1;
    }

    @Override
    public Survey start(List<PassTensor> tensors) {
        PassTensor first = tensors.getFirst();
        long total = 0;
        for (PassTensor t : tensors) {
            double[] d = ((ModelThresholds) t.pass()).density;
            if (!Arrays.equals(d, density)) {
                throw new ParameterException("density: scope: model keeps one fraction of each model as a whole, but tensor '"
                        + t.name() + "' has density " + Arrays.toString(d) + " and '" + first.name() + "' has "
                        + Arrays.toString(density));
            }
            if (!Arrays.equals(t.sources(), first.sources())) {
                throw new ParameterException("scope: model takes each model's threshold over all its tensors, so every "
                        + "slice must merge the same models in the same order; tensor '" + t.name() + "' merges "
                        + Arrays.toString(t.sources()) + " and '" + first.name() + "' " + Arrays.toString(first.sources()));
            }
            total = Math.addExact(total, t.elements());
        }
        return new Survey(density, total);
    }

    /**
     * One survey: per model the rank k, and for the models that need a select their histograms
     * ({@code long[model][bucket]}, null for the others).
     */
    static final class Survey implements ModelPass.Run<long[][], long[]> {
        private final long[] keys;
        private final long[] kth;
        private final boolean[] select;
        private final int[] bucket;
        private long[][] high;
        private final boolean any;

        Survey(double[] density, long total) {
            int m = density.length;
            keys = new long[m];
            kth = new long[m];
            select = new boolean[m];
            bucket = new int[m];
            boolean selects = false;
            for (int i = 0; i < m; i++) {
                kth[i] = density[i] >= 1 ? total : Thresholds.count(density[i], total);
                if (density[i] >= 1 || kth[i] > total) {
                    keys[i] = 0;
                } else if (kth[i] == 0) {
                    keys[i] = MagnitudeSelect.NONE;
                } else {
                    select[i] = true;
                    selects = true;
                }
            }
            any = selects;
        }

        @Override
        public int rounds() {
            return any ? 2 : 0;
        }

        @Override
        public long[][] newState(int round) {
            long[][] h = new long[select.length][];
            for (int i = 0; i < h.length; i++) {
                h[i] = select[i] ? new long[round == 0 ? MagnitudeSelect.HIGH_BUCKETS : MagnitudeSelect.LOW_BUCKETS] : null;
            }
            return h;
        }

        @Override
        public void accumulate(int round, long[][] state, PassTensor t, long start, long n) {
            for (int i = 0; i < select.length; i++) {
                if (select[i]) {
                    t.kernels().tauHistogram(t.models()[i], t.base(), start, n, round == 0 ? -1 : bucket[i], state[i]);
                }
            }
        }

        @Override
        public long[][] combine(int round, long[][] total, long[][] piece) {
            for (int i = 0; i < select.length; i++) {
                if (select[i]) {
                    MagnitudeSelect.merge(total[i], piece[i]);
                }
            }
            return total;
        }

        @Override
        public void endRound(int round, long[][] total) {
            for (int i = 0; i < select.length; i++) {
                if (!select[i]) {
                    continue;
                }
                if (round == 0) {
                    bucket[i] = MagnitudeSelect.selectBucket(total[i], kth[i]);
                } else {
                    keys[i] = MagnitudeSelect.keyOf(high[i], bucket[i], total[i], kth[i]);
                }
            }
            if (round == 0) {
                high = total;
            }
        }

        @Override
        public long[] result() {
            return keys.clone();
        }
    }
}
