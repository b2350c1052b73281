package org.exmerge.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
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
    void failuresArriveAsOneHierarchyWithTheirKind(@TempDir Path dir) throws Exception {
        Path recipe = dir.resolve("r.yaml");
        Files.writeString(recipe, "merge_method: linear\nmodels:\n  - model: " + dir.resolve("absent") + "\n");
        assertThat(MergeTool.run(recipe, dir.resolve("out"))).isEqualTo(3);
        Files.writeString(recipe, "merge_method: nonsense\n");
        assertThat(MergeTool.run(recipe, dir.resolve("out"))).isEqualTo(2);
    }
}
