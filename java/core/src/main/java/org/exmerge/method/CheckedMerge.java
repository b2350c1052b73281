package org.exmerge.method;

import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.Operand;

/**
 * A merge whose kernel checks the output as it writes it ({@link Kernels#linear}, {@link Kernels#sparseMerge}):
 * the engine takes the kernel's answer instead of reading the chunk again with {@link Kernels#firstNonFinite}.
 */
@FunctionalInterface
public interface CheckedMerge extends TensorMerge {
    /** Computes as {@link #compute}; returns the index in {@code out} of the first non-finite element written, or -1. */
    long computeChecked(long start, long n, Operand out);

    @Override
    default void compute(long start, long n, Operand out) {
        computeChecked(start, n, out);
    }
}
