package org.exmerge.synth;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.exmerge.engine.AdapterOutput;
import org.exmerge.engine.CancelToken;
import org.exmerge.engine.MergeStats;
import org.exmerge.engine.ProgressListener;
import org.exmerge.engine.RunOptions;
import org.exmerge.format.DType;
import org.exmerge.format.TensorSpec;
import org.exmerge.text.Plain;

/**
 * A PEFT LoRA adapter for synth's base model, as peft saves one: {@code adapter_config.json} and
 * {@code adapter_model.safetensors} with a {@code lora_A} [r × in] and {@code lora_B} [out × r] for
 * every linear weight of every layer. It is trained on the base, so {@code base+adapter} is a third
 * fine-tune of the base that every base-relative method can merge beside the others; its task vector,
 * {@code (alpha/r)·B·A}, has the per-element size of a fine-tune's (δ·√2: the shared and the own
 * delta). A is uniform on ±1/√in (peft's initialisation, which training barely moves) and B is sized
 * to give that. Values are float32, as peft keeps adapters of a bf16 model by default, and a pure
 * function of (seed, tensor, element) as the models' are.
 */
public final class SynthLora {
    /** The adapter's directory under synth's output. */
    public static final String NAME = "lora-1";
    /** Its values' stream; its tensor names differ from the models' too, but a stream of its own keeps that from mattering. */
    static final int STREAM = -2;
    /** {@code lora_alpha = 2r}: scaling 2, the usual choice (r=16, alpha=32). */
    static final int ALPHA_PER_RANK = 2;
    static final String CONFIG = AdapterOutput.CONFIG;
    static final String WEIGHTS = AdapterOutput.WEIGHTS;
    /** The linear modules of a Llama layer, as peft names them in target_modules. */
    static final List<String> MODULES = List.of("mlp.down_proj", "mlp.gate_proj", "mlp.up_proj", "self_attn.k_proj",
            "self_attn.o_proj", "self_attn.q_proj", "self_attn.v_proj");
    private static final String PREFIX = "base_model.model.";

    private SynthLora() {}

    /**
     * The largest rank that fits: the smallest dimension of the adapted weights (k_proj's and v_proj's
     * rows). A rank beyond it adds no rank to that weight's delta, only parameters.
     */
    public static int maxRank(LlamaShape shape) {
        long kv = (long) shape.kvHeads() * shape.headDim();
        return (int) Math.min(kv, Math.min(shape.hidden(), shape.intermediate()));
    }

    /** The adapter's tensors in name order: {@code lora_A [r × in]} and {@code lora_B [out × r]} of each weight {@code [out, in]}. */
    public static List<TensorSpec> tensors(LlamaShape shape, int r) {
        return factors(shape, r).stream().map(Factor::spec).toList();
    }

    /** A tensor of the adapter and the spread of its values. */
    private record Factor(TensorSpec spec, float std) {}

    private static List<Factor> factors(LlamaShape shape, int r) {
        checkRank(shape, r);
        List<Factor> t = new ArrayList<>();
        for (TensorSpec w : shape.tensors(DType.F32)) {
            String module = module(w.name());
            if (module != null) {
                long[] s = w.shape();
                t.add(new Factor(new TensorSpec(PREFIX + module + ".lora_A.weight", DType.F32, new long[] {r, s[1]}), aStd(s[1])));
                t.add(new Factor(new TensorSpec(PREFIX + module + ".lora_B.weight", DType.F32, new long[] {s[0], r}), bStd(s[1], r)));
            }
        }
        t.sort((a, b) -> a.spec().name().compareTo(b.spec().name())); // safetensors' order for tensors of one dtype
        return t;
    }

    static void checkRank(LlamaShape shape, int r) {
        if (r < 1 || r > maxRank(shape)) {
            throw new IllegalArgumentException("LoRA rank must be between 1 and " + maxRank(shape)
                    + " (the smallest dimension of the adapted weights), not " + r);
        }
    }

    /** {@code model.layers.N.<linear>} for a linear weight's name, else null. */
    private static String module(String weight) {
        for (String m : MODULES) {
            if (weight.startsWith("model.layers.") && weight.endsWith("." + m + ".weight")) {
                return weight.substring(0, weight.length() - ".weight".length());
            }
        }
        return null;
    }

    /** The spread of {@code lora_A} values: peft's kaiming-uniform bound 1/√in, standard deviation 1/√(3·in). */
    static float aStd(long in) {
        return (float) (1.0 / Math.sqrt(3.0 * in));
    }

    /** The spread of {@code lora_B} that makes {@code scaling·B·A} vary as a fine-tune's delta: s·√r·σ_A·σ_B = δ·√2. */
    static float bStd(long in, int r) {
        return (float) (Synth.DELTA_STD * Math.sqrt(2.0) / (ALPHA_PER_RANK * Math.sqrt(r) * aStd(in)));
    }

    /**
     * Writes the adapter at {@code out} (where synth stages {@code OUT/lora-1}) for the base model at
     * {@code base}, in one file whatever the shard size, since peft reads no sharded adapter; the
     * caller has checked the target.
     */
    static MergeStats write(Path out, String base, LlamaShape shape, int r, long seed, RunOptions opts,
                            ProgressListener listener, CancelToken cancel) throws IOException {
        List<Factor> factors = factors(shape, r);
        List<TensorSpec> specs = factors.stream().map(Factor::spec).toList();
        Map<String, String> meta = Synth.metadata("seed=" + seed + " model=" + NAME + " r=" + r);
        return AdapterOutput.write(out, specs, (i, parallel) -> new SynthField(specs.get(i), seed, new int[] {STREAM},
                new float[] {factors.get(i).std()}), i -> { }, meta, () -> configJson(base, r), null, opts, listener, cancel, "synth",
                Map::of, 0);
    }

    /**
     * The config as peft writes it ({@code json.dumps(indent=2, sort_keys=True)}), with the keys every
     * peft since 0.10 reads: the ones later versions added would make older ones refuse the file.
     */
    static String configJson(String base, int r) {
        String path;
        try {
            path = new ObjectMapper().writeValueAsString(base);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
        return Plain.format("""
            {
              "alpha_pattern": {},
              "auto_mapping": null,
              "base_model_name_or_path": %s,
              "bias": "none",
              "fan_in_fan_out": false,
              "inference_mode": true,
              "init_lora_weights": true,
              "layer_replication": null,
              "layers_pattern": null,
              "layers_to_transform": null,
              "loftq_config": {},
              "lora_alpha": %d,
              "lora_dropout": 0.0,
              "megatron_config": null,
              "megatron_core": "megatron.core",
              "modules_to_save": null,
              "peft_type": "LORA",
              "r": %d,
              "rank_pattern": {},
              "revision": null,
              "target_modules": [
                "down_proj",
                "gate_proj",
                "k_proj",
                "o_proj",
                "q_proj",
                "up_proj",
                "v_proj"
              ],
              "task_type": "CAUSAL_LM",
              "use_dora": false,
              "use_rslora": false
            }""", path, ALPHA_PER_RANK * r, r);
    }
}
