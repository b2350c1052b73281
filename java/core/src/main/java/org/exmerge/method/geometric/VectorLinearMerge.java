package org.exmerge.method.geometric;

import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.LinearOp;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.VectorLinearOp;
import org.exmerge.method.CheckedMerge;
import org.exmerge.method.linear.LinearPlan;

/**
 * Applies one {@link LinearOp} per vector of a tensor (per-row slerp coefficients, filter-wise Model
 * Stock). Every element is computed by exactly the op of its vector, so the bytes never depend on
 * how the engine cuts the tensor into chunks.
 *
 * <p>Contiguous vectors (the whole tensor, or rows) go through the backend's linear kernel, one call
 * per piece of a row inside the chunk. Strided vectors (columns) change coefficient from one element
 * to the next, which no {@code linear} call expresses, and rows shorter than {@value #SHORT_ROW}
 * elements would cost a call per handful of elements; both go to the backend's
 * {@link Kernels#linearPerVector}, which gives every element the bytes of its vector's op.
 */
final class VectorLinearMerge implements CheckedMerge {
    static final int SHORT_ROW = 256;

    private final Kernels kernels;
    private final Operand[] xs;
    private final Operand base;
    private final Vectors vectors;
    private final LinearOp[] ops;
    private final VectorLinearOp perElement;

    /**
     * @param xs the inputs in the order of each op's weights
     * @param base given exactly when the ops have a base
     * @param ops one per vector
     */
    VectorLinearMerge(Kernels kernels, Operand[] xs, Operand base, Vectors vectors, LinearOp[] ops) {
        if (ops.length != vectors.count()) {
            throw new IllegalArgumentException(ops.length + " ops for " + vectors.count() + " vectors");
        }
        this.kernels = kernels;
        this.xs = xs.clone();
        this.base = base;
        this.vectors = vectors;
        this.ops = ops.clone();
        boolean perElement = vectors.count() > 1 && (vectors.strided() || vectors.length() < SHORT_ROW);
        this.perElement = perElement ? new VectorLinearOp(ops, vectors.length(), vectors.strided()) : null;
    }

    /** The whole tensor under one op: exactly {@link LinearPlan}'s computation. */
    static VectorLinearMerge whole(Kernels kernels, Operand[] xs, Operand base, long elements, LinearOp op) {
        return new VectorLinearMerge(kernels, xs, base, Vectors.whole(elements), new LinearOp[] {op});
    }

    @Override
    public long computeChecked(long start, long n, Operand out) {
        if (perElement != null) {
            kernels.linearPerVector(perElement, xs, base, out, start, n);
            return kernels.firstNonFinite(out, n);
        }
        long first = -1;
        long end = start + n;
        long pos = start;
        while (pos < end) {
            int p = (int) vectors.vectorOf(pos);
            long pieceEnd = Math.min(vectors.element(p, 0) + vectors.length(), end);
            long len = pieceEnd - pos;
            Operand[] in = new Operand[xs.length];
            for (int i = 0; i < in.length; i++) {
                in[i] = xs[i].skip(pos);
            }
            long at = kernels.linear(ops[p], in, base == null ? null : base.skip(pos), out.skip(pos - start), len);
            if (first < 0 && at >= 0) {
                first = pos - start + at;
            }
            pos = pieceEnd;
        }
        return first;
    }
}
