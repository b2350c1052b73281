package org.exmerge.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.exmerge.Exmerge;
import org.exmerge.MergeOptions;
import org.exmerge.engine.CancelToken;
import org.exmerge.engine.ProgressListener;
import org.exmerge.engine.RunOptions;
import org.exmerge.format.DType;
import org.exmerge.synth.LlamaShape;
import org.exmerge.synth.Synth;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MergeToolTest {
    @Test
    void theLibraryMergesWithNoCliLibraryOnTheClassPath(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> Class.forName("picocli.CommandLine")).isInstanceOf(ClassNotFoundException.class);
        assertThatThrownBy(() -> Class.forName("me.tongfei.progressbar.ProgressBar")).isInstanceOf(ClassNotFoundException.class);
        assertThatThrownBy(() -> Class.forName("org.exmerge.cli.Main")).isInstanceOf(ClassNotFoundException.class);

        Synth.write(dir.resolve("m"), LlamaShape.forBytes(2_000_000, DType.BF16), DType.BF16, 2, 7,
                RunOptions.defaults(), ProgressListener.NONE, new CancelToken());
        Path recipe = dir.resolve("r.yaml");
        Files.writeString(recipe, """
                merge_method: exme
                base_model: %1$s/base
                models:
                  - model: %1$s/sft-1
                    parameters: {alpha: 0.5}
                  - model: %1$s/sft-2
                    parameters: {alpha: 0.1}
                parameters: {beta: 0.3}
                """.formatted(dir.resolve("m")));
        assertThat(MergeTool.run(recipe, dir.resolve("out"))).isZero();
        assertThat(dir.resolve("out/model.safetensors")).isRegularFile();
    }

    @Test
    void severalMergesRunAtOnceInOneJvmAndWriteWhatEachWritesAlone(@TempDir Path dir) throws Exception {
        Synth.write(dir.resolve("m"), LlamaShape.forBytes(2_000_000, DType.BF16), DType.BF16, 2, 3,
                RunOptions.defaults(), ProgressListener.NONE, new CancelToken());
        List<String> recipes = List.of(
                "merge_method: linear\nmodels: [{model: %1$s/sft-1}, {model: %1$s/sft-2}]\n",
                "merge_method: ties\nbase_model: %1$s/base\nmodels: [{model: %1$s/sft-1, parameters: {density: 0.3}}, {model: %1$s/sft-2, parameters: {density: 0.5}}]\n",
                "merge_method: exme\nbase_model: %1$s/base\nmodels: [{model: %1$s/sft-1, parameters: {alpha: 0.3}}, {model: %1$s/sft-2, parameters: {alpha: 0.2}}]\nparameters: {beta: 0.6}\n");
        List<Exmerge.Source> sources = new ArrayList<>();
        for (String r : recipes) {
            sources.add(Exmerge.Source.parse(r.formatted(dir.resolve("m")), "recipe"));
        }
        for (int i = 0; i < sources.size(); i++) {
            Exmerge.merge(sources.get(i), dir.resolve("alone-" + i), MergeOptions.defaults(), ProgressListener.NONE);
        }
        try (ExecutorService pool = Executors.newFixedThreadPool(sources.size())) {
            List<Future<?>> running = new ArrayList<>();
            for (int i = 0; i < sources.size(); i++) {
                int k = i;
                running.add(pool.submit(() -> Exmerge.merge(sources.get(k), dir.resolve("together-" + k),
                        MergeOptions.defaults(), ProgressListener.NONE)));
            }
            for (Future<?> f : running) {
                f.get();
            }
        }
        for (int i = 0; i < sources.size(); i++) {
            assertThat(Files.mismatch(dir.resolve("alone-" + i + "/model.safetensors"), dir.resolve("together-" + i + "/model.safetensors")))
                    .as("recipe %d", i).isEqualTo(-1L);
        }
    }

    @Test
    void failuresArriveAsOneHierarchyWithTheirKind(@TempDir Path dir) throws Exception {
        Path recipe = dir.resolve("r.yaml");
        Files.writeString(recipe, "merge_method: linear\nmodels:\n  - model: " + dir.resolve("absent") + "\n");
        assertThat(MergeTool.run(recipe, dir.resolve("out"))).isEqualTo(3);
        Files.writeString(recipe, "merge_method: nonsense\n");
        assertThat(MergeTool.run(recipe, dir.resolve("out"))).isEqualTo(2);
    }
}
