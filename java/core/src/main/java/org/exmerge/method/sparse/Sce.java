package org.exmerge.method.sparse;

import java.util.Arrays;
import java.util.List;
import org.exmerge.format.DType;
import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.SceOp;
import org.exmerge.method.KeySelect;
import org.exmerge.method.MergeMethod;
import org.exmerge.method.Parallel;
import org.exmerge.method.Param;
import org.exmerge.method.Param.Scope;
import org.exmerge.method.Signature;
import org.exmerge.method.TensorInputs;
import org.exmerge.method.TensorMerge;
import org.exmerge.method.TensorParams;
import org.exmerge.method.TensorPlan;
import org.exmerge.numeric.BlockReduction;

/**
 * mergekit's {@code sce} (Select, Calculate, Erase; Wan et al. 2024), methods.md "sce": keep the
 * elements whose task vectors vary most across the models (the exact top {@code select_topk} of
 * the nonzero variances), weight each model by its masked task vector's mean square, erase the
 * minority signs and average. Binding reads the tensor up to five times (two variance histogram
 * passes, one squares pass); the merge is one {@link Kernels#sceMerge} per chunk.
 */
public final class Sce implements MergeMethod {
    static final Param SELECT_TOPK = Param.number("select_topk", Scope.GLOBAL, 1.0,
            "fraction of the nonzero-variance elements kept, largest variance first (≥ 1 keeps all, ≤ 0 none)");
    /** mergekit's floor: weights summing below it become uniform. */
    static final double UNIFORM_BELOW = 1e-6;

    public static final Sce INSTANCE = new Sce();

    private static final Signature SIGNATURE = new Signature(true, 1, Signature.ANY, List.of(SELECT_TOPK, Param.INT8_MASK));

    private Sce() {}

    @Override
    public String name() {
        return "sce";
    }

    @Override
    public Signature signature() {
        return SIGNATURE;
    }

    @Override
    public TensorPlan plan(TensorParams p, int models) {
        double topk = p.number(SELECT_TOPK);
        p.bool(Param.INT8_MASK); // accepted for mergekit configs; the mask's type never changes a value
        return new Plan(topk);
    }

    /** One tensor's plan: the fraction kept. */
    record Plan(double topk) implements TensorPlan {
        @Override
        public String describe() {
            return "select_topk=" + Param.format(topk);
        }

        @Override
        public TensorMerge bind(TensorInputs in) {
            checkTypes(in);
            long n = in.elements();
            Operand[] xs = in.models();
            Operand base = in.base();
            Kernels k = in.kernels();
            if (n == 0) {
                return (start, len, out) -> { };
            }
            long keepFrom = keepFrom(in);
            float[] w = weights(in, keepFrom);
            SceOp op = new SceOp(w, keepFrom);
            return (start, len, out) -> k.sceMerge(op, xs, base, out, start, len);
        }

        /**
         * The variance-key threshold: 0 (keep all) for {@code select_topk ≥ 1}; otherwise
         * {@code k = floor(select_topk · nonzero)} over the nonzero variances, none when k = 0, else
         * the k-th largest key (every tie at it kept).
         */
        private long keepFrom(TensorInputs in) {
            if (topk >= 1) {
                return 0;
            }
            if (!(topk > 0)) {
                return SceOp.KEEP_NONE;
            }
            Kernels k = in.kernels();
            KeySelect.Pass pass = KeySelect.releasing((start, len, high, hist) -> k.sceHistogram(in.models(), in.base(), start,
                    len, high, hist), in.elements(), inputs(in));
            long[] high = KeySelect.high(pass, in.parallel(), in.elements());
            long nonzero = KeySelect.counted(high);
            long kth = (long) Math.floor(topk * (double) nonzero);
            if (kth == 0) {
                return SceOp.KEEP_NONE;
            }
            return KeySelect.kthLargest(pass, in.parallel(), in.elements(), high, kth)[0];
        }

        /** The fine-tunes and the base: what the sce passes read. */
        private static Operand[] inputs(TensorInputs in) {
            Operand[] all = Arrays.copyOf(in.models(), in.models().length + 1);
            all[in.models().length] = in.base();
            return all;
        }

        /**
         * mergekit's sce_weight: {@code w_i = mean(τ̂_i²)} (float64, numerics §4's order), divided by
         * their sum, or {@code 1/m} each when the sum is below 1e-6; rounded once to float32.
         */
        private static float[] weights(TensorInputs in, long keepFrom) {
            int m = in.models().length;
            float[] w = new float[m];
            double[] mean = new double[m];
            if (keepFrom != SceOp.KEEP_NONE) {
                double[] sums = squares(in, new SceOp(new float[m], keepFrom));
                for (int i = 0; i < m; i++) {
                    mean[i] = sums[i] / (double) in.elements();
                }
            }
            double total = 0;
            for (double v : mean) {
                total += v;
            }
            for (int i = 0; i < m; i++) {
                w[i] = Math.abs(total) < UNIFORM_BELOW ? (float) (1.0 / m) : (float) (mean[i] / total);
            }
            return w;
        }

        /** Each model's {@code Σ τ̂_i²}: blocks on the run's threads into their own slots, added in block order. */
        private static double[] squares(TensorInputs in, SceOp op) {
            int m = in.models().length;
            long n = in.elements();
            int blocks = (int) BlockReduction.blockCount(n);
            double[][] parts = new double[blocks][m];
            int pieces = Parallel.pieces(blocks, 16);
            int perPiece = (blocks + pieces - 1) / pieces;
            in.parallel().run(pieces, p -> {
                for (int b = p * perPiece; b < Math.min(blocks, (p + 1) * perPiece); b++) {
                    in.kernels().sceSquares(op, in.models(), in.base(), (long) b * BlockReduction.BLOCK_SIZE, n, parts[b]);
                }
            });
            double[] sums = new double[m];
            for (double[] part : parts) {
                for (int i = 0; i < m; i++) {
                    sums[i] += part[i];
                }
            }
            return sums;
        }

        private static void checkTypes(TensorInputs in) {
            if (in.base() == null) {
                throw new IllegalArgumentException(in.name() + ": sce needs the base model's tensor");
            }
            boolean f64 = in.base().type() == DType.F64;
            for (Operand x : in.models()) {
                f64 |= x.type() == DType.F64;
            }
            if (f64) {
                throw new IllegalArgumentException(in.name()
                        + ": sce does not support F64 tensors yet (numerics §1 computes them in float64; its kernels are float32)");
            }
        }
    }
}
