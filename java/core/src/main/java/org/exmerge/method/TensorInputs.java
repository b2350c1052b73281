package org.exmerge.method;

import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.Operand;

/**
 * One tensor's data, whole: the base (null when the method has none) and the models in config order.
 * {@code tensorId} and {@code seed} feed numerics §5's generator for methods that draw random numbers;
 * {@code parallel} spreads passes over the whole tensor across the run's threads.
 */
public record TensorInputs(String name, Operand base, Operand[] models, long elements, long[] shape,
                           Kernels kernels, long seed, int tensorId, Parallel parallel) {

    /** Inputs whose bind-time passes run on the calling thread. */
    public TensorInputs(String name, Operand base, Operand[] models, long elements, long[] shape,
                        Kernels kernels, long seed, int tensorId) {
        this(name, base, models, elements, shape, kernels, seed, tensorId, Parallel.SERIAL);
    }
}
