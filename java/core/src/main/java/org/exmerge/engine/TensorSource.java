package org.exmerge.engine;

import org.exmerge.format.Checkpoint;
import org.exmerge.format.TensorInfo;
import org.exmerge.kernel.Operand;

/** One input tensor: which model it comes from and its header entry there. */
public record TensorSource(String model, Checkpoint checkpoint, TensorInfo info) {

    /** The tensor's bytes: a slice of its file's one mapping (the engine unloads the pages it has read). */
    public Operand operand() {
        return new Operand(checkpoint.data(info.name()), info.dtype());
    }

    @Override
    public String toString() {
        return model + ":" + info.name();
    }
}
