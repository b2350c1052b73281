package org.exmerge.search;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.exmerge.MergeOptions;
import org.exmerge.engine.CancelToken;
import org.exmerge.engine.ProgressListener;
import org.exmerge.engine.RunOptions;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.DType;
import org.exmerge.format.TensorInfo;
import org.exmerge.synth.LlamaShape;
import org.exmerge.synth.Synth;
import org.exmerge.testing.LoraAdapters;
import org.exmerge.testing.TestModels;
import org.exmerge.testing.TestModels.T;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An ExMe search whose checkpoints include a model with a LoRA adapter ({@code model+adapter}): it
 * cannot be scored as a directory, so stage 1 merges it (passthrough) first, and every later recipe
 * names it with both sides absolute.
 */
class SearchLoraTest {
    @TempDir
    Path dir;

    @Test
    void anAdaptedCheckpointIsAppliedThenScored() throws Exception {
        Path models = dir.resolve("models");
        LlamaShape shape = LlamaShape.forBytes(1_000_000, DType.BF16);
        RunOptions run = RunOptions.defaults().withThreads(2);
        Synth.write(models, shape, DType.BF16, 2, 0, run, ProgressListener.NONE, new CancelToken());
        Synth.writeTarget(models, shape, DType.BF16, 2, 0, run, ProgressListener.NONE, new CancelToken());
        String q = "model.layers.0.self_attn.q_proj";
        long[] w;
        try (Checkpoint c = Checkpoint.open(models.resolve("sft-1"))) {
            TensorInfo t = c.tensor(q + ".weight");
            w = t.shape();
        }
        Path lora = dir.resolve("lora");
        LoraAdapters.write(lora, "\"r\": 2, \"lora_alpha\": 4",
                new T(q + ".lora_A.weight", DType.F32, new long[] {2, w[1]}, TestModels.random(1, (int) (2 * w[1]), 0.5f)),
                new T(q + ".lora_B.weight", DType.F32, new long[] {w[0], 2}, TestModels.random(2, (int) (2 * w[0]), 0.5f)));
        Path adapted = Path.of(models.resolve("sft-1") + "+" + lora);

        ExmeSearch s = new ExmeSearch(models.resolve("base"), List.of(models.resolve("sft-1"), adapted), List.of(0.2),
                List.of(0.5), 2);
        MergeOptions m = MergeOptions.defaults().withRun(run).withCancel(new CancelToken());
        SearchOutcome r = s.run(new SearchOptions(dir.resolve("work"), new ReferenceEvaluator(models.resolve("target"), null), 1, false,
                false, null, m), SearchListener.NONE);

        assertThat(r.failures()).isEmpty();
        Map<String, Result> sft = r.stages().get(ExmeSearch.SFT).stream().collect(Collectors.toMap(x -> x.candidate().label(), x -> x));
        assertThat(sft).containsOnlyKeys("sft-1", "sft-1+lora");
        Result a = sft.get("sft-1+lora");
        assertThat(a.candidate().recipe()).contains("merge_method: passthrough").contains(adapted.toString());
        assertThat(a.score()).isNotNull();
        assertThat(a.score().score()).isNotEqualTo(sft.get("sft-1").score().score()); // the adapter changed the model
        assertThat(r.stages().get(ExmeSearch.EXPO)).anySatisfy(x -> assertThat(x.candidate().recipe())
                .contains("model: \"" + adapted + "\"").contains("merge_method: expo"));
        assertThat(Files.readString(dir.resolve("work/search.json"))).contains(adapted.toString());
    }
}
