package org.exmerge.kernel;

import org.exmerge.format.DType;
import org.exmerge.numeric.MagnitudeSelect;

/**
 * The Java spec of the {@code arcee_fusion} ops ({@link Kernels#fusionHistogram},
 * {@link Kernels#fusionMerge}; the arithmetic is on {@link FusionOp}). Input operands start at
 * element 0 of the tensor (rows need the absolute index), the output at the chunk.
 */
final class FusionKernels {
    private static final int BLOCK = JavaKernels.BLOCK;

    private FusionKernels() {}

    /** Counts the importance keys of elements {@code [start, start + n)}, every element (zeros too). */
    static void histogram(FusionOp op, Operand x, Operand base, long start, long n, int high, long[] hist) {
        check(x, base);
        KeyHistogram.check("fusion", hist, high, start, n);
        float[] imp = new float[BLOCK];
        float[] tau = new float[BLOCK];
        float[] b = new float[BLOCK];
        for (long from = 0; from < n; from += BLOCK) {
            int len = (int) Math.min(BLOCK, n - from);
            importance(op, x, base, start + from, len, b, tau, imp);
            for (int j = 0; j < len; j++) {
                int key = MagnitudeSelect.key(imp[j]);
                KeyHistogram.add(hist, high, key);
            }
        }
    }

    static void merge(FusionOp op, Operand x, Operand base, Operand out, long start, long n) {
        check(x, base);
        float[] imp = new float[BLOCK];
        float[] tau = new float[BLOCK];
        float[] b = new float[BLOCK];
        float[] acc = new float[BLOCK];
        float thr = op.threshold();
        for (long from = 0; from < n; from += BLOCK) {
            int len = (int) Math.min(BLOCK, n - from);
            importance(op, x, base, start + from, len, b, tau, imp);
            for (int j = 0; j < len; j++) {
                acc[j] = b[j] + (imp[j] >= thr ? tau[j] : 0.0f);
            }
            Lanes.storeWidening(acc, len, out, from);
        }
    }

    private static void importance(FusionOp op, Operand x, Operand base, long abs, int len, float[] b, float[] tau,
                                   float[] imp) {
        Lanes.load(base, abs, len, b);
        Lanes.load(x, abs, len, tau);
        long rows = op.rowKl().length;
        int row = op.rowLength();
        if ((abs + len + row - 1) / row > rows) {
            throw new IllegalArgumentException("element " + (abs + len - 1) + " lies beyond the " + rows + " rows of "
                    + row);
        }
        for (int j = 0; j < len; j++) {
            tau[j] = tau[j] - b[j];
            imp[j] = op.importance(tau[j], (abs + j) / row);
        }
    }

    private static void check(Operand x, Operand base) {
        if (base == null) {
            throw new IllegalArgumentException("the arcee_fusion kernels need a base operand");
        }
        if (x.type() == DType.F64 || base.type() == DType.F64) {
            throw new IllegalArgumentException("F64 inputs are not supported by the arcee_fusion kernels yet");
        }
    }
}
