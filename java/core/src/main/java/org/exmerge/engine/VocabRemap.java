package org.exmerge.engine;

import java.util.Map;
import org.exmerge.format.Checkpoint;
import org.exmerge.kernel.Kernels;
import org.exmerge.lora.AdaptedRows;
import org.exmerge.lora.LoraAdapter;
import org.exmerge.tokenizer.VocabPlan;

/**
 * A merge's output vocabulary and the opened models its default rows read from, with the LoRA
 * adapters applied to them ({@code adapters} holds a model only when it has one).
 */
public record VocabRemap(VocabPlan plan, Map<String, Checkpoint> checkpoints, Map<String, LoraAdapter> adapters) {

    /**
     * Model {@code model}'s tensor {@code name} as the merge sees it: with its adapter's edit applied, if
     * any, by {@code kernels}. The caller closes it.
     */
    AdaptedRows rows(String model, String name, Kernels kernels) {
        LoraAdapter a = adapters.get(model);
        return AdaptedRows.of(checkpoints.get(model), name, a == null ? null : a.edit(name), kernels);
    }
}
