package org.exmerge.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.exmerge.MergeOptions;
import org.exmerge.kernel.Backends;
import org.exmerge.testing.EngineRuns;
import org.exmerge.testing.InputChanges;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Merges of PyTorch checkpoints written by torch (format/torch/merge: base a ZIP file, sft1 the legacy
 * format with float storages at odd offsets, sft2 two shards with a transposed tensor) write the
 * bytes the same recipe writes from their safetensors twins (format/torch/merge-st), on every
 * backend this build has: unaligned and copied inputs read as any other.
 */
class TorchInputMergeTest {
    private static final String LINEAR = """
        merge_method: linear
        models:
          - {model: base, parameters: {weight: 0.5}}
          - {model: sft1, parameters: {weight: 0.3}}
          - {model: sft2, parameters: {weight: 0.2}}
        """;
    private static final String TASK_ARITHMETIC = """
        merge_method: task_arithmetic
        base_model: base
        models:
          - {model: sft1, parameters: {weight: 0.7}}
          - {model: sft2, parameters: {weight: 0.5}}
        dtype: float32
        """;

    @TempDir
    Path dir;

    private static Path fixtures(String name) {
        try {
            return Path.of(TorchInputMergeTest.class.getResource("/org/exmerge/format/torch/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {LINEAR, TASK_ARITHMETIC, InputChanges.TIES, InputChanges.EXME})
    void torchInputsMergeToTheBytesOfTheirSafetensorsTwins(String recipe) throws Exception {
        List<String> backends = new ArrayList<>(List.of("java"));
        if (Backends.available().contains("native")) {
            backends.add("native");
        }
        for (String backend : backends) {
            for (long chunk : new long[] {1000, 4 << 20}) {
                String tag = backend + "-" + chunk;
                byte[] torch = merge(fixtures("merge"), recipe, backend, chunk, "bin-" + tag);
                byte[] twin = merge(fixtures("merge-st"), recipe, backend, chunk, "st-" + tag);
                assertThat(torch).as("%s, chunks of %d bytes", backend, chunk).isEqualTo(twin);
            }
        }
    }

    private byte[] merge(Path models, String recipe, String backend, long chunk, String out) throws Exception {
        MergeOptions o = EngineRuns.opts(models, 2, chunk).withBackend(backend);
        Path p = dir.resolve(out);
        org.exmerge.Exmerge.merge(org.exmerge.Exmerge.Source.parse(recipe, "recipe"), p, o, ProgressListener.NONE);
        return Files.readAllBytes(p.resolve("model.safetensors"));
    }
}
