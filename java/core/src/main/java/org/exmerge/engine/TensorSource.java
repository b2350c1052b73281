package org.exmerge.engine;

import java.lang.foreign.MemorySegment;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.TensorInfo;
import org.exmerge.kernel.Operand;

/**
 * One input tensor: which model it comes from and its header entry there.
 *
 * @param vocab non-null for a token-indexed tensor whose rows the run first reorders into the output
 *              vocabulary ({@link VocabScratch}); such a source has no operand of its own
 * @param resident the tensor's bytes in memory (a reordered copy), or null: they are the checkpoint's
 */
public record TensorSource(String model, Checkpoint checkpoint, TensorInfo info, VocabRemap vocab, MemorySegment resident) {

    public TensorSource(String model, Checkpoint checkpoint, TensorInfo info) {
        this(model, checkpoint, info, null, null);
    }

    public TensorSource(String model, Checkpoint checkpoint, TensorInfo info, VocabRemap vocab) {
        this(model, checkpoint, info, vocab, null);
    }

    /** The tensor's bytes: a slice of its file's one mapping (the engine unloads the pages it has read). */
    public Operand operand() {
        if (vocab != null) {
            throw new IllegalStateException(this + ": rows not yet reordered into the output vocabulary");
        }
        if (resident != null) {
            return new Operand(resident, info.dtype());
        }
        MemorySegment data = checkpoint.data(info.name());
        // A token-indexed input may be read as its first rows only (VocabScratch's prefix view).
        return new Operand(data.byteSize() == info.byteSize() ? data : data.asSlice(0, info.byteSize()), info.dtype());
    }

    @Override
    public String toString() {
        return model + ":" + info.name();
    }
}
