package org.exmerge.kernel;

/**
 * The Java spec of {@link Kernels#linearPerVector}: {@link JavaKernels#linear}'s arithmetic,
 * operation for operation ({@code acc = ±0; acc = fma(w_i, x_i [− b], acc); [acc /= d];
 * [acc = fma(λ, acc, b)]}, float32, or float64 when an operand is F64), with the coefficients of each
 * element's vector, so an element gets the bytes a {@code linear} call for its vector alone gives.
 */
final class VectorLinearKernels {
    private static final int BLOCK = JavaKernels.BLOCK;

    private VectorLinearKernels() {}

    static void linearPerVector(VectorLinearOp v, Operand[] xs, Operand base, Operand out, long start, long n) {
        v.check(xs, base, start, n);
        if (Lanes.anyF64(xs, base, out)) {
            wide(v, xs, base, out, start, n);
        } else {
            narrow(v, xs, base, out, start, n);
        }
    }

    /** The vector of the current element, advanced one element at a time without a division per element. */
    private static final class Cursor {
        private final VectorLinearOp v;
        int p;
        private long k; // the element's index inside its row (contiguous vectors only)

        Cursor(VectorLinearOp v, long e) {
            this.v = v;
            p = (int) v.vectorOf(e);
            k = v.strided() ? 0 : e - p * v.length();
        }

        void next() {
            if (v.strided()) {
                if (++p == v.ops().length) {
                    p = 0;
                }
            } else if (++k == v.length()) {
                k = 0;
                p++;
            }
        }
    }

    private static void narrow(VectorLinearOp v, Operand[] xs, Operand base, Operand out, long start, long n) {
        LinearOp[] ops = v.ops();
        float[][] x = new float[xs.length][BLOCK];
        float[] b = new float[BLOCK];
        float[] acc = new float[BLOCK];
        Cursor c = new Cursor(v, start);
        for (long from = 0; from < n; from += BLOCK) {
            int len = (int) Math.min(BLOCK, n - from);
            for (int i = 0; i < xs.length; i++) {
                Lanes.load(xs[i], start + from, len, x[i]);
            }
            if (base != null) {
                Lanes.load(base, start + from, len, b);
            }
            for (int j = 0; j < len; j++, c.next()) {
                LinearOp op = ops[c.p];
                double[] w = op.weights(); // rounded to float32 here, as weightsF32() would
                float a = op.negativeZeroStart() ? -0.0f : 0.0f;
                for (int i = 0; i < w.length; i++) {
                    a = Math.fma((float) w[i], base != null ? x[i][j] - b[j] : x[i][j], a);
                }
                if (op.divide()) {
                    a = a / op.divisorF32();
                }
                if (base != null) {
                    a = Math.fma(op.lambdaF32(), a, b[j]);
                }
                acc[j] = a;
            }
            Lanes.store(acc, len, out, from);
        }
    }

    private static void wide(VectorLinearOp v, Operand[] xs, Operand base, Operand out, long start, long n) {
        LinearOp[] ops = v.ops();
        double[][] x = new double[xs.length][BLOCK];
        double[] b = new double[BLOCK];
        double[] acc = new double[BLOCK];
        Cursor c = new Cursor(v, start);
        for (long from = 0; from < n; from += BLOCK) {
            int len = (int) Math.min(BLOCK, n - from);
            for (int i = 0; i < xs.length; i++) {
                Lanes.load(xs[i], start + from, len, x[i]);
            }
            if (base != null) {
                Lanes.load(base, start + from, len, b);
            }
            for (int j = 0; j < len; j++, c.next()) {
                LinearOp op = ops[c.p];
                double[] w = op.weights();
                double a = op.negativeZeroStart() ? -0.0 : 0.0;
                for (int i = 0; i < w.length; i++) {
                    a = Math.fma(w[i], base != null ? x[i][j] - b[j] : x[i][j], a);
                }
                if (op.divide()) {
                    a = a / op.divisor();
                }
                if (base != null) {
                    a = Math.fma(op.lambda(), a, b[j]);
                }
                acc[j] = a;
            }
            Lanes.store(acc, len, out, from);
        }
    }
}
