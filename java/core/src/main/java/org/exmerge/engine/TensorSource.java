package org.exmerge.engine;

import org.exmerge.format.Checkpoint;
import org.exmerge.format.TensorInfo;
import org.exmerge.kernel.Operand;

/** One input tensor: which model it comes from and its header entry there. */
public record TensorSource(String model, Checkpoint checkpoint, TensorInfo info) {

    public Operand operand() {
        return new Operand(checkpoint.data(info.name()), info.dtype());
    }

    /** The tensor mapped on its own into {@code arena}: closing the arena releases its pages. */
    public Operand map(java.lang.foreign.Arena arena) throws java.io.IOException {
        return new Operand(checkpoint.map(info.name(), arena), info.dtype());
    }

    @Override
    public String toString() {
        return model + ":" + info.name();
    }
}
