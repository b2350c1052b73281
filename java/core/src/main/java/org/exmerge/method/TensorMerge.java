package org.exmerge.method;

import org.exmerge.kernel.Operand;

/** Computes output elements [start, start + n) of one tensor; called from many threads at once. */
@FunctionalInterface
public interface TensorMerge {
    void compute(long start, long n, Operand out);
}
