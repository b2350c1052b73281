package org.exmerge.synth;

import java.util.ArrayList;
import java.util.List;
import org.exmerge.format.DType;
import org.exmerge.format.TensorSpec;
import org.exmerge.text.Plain;

/**
 * A Llama-architecture layout (HF tensor names and shapes, grouped-query attention) sized to a
 * byte budget, so tests and benchmarks see real names, real shapes and real tensor-size mixes.
 */
public record LlamaShape(int vocab, int hidden, int intermediate, int layers, int heads, int kvHeads) {

    public LlamaShape {
        if (vocab < 1 || hidden < 1 || intermediate < 1 || layers < 1 || heads < 1 || kvHeads < 1
                || hidden % heads != 0 || heads % kvHeads != 0) {
            throw new IllegalArgumentException("inconsistent Llama shape: " + this);
        }
    }

    /** The shape whose parameter count in {@code dtype} comes closest to {@code bytes}. */
    public static LlamaShape forBytes(long bytes, DType dtype) {
        long params = Math.max(1, bytes / dtype.size());
        // A ladder of real-world widths; the layer count absorbs the rest of the budget.
        int[][] ladder = {
            {2048, 128, 344, 2, 1}, {4096, 256, 688, 4, 2}, {8192, 512, 1408, 8, 2},
            {32000, 1024, 2816, 16, 4}, {32000, 2048, 5632, 16, 4}, {32000, 4096, 11008, 32, 8}};
        int[] pick = ladder[0];
        for (int[] row : ladder) {
            LlamaShape one = new LlamaShape(row[0], row[1], row[2], 1, row[3], row[4]);
            if (one.embeddingParams() + 2 * one.layerParams() <= params) {
                pick = row;
            }
        }
        LlamaShape one = new LlamaShape(pick[0], pick[1], pick[2], 1, pick[3], pick[4]);
        long layers = Math.max(1, Math.round((double) (params - one.embeddingParams()) / one.layerParams()));
        return new LlamaShape(pick[0], pick[1], pick[2], (int) Math.min(layers, 1000), pick[3], pick[4]);
    }

    int headDim() {
        return hidden / heads;
    }

    long embeddingParams() {
        return 2L * vocab * hidden + hidden;
    }

    long layerParams() {
        long kv = (long) kvHeads * headDim();
        return 2L * hidden * hidden + 2L * kv * hidden + 3L * hidden * intermediate + 2L * hidden;
    }

    public long params() {
        return embeddingParams() + layers * layerParams();
    }

    /** Tensors in name order, as writers store them. */
    public List<TensorSpec> tensors(DType dtype) {
        long kv = (long) kvHeads * headDim();
        List<TensorSpec> t = new ArrayList<>();
        t.add(new TensorSpec("lm_head.weight", dtype, new long[] {vocab, hidden}));
        t.add(new TensorSpec("model.embed_tokens.weight", dtype, new long[] {vocab, hidden}));
        for (int i = 0; i < layers; i++) {
            String p = "model.layers." + i + ".";
            t.add(new TensorSpec(p + "input_layernorm.weight", dtype, new long[] {hidden}));
            t.add(new TensorSpec(p + "mlp.down_proj.weight", dtype, new long[] {hidden, intermediate}));
            t.add(new TensorSpec(p + "mlp.gate_proj.weight", dtype, new long[] {intermediate, hidden}));
            t.add(new TensorSpec(p + "mlp.up_proj.weight", dtype, new long[] {intermediate, hidden}));
            t.add(new TensorSpec(p + "post_attention_layernorm.weight", dtype, new long[] {hidden}));
            t.add(new TensorSpec(p + "self_attn.k_proj.weight", dtype, new long[] {kv, hidden}));
            t.add(new TensorSpec(p + "self_attn.o_proj.weight", dtype, new long[] {hidden, hidden}));
            t.add(new TensorSpec(p + "self_attn.q_proj.weight", dtype, new long[] {hidden, hidden}));
            t.add(new TensorSpec(p + "self_attn.v_proj.weight", dtype, new long[] {kv, hidden}));
        }
        t.add(new TensorSpec("model.norm.weight", dtype, new long[] {hidden}));
        t.sort((a, b) -> a.name().compareTo(b.name()));
        return t;
    }

    /** A HF config.json for this shape. */
    public String configJson(DType dtype) {
        return Plain.format("""
            {
              "architectures": ["LlamaForCausalLM"],
              "model_type": "llama",
              "vocab_size": %d,
              "hidden_size": %d,
              "intermediate_size": %d,
              "num_hidden_layers": %d,
              "num_attention_heads": %d,
              "num_key_value_heads": %d,
              "max_position_embeddings": 4096,
              "rms_norm_eps": 1e-05,
              "rope_theta": 10000.0,
              "hidden_act": "silu",
              "tie_word_embeddings": false,
              "bos_token_id": 1,
              "eos_token_id": 2,
              "torch_dtype": "%s"
            }
            """, vocab, hidden, intermediate, layers, heads, kvHeads,
                dtype == DType.BF16 ? "bfloat16" : dtype == DType.F16 ? "float16" : "float32");
    }
}
