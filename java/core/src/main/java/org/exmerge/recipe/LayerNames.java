package org.exmerge.recipe;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the layer index in a tensor name, for gradients (numerics §9) and for renumbering layers when
 * slices are stacked. Recognised containers, as whole dot-separated parts followed by the index:
 * {@code layers} (Llama, Mistral, Qwen, Gemma, {@code model.decoder.layers}), {@code layer} (BERT),
 * {@code h} (GPT-2, Falcon: {@code transformer.h.12}), {@code blocks} / {@code block} (MPT, T5).
 * The first such part in the name wins, so an expert or sub-layer number after it is never taken.
 */
public final class LayerNames {
    // At most 9 digits: any larger number is not a layer index and must not overflow an int.
    private static final Pattern LAYER = Pattern.compile("(?:^|\\.)(?:layers|layer|h|blocks|block)\\.(\\d{1,9})(?=\\.|$)");

    private LayerNames() {}

    /** The layer index in the name, e.g. 12 for {@code model.layers.12.mlp.up_proj.weight}; -1 for tensors outside the layers. */
    public static int layerIndex(String tensorName) {
        Matcher m = LAYER.matcher(tensorName);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** The name with its layer index replaced by {@code newIndex}; an error for names without a layer index. */
    public static String withLayerIndex(String tensorName, int newIndex) {
        if (newIndex < 0) {
            throw new IllegalArgumentException("layer index must be >= 0, got " + newIndex);
        }
        Matcher m = LAYER.matcher(tensorName);
        if (!m.find()) {
            throw new IllegalArgumentException("'" + tensorName + "' has no layer index");
        }
        return tensorName.substring(0, m.start(1)) + newIndex + tensorName.substring(m.end(1));
    }
}
