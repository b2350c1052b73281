package org.exmerge.method.fusion;

import java.util.List;
import org.exmerge.format.DType;
import org.exmerge.kernel.FusionOp;
import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.Operand;
import org.exmerge.method.KeySelect;
import org.exmerge.method.MergeMethod;
import org.exmerge.method.Signature;
import org.exmerge.method.TensorInputs;
import org.exmerge.method.TensorMerge;
import org.exmerge.method.TensorParams;
import org.exmerge.method.TensorPlan;
import org.exmerge.numeric.MagnitudeSelect;

/**
 * mergekit's {@code arcee_fusion} (methods.md "arcee_fusion"): take the model's value where its
 * importance {@code |x − b| · KL(row)} reaches {@code median + 1.5·IQR} of the tensor's
 * importances, else the base's. Binding computes the rows' KL divergences (one read, in Java)
 * and the three exact quantiles (one first pass and up to three second passes of
 * {@link Kernels#fusionHistogram}); the merge is one {@link Kernels#fusionMerge} per chunk.
 */
public final class ArceeFusion implements MergeMethod {
    public static final ArceeFusion INSTANCE = new ArceeFusion();
    private static final Signature SIGNATURE = new Signature(true, 1, 1, List.of());
    private static final double[] QUANTILES = {0.25, 0.5, 0.75};

    private ArceeFusion() {}

    @Override
    public String name() {
        return "arcee_fusion";
    }

    @Override
    public Signature signature() {
        return SIGNATURE;
    }

    @Override
    public TensorPlan plan(TensorParams p, int models) {
        return PLAN;
    }

    private static final TensorPlan PLAN = new TensorPlan() {
        @Override
        public String describe() {
            return "threshold=median+1.5·IQR";
        }

        @Override
        public TensorMerge bind(TensorInputs in) {
            checkTypes(in);
            long n = in.elements();
            if (n == 0) {
                return (start, len, out) -> { };
            }
            long[] shape = in.shape();
            int row = shape.length == 0 ? 1 : Math.toIntExact(shape[shape.length - 1]);
            Operand x = in.models()[0];
            Operand base = in.base();
            Kernels k = in.kernels();
            float[] kl = RowKl.of(x, base, n, row, in.parallel());
            FusionOp probe = new FusionOp(kl, row, Float.NaN);
            FusionOp op = new FusionOp(kl, row, threshold(probe, in));
            return (start, len, out) -> k.fusionMerge(op, x, base, out, start, len);
        }
    };

    /**
     * {@code median + 1.5·(q3 − q1)} of the importances, each quantile the exact element at
     * ascending index {@code floor(q·(N − 1))}, in float64, then rounded up to the nearest float32
     * (so {@code imp ≥ threshold} in float32 is {@code imp ≥ the float64 value}).
     */
    static float threshold(FusionOp op, TensorInputs in) {
        long n = in.elements();
        Kernels k = in.kernels();
        Operand x = in.models()[0];
        Operand base = in.base();
        KeySelect.Pass pass = KeySelect.releasing((start, len, high, hist) -> k.fusionHistogram(op, x, base, start, len, high,
                hist), n, x, base);
        long[] high = KeySelect.high(pass, in.parallel(), n);
        long[] ks = new long[QUANTILES.length];
        for (int q = 0; q < ks.length; q++) {
            ks[q] = n - (long) Math.floor(QUANTILES[q] * (double) (n - 1)); // the k-th largest is ascending index n − k
        }
        long[] keys = KeySelect.kthLargest(pass, in.parallel(), n, high, ks);
        double q1 = valueOf(keys[0]);
        double median = valueOf(keys[1]);
        double q3 = valueOf(keys[2]);
        double t = median + 1.5 * (q3 - q1);
        float f = (float) t;
        return f < t ? Math.nextUp(f) : f;
    }

    /** The importance whose key this is (importances are ≥ 0 or NaN, so the key is their bits). */
    private static double valueOf(long key) {
        return key >= MagnitudeSelect.NAN_KEY ? Double.NaN : Float.intBitsToFloat((int) key);
    }

    private static void checkTypes(TensorInputs in) {
        if (in.base() == null) {
            throw new IllegalArgumentException(in.name() + ": arcee_fusion needs the base model's tensor");
        }
        if (in.base().type() == DType.F64 || in.models()[0].type() == DType.F64) {
            throw new IllegalArgumentException(in.name()
                    + ": arcee_fusion does not support F64 tensors yet (numerics §1 computes them in float64; its kernels are float32)");
        }
    }
}
