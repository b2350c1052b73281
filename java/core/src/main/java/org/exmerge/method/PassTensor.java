package org.exmerge.method;

import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.Operand;

/**
 * One tensor taking part in a {@link ModelPass}: its inputs whole (as in {@link TensorInputs}), the
 * recipe's names of the models they come from, and the pass its own plan declared.
 *
 * @param base the base's data, null when the method has none
 * @param sources the model names behind the base (index 0, null without a base) and model i (i + 1):
 *                with slices, model i of one tensor may come from another checkpoint than of the next
 * @param pass the pass this tensor's plan declared (same key as the one run, perhaps other parameters)
 */
public record PassTensor(String name, long elements, long[] shape, Operand base, Operand[] models, String[] sources,
                         Kernels kernels, ModelPass<?> pass) {}
