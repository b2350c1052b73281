package org.exmerge.engine;

import java.lang.foreign.MemorySegment;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.TensorInfo;
import org.exmerge.kernel.Operand;
import org.exmerge.lora.TensorEdit;

/**
 * One input tensor: which model it comes from and its header entry there.
 *
 * @param vocab non-null for a token-indexed tensor whose rows the run first reorders into the output
 *              vocabulary ({@link DerivedInputs}); such a source has no operand of its own
 * @param edit non-null for a tensor the model's LoRA adapter changes, which the run first works out
 *             ({@link DerivedInputs}); such a source has no operand of its own either
 * @param resident the tensor's bytes in memory (a derived copy), or null: they are the checkpoint's
 */
public record TensorSource(String model, Checkpoint checkpoint, TensorInfo info, VocabRemap vocab, TensorEdit edit,
                           MemorySegment resident) {

    public TensorSource(String model, Checkpoint checkpoint, TensorInfo info) {
        this(model, checkpoint, info, null, null, null);
    }

    /** An input as the model holds it, or as its adapter changes it ({@code edit} may be null). */
    public TensorSource(String model, Checkpoint checkpoint, TensorInfo info, TensorEdit edit) {
        this(model, checkpoint, info, null, edit, null);
    }

    /** Whether the run works this input out before the merge ({@link DerivedInputs}) rather than reading it in place. */
    public boolean derived() {
        return vocab != null || edit != null;
    }

    /** The tensor's bytes: a slice of its file's one mapping (the engine unloads the pages it has read). */
    public Operand operand() {
        if (derived()) {
            throw new IllegalStateException(this + ": not yet " + (vocab != null ? "reordered into the output vocabulary" : "adapted"));
        }
        if (resident != null) {
            return new Operand(resident, info.dtype());
        }
        MemorySegment data = checkpoint.data(info.name());
        // A token-indexed input may be read as its first rows only (DerivedInputs' prefix view).
        return new Operand(data.byteSize() == info.byteSize() ? data : data.asSlice(0, info.byteSize()), info.dtype());
    }

    @Override
    public String toString() {
        return model + ":" + info.name();
    }
}
