package org.exmerge.engine;

import org.exmerge.format.DType;
import org.exmerge.format.TensorSpec;
import org.exmerge.method.TensorPlan;

/**
 * One output tensor: its name, type and shape, where its inputs come from, and the method's plan.
 *
 * @param base null when the method uses no base
 */
public record PlannedTensor(String name, DType type, long[] shape, TensorSource base, TensorSource[] models, TensorPlan plan) {

    public long elements() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public long outputBytes() {
        return Math.multiplyExact(elements(), type.size());
    }

    public long inputBytes() {
        long b = base == null ? 0 : base.info().byteSize();
        for (TensorSource m : models) {
            b += m.info().byteSize();
        }
        return b;
    }

    public TensorSpec spec() {
        return new TensorSpec(name, type, shape);
    }
}
