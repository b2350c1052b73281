package org.exmerge.method.geometric;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.exmerge.format.DType;
import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.LinearOp;
import org.exmerge.kernel.Operand;

/**
 * numerics §2's linear operation with the op of each element's vector: element {@code e} uses
 * {@code ops[vectors.vectorOf(e)]}. For strided vectors (columns: the op changes from one element to
 * the next) and very short rows, where one kernel call per row would cost more than the row.
 *
 * <p>The arithmetic is the Java kernel's, operation for operation ({@code acc = 0; acc = fma(w_i,
 * x_i [− b], acc); [acc /= d]; [acc = fma(λ, acc, b)]}, float32, or float64 when an operand is F64), so
 * a column gets the bytes a per-column kernel call would give. Widening and narrowing go through the
 * backend's {@code convert} into native scratch, so the rounding on output is the backend's own.
 */
final class ElementwiseLinear {
    private static final int BLOCK = 2048;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final LinearOp[] ops;
    private final Vectors vectors;
    private final float[][] w32;
    private final float[] div32;
    private final float[] lambda32;

    ElementwiseLinear(LinearOp[] ops, Vectors vectors) {
        if (ops.length != vectors.count()) {
            throw new IllegalArgumentException(ops.length + " ops for " + vectors.count() + " vectors");
        }
        this.ops = ops.clone();
        this.vectors = vectors;
        w32 = new float[ops.length][];
        div32 = new float[ops.length];
        lambda32 = new float[ops.length];
        for (int p = 0; p < ops.length; p++) {
            w32[p] = ops[p].weightsF32();
            div32[p] = ops[p].divisorF32();
            lambda32[p] = ops[p].lambdaF32();
        }
    }

    void apply(Kernels kernels, Operand[] xs, Operand base, long start, long n, Operand out) {
        boolean wide = out.type() == DType.F64 || (base != null && base.type() == DType.F64);
        for (Operand x : xs) {
            wide |= x.type() == DType.F64;
        }
        DType st = wide ? DType.F64 : DType.F32;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment[] xsS = new MemorySegment[xs.length];
            for (int i = 0; i < xs.length; i++) {
                xsS[i] = arena.allocate((long) BLOCK * st.size(), 8);
            }
            MemorySegment bS = base == null ? null : arena.allocate((long) BLOCK * st.size(), 8);
            MemorySegment accS = arena.allocate((long) BLOCK * st.size(), 8);
            Scratch s = new Scratch(xs.length, wide);
            for (long from = 0; from < n; from += BLOCK) {
                int len = (int) Math.min(BLOCK, n - from);
                for (int i = 0; i < xs.length; i++) {
                    kernels.convert(xs[i].skip(start + from), new Operand(xsS[i], st), len);
                }
                if (base != null) {
                    kernels.convert(base.skip(start + from), new Operand(bS, st), len);
                }
                Cursor c = new Cursor(vectors, start + from);
                if (wide) {
                    block64(s, xsS, bS, accS, c, len);
                } else {
                    block32(s, xsS, bS, accS, c, len);
                }
                kernels.convert(new Operand(accS, st), out.skip(from), len);
            }
        }
    }

    /** Per-call arrays, so the element loops allocate nothing. */
    private static final class Scratch {
        final float[][] x32;
        final float[] b32;
        final float[] acc32;
        final double[][] x64;
        final double[] b64;
        final double[] acc64;

        Scratch(int inputs, boolean wide) {
            x32 = wide ? null : new float[inputs][BLOCK];
            b32 = wide ? null : new float[BLOCK];
            acc32 = wide ? null : new float[BLOCK];
            x64 = wide ? new double[inputs][BLOCK] : null;
            b64 = wide ? new double[BLOCK] : null;
            acc64 = wide ? new double[BLOCK] : null;
        }
    }

    /** The vector of the current element, advanced one element at a time without a division per element. */
    private static final class Cursor {
        private final Vectors v;
        int p;
        private long k; // the element's index inside its row (contiguous vectors only)

        Cursor(Vectors v, long e) {
            this.v = v;
            p = (int) v.vectorOf(e);
            k = v.strided() ? 0 : e - v.element(p, 0);
        }

        void next() {
            if (v.strided()) {
                if (++p == v.count()) {
                    p = 0;
                }
            } else if (++k == v.length()) {
                k = 0;
                p++;
            }
        }
    }

    private void block32(Scratch s, MemorySegment[] xsS, MemorySegment bS, MemorySegment accS, Cursor c, int len) {
        float[][] x = s.x32;
        for (int i = 0; i < xsS.length; i++) {
            MemorySegment.copy(xsS[i], F32, 0, x[i], 0, len);
        }
        float[] b = s.b32;
        if (bS != null) {
            MemorySegment.copy(bS, F32, 0, b, 0, len);
        }
        float[] acc = s.acc32;
        for (int j = 0; j < len; j++) {
            int p = c.p;
            float[] w = w32[p];
            float a = 0.0f;
            if (bS != null) {
                for (int i = 0; i < w.length; i++) {
                    a = Math.fma(w[i], x[i][j] - b[j], a);
                }
            } else {
                for (int i = 0; i < w.length; i++) {
                    a = Math.fma(w[i], x[i][j], a);
                }
            }
            if (ops[p].divide()) {
                a = a / div32[p];
            }
            if (bS != null) {
                a = Math.fma(lambda32[p], a, b[j]);
            }
            acc[j] = a;
            c.next();
        }
        MemorySegment.copy(acc, 0, accS, F32, 0, len);
    }

    private void block64(Scratch s, MemorySegment[] xsS, MemorySegment bS, MemorySegment accS, Cursor c, int len) {
        double[][] x = s.x64;
        for (int i = 0; i < xsS.length; i++) {
            MemorySegment.copy(xsS[i], F64, 0, x[i], 0, len);
        }
        double[] b = s.b64;
        if (bS != null) {
            MemorySegment.copy(bS, F64, 0, b, 0, len);
        }
        double[] acc = s.acc64;
        for (int j = 0; j < len; j++) {
            LinearOp op = ops[c.p];
            double[] w = op.weights();
            double a = 0.0;
            for (int i = 0; i < w.length; i++) {
                a = Math.fma(w[i], bS != null ? x[i][j] - b[j] : x[i][j], a);
            }
            if (op.divide()) {
                a = a / op.divisor();
            }
            if (bS != null) {
                a = Math.fma(op.lambda(), a, b[j]);
            }
            acc[j] = a;
            c.next();
        }
        MemorySegment.copy(acc, 0, accS, F64, 0, len);
    }
}
