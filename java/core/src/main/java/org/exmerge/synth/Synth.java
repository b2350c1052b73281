package org.exmerge.synth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import org.exmerge.format.Version;
import org.exmerge.engine.CancelToken;
import org.exmerge.engine.MergeStats;
import org.exmerge.engine.OutputRun;
import org.exmerge.engine.ProgressListener;
import org.exmerge.engine.RunOptions;
import org.exmerge.format.DType;
import org.exmerge.format.TensorSpec;
import org.exmerge.method.TensorMerge;

/**
 * Generates a base model and fine-tuned variants with real safetensors files and Llama shapes.
 * Values are a pure function of (seed, model, tensor, element), so any chunking or thread count
 * writes the same bytes. Base weights are uniform with std 0.02 (norm weights near 1); each
 * fine-tune adds a delta shared by all fine-tunes plus one of its own (std 0.002 each), so task
 * vectors are correlated as real fine-tunes of one base are. A LoRA adapter for the base can come
 * with them ({@link SynthLora}).
 */
public final class Synth {
    static final float BASE_STD = 0.02f;
    static final float DELTA_STD = 0.002f;
    /** The stream of the delta every fine-tune shares; stream 0 is the base, stream i fine-tune i's own. */
    static final int SHARED = -1;

    private Synth() {}

    /** Model directory names written under the output directory. */
    public static List<String> modelNames(int finetunes) {
        List<String> names = new ArrayList<>();
        names.add("base");
        for (int i = 1; i <= finetunes; i++) {
            names.add("sft-" + i);
        }
        return names;
    }

    /** Writes {@code out/base} and {@code out/sft-1..n}; returns one stats entry per model. */
    public static List<MergeStats> write(Path out, LlamaShape shape, DType dtype, int finetunes, long seed,
                                         RunOptions opts, ProgressListener listener, CancelToken cancel) throws IOException {
        return write(out, shape, dtype, finetunes, 0, false, seed, opts, listener, cancel);
    }

    /** As above, and with {@code loraRank} ≥ 1 also {@code out/lora-1} ({@link #write(Path, LlamaShape, DType, int, int, boolean, long, RunOptions, ProgressListener, CancelToken)}). */
    public static List<MergeStats> write(Path out, LlamaShape shape, DType dtype, int finetunes, int loraRank, long seed,
                                         RunOptions opts, ProgressListener listener, CancelToken cancel) throws IOException {
        return write(out, shape, dtype, finetunes, loraRank, false, seed, opts, listener, cancel);
    }

    /**
     * Writes {@code out/base} and {@code out/sft-1..n}; with {@code loraRank} ≥ 1 also {@code out/lora-1},
     * a LoRA adapter of that rank for {@code out/base} ({@link SynthLora}); with {@code target} also
     * {@code out/target} ({@link #writeTarget}). All or nothing: every path is checked before anything
     * is written, and the models are published together once all are complete ({@link StagedModels}),
     * so a failed or cancelled run leaves every model of {@code out} as it was. Returns one stats
     * entry per model.
     */
    public static List<MergeStats> write(Path out, LlamaShape shape, DType dtype, int finetunes, int loraRank, boolean target,
                                         long seed, RunOptions opts, ProgressListener listener, CancelToken cancel) throws IOException {
        if (loraRank != 0) {
            SynthLora.checkRank(shape, loraRank);
        }
        List<TensorSpec> specs = shape.tensors(dtype);
        SequencedMap<String, StagedModels.Model> models = new LinkedHashMap<>();
        List<String> names = modelNames(finetunes);
        for (int m = 0; m < names.size(); m++) {
            int model = m;
            Map<String, String> meta = metadata("seed=" + seed + " model=" + names.get(m));
            models.put(names.get(m), (dir, run, l, c) -> OutputRun.write(dir, specs, (i, parallel) -> generator(specs.get(i), seed, model),
                    i -> { }, meta, d -> writeExtras(d, shape, dtype), run, l, c, "synth", Map::of, 0));
        }
        if (loraRank != 0) {
            String base = out.resolve("base").toString(); // where the adapter's base will be, not where it is written
            models.put(SynthLora.NAME, (dir, run, l, c) -> SynthLora.write(dir, base, shape, loraRank, seed, run, l, c));
        }
        if (target) {
            models.put("target", targetModel(shape, dtype, finetunes, seed));
        }
        return StagedModels.write(out, models, opts, listener, cancel);
    }

    /** How far the target reaches along the fine-tunes' shared delta (more than the fine-tunes' 1). */
    public static final float TARGET_SHARED = 1.8f;

    /** How much of fine-tune i's own delta the target holds: 1 − 0.2·i (0.8, 0.6, …; never negative). */
    public static float targetOwn(int finetune) {
        return Math.max(0f, 1.0f - 0.2f * finetune);
    }

    /**
     * Writes {@code out/target}: a model the fine-tunes point toward but fall short of, for a search's
     * {@code reference:} evaluator. {@code target = base + δ·(1.8·shared + Σ_i (1 − 0.2·i)·own_i)},
     * with the deltas of {@link #write}. Extrapolating fine-tune i by α moves both its parts by
     * (1 + α), so its squared error per element, in units of δ², is
     * {@code (1+α − 1.8)² + (1+α − γ_i)² + Σ_{j≠i} γ_j²}: lowest at {@code 1+α = (1.8 + γ_i)/2},
     * i.e. α = 0.3 for sft-1 and 0.2 for sft-2, with sft-1 the better of the two. Mixing the two
     * extrapolations recovers part of the other's own delta, so β has an interior optimum too.
     */
    public static MergeStats writeTarget(Path out, LlamaShape shape, DType dtype, int finetunes, long seed,
                                         RunOptions opts, ProgressListener listener, CancelToken cancel) throws IOException {
        SequencedMap<String, StagedModels.Model> models = new LinkedHashMap<>();
        models.put("target", targetModel(shape, dtype, finetunes, seed));
        return StagedModels.write(out, models, opts, listener, cancel).getFirst();
    }

    private static StagedModels.Model targetModel(LlamaShape shape, DType dtype, int finetunes, long seed) {
        List<TensorSpec> specs = shape.tensors(dtype);
        Map<String, String> meta = metadata("seed=" + seed + " model=target finetunes=" + finetunes);
        return (dir, run, l, c) -> OutputRun.write(dir, specs, (i, parallel) -> target(specs.get(i), seed, finetunes), i -> { },
                meta, d -> writeExtras(d, shape, dtype), run, l, c, "synth", Map::of, 0);
    }

    /**
     * The header's metadata in one order: a Map.of's iteration order changes from one JVM to the next,
     * and with it the header's bytes, where the same command must write the same files.
     */
    static Map<String, String> metadata(String synth) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", "pt");
        m.put("exmerge.version", Version.VERSION);
        m.put("exmerge.synth", synth);
        return m;
    }

    private static TensorMerge target(TensorSpec spec, long seed, int finetunes) {
        int own = 0;
        while (own < finetunes && targetOwn(own + 1) > 0) {
            own++; // targetOwn falls with i: the fine-tunes past the first zero add nothing
        }
        int[] streams = new int[2 + own];
        float[] scales = new float[2 + own];
        streams[0] = 0;
        scales[0] = BASE_STD;
        streams[1] = SHARED;
        scales[1] = DELTA_STD * TARGET_SHARED;
        for (int m = 1; m <= own; m++) {
            streams[1 + m] = m;
            scales[1 + m] = DELTA_STD * targetOwn(m);
        }
        return new SynthField(spec, seed, streams, scales);
    }

    private static TensorMerge generator(TensorSpec spec, long seed, int model) {
        return model == 0
                ? new SynthField(spec, seed, new int[] {0}, new float[] {BASE_STD})
                : new SynthField(spec, seed, new int[] {0, SHARED, model}, new float[] {BASE_STD, DELTA_STD, DELTA_STD});
    }

    private static void writeExtras(Path dir, LlamaShape shape, DType dtype) throws IOException {
        Files.writeString(dir.resolve("config.json"), shape.configJson(dtype));
        Files.writeString(dir.resolve("generation_config.json"), """
            {"bos_token_id": 1, "eos_token_id": 2, "do_sample": false}
            """);
        Files.writeString(dir.resolve("tokenizer_config.json"), """
            {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "model_max_length": 4096,
             "tokenizer_class": "PreTrainedTokenizerFast"}
            """);
        Files.writeString(dir.resolve("tokenizer.json"), """
            {"version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
             "normalizer": null, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": null, "decoder": null,
             "model": {"type": "WordLevel", "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "hello": 3, "world": 4},
                       "unk_token": "<unk>"}}
            """);
    }
}
