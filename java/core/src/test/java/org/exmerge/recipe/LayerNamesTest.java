package org.exmerge.recipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class LayerNamesTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "model.layers.12.mlp.up_proj.weight, 12",
            "model.layers.0.self_attn.q_proj.weight, 0",
            "transformer.h.12.attn.c_attn.weight, 12",
            "model.decoder.layers.7.fc1.weight, 7",
            "blocks.12.norm1.weight, 12",
            "transformer.blocks.3.ffn.up_proj.weight, 3",
            "encoder.layer.5.attention.self.query.weight, 5",
            "encoder.block.2.layer.1.DenseReluDense.wi.weight, 2",  // T5: the block, not its sub-layer
            "model.layers.3.block_sparse_moe.experts.7.w1.weight, 3", // the layer, not the expert
            "model.language_model.layers.30.mlp.gate_proj.weight, 30",
            "model.layers.12, 12",
            "model.embed_tokens.weight, -1",
            "model.norm.weight, -1",
            "lm_head.weight, -1",
            "transformer.wte.weight, -1",
            "model.layers.x.mlp.weight, -1",
            "model.mylayers.3.weight, -1",
            "model.layers.3x.weight, -1",
            "model.layers.9999999999.weight, -1",
    })
    void findsLayerIndex(String name, int index) {
        assertThat(LayerNames.layerIndex(name)).isEqualTo(index);
    }

    @ParameterizedTest(name = "{0} as {1}")
    @CsvSource({
            "model.layers.12.mlp.up_proj.weight, 3, model.layers.3.mlp.up_proj.weight",
            "model.layers.3.mlp.up_proj.weight, 40, model.layers.40.mlp.up_proj.weight",
            "transformer.h.0.attn.c_attn.weight, 11, transformer.h.11.attn.c_attn.weight",
            "model.decoder.layers.7.fc1.weight, 0, model.decoder.layers.0.fc1.weight",
            "blocks.12.norm1.weight, 120, blocks.120.norm1.weight",
            "model.layers.3.block_sparse_moe.experts.7.w1.weight, 5, model.layers.5.block_sparse_moe.experts.7.w1.weight",
    })
    void renumbersLayer(String name, int newIndex, String expected) {
        assertThat(LayerNames.withLayerIndex(name, newIndex)).isEqualTo(expected);
        assertThat(LayerNames.layerIndex(expected)).isEqualTo(newIndex);
    }

    @Test
    void renumberingANonLayerTensorIsAnError() {
        assertThatThrownBy(() -> LayerNames.withLayerIndex("lm_head.weight", 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LayerNames.withLayerIndex("model.layers.2.mlp.weight", -1)).isInstanceOf(IllegalArgumentException.class);
    }
}
