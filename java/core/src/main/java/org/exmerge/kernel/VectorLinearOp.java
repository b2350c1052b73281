package org.exmerge.kernel;

/**
 * numerics §2's linear operation with one {@link LinearOp} per vector of a tensor of
 * {@code ops.length · length} elements: element {@code e} is computed exactly as
 * {@link Kernels#linear} would compute it under {@code ops[vectorOf(e)]}. For vectors whose op changes
 * from one element to the next (a tensor's columns) or every few elements (very short rows), where
 * one {@code linear} call per vector would cost more than the vector.
 *
 * @param ops one op per vector; all take the same number of inputs, and all or none a base
 * @param length elements per vector
 * @param strided false: vector {@code p} is elements {@code [p·length, (p+1)·length)}; true: element
 *                {@code k} of vector {@code p} is element {@code k·ops.length + p}
 */
public record VectorLinearOp(LinearOp[] ops, long length, boolean strided) {

    /**
     * Checks the ops agree on their inputs and base.
     *
     * @throws IllegalArgumentException when there is no op, {@code length < 1} or the ops disagree
     */
    public VectorLinearOp {
        ops = ops.clone();
        if (ops.length == 0 || length < 1) {
            throw new IllegalArgumentException(ops.length + " vectors of " + length + " elements");
        }
        for (LinearOp op : ops) {
            if (op.inputs() != ops[0].inputs() || op.hasBase() != ops[0].hasBase()) {
                throw new IllegalArgumentException("per-vector ops must agree on their inputs and base");
            }
        }
        Math.multiplyExact(ops.length, length);
    }

    /** The vector (the index of its op) that tensor element {@code e} belongs to. */
    public long vectorOf(long e) {
        return strided ? e % ops.length : e / length;
    }

    /** Inputs every op takes. */
    public int inputs() {
        return ops[0].inputs();
    }

    /** Whether the ops take a base. */
    public boolean hasBase() {
        return ops[0].hasBase();
    }

    /**
     * Checks the arguments of a {@link Kernels#linearPerVector} call, as every backend must first.
     *
     * @throws IllegalArgumentException for a wrong input count, a base given or missing, or elements
     *                                  outside the tensor
     */
    public void check(Operand[] xs, Operand base, long start, long n) {
        if (xs.length != inputs()) {
            throw new IllegalArgumentException(xs.length + " inputs for " + inputs() + " weights");
        }
        if (hasBase() != (base != null)) {
            throw new IllegalArgumentException("base operand must be given exactly when the op has a base");
        }
        if (start < 0 || n < 0 || start + n > ops.length * length) {
            throw new IllegalArgumentException("elements " + start + " + " + n + " outside a tensor of "
                    + ops.length + " vectors of " + length);
        }
    }
}
