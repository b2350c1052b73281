package org.exmerge.multi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.exmerge.Exmerge;
import org.exmerge.MergeOptions;
import org.exmerge.engine.CancelToken;
import org.exmerge.engine.OutputException;
import org.exmerge.engine.ProgressListener;
import org.exmerge.engine.RunOptions;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.DType;
import org.exmerge.synth.LlamaShape;
import org.exmerge.synth.Synth;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The library's multi entry point: a chain run without the CLI, its decisions, and the order and lock it keeps. */
class MultiRunTest {
    @TempDir
    static Path dir;
    static Path models;
    static final MergeOptions OPTS = MergeOptions.defaults().withRun(RunOptions.defaults().withThreads(1)).withModelCard(false);

    @BeforeAll
    static void synth() throws IOException {
        models = dir.resolve("models");
        Synth.write(models, LlamaShape.forBytes(1_000_000, DType.BF16), DType.BF16, 2, 4, 0, RunOptions.defaults().withThreads(1),
                ProgressListener.NONE, new CancelToken());
    }

    /** expo1 (EXPO of sft-1), then `both`: TIES of expo1 and sft-2 over the base. */
    private static Path config(Path where, double alpha) throws IOException {
        String text = """
                name: both
                merge_method: ties
                base_model: %1$s/base
                models:
                  - model: expo1
                    parameters: {weight: 0.6, density: 0.5}
                  - model: %1$s/sft-2
                    parameters: {weight: 0.4, density: 0.7}
                ---
                name: expo1
                merge_method: expo
                base_model: %1$s/base
                models:
                  - model: %1$s/sft-1
                    parameters: {alpha: %2$s}
                """.formatted(models, alpha);
        Files.createDirectories(where);
        return Files.writeString(where.resolve("chain.yaml"), text);
    }

    private static List<String> run(Path config, Path inter, boolean lazy) throws IOException {
        List<String> seen = new ArrayList<>();
        MultiRun.run(config, inter, null, OPTS, lazy, s -> {
            seen.add(s.chain().doc().name() + ": " + (s.merge() ? "merge" : "skip") + " (" + s.reason() + ")");
            return ProgressListener.NONE;
        });
        return seen;
    }

    @Test
    void runsInDependencyOrderAndReusesWhatIsUpToDate() throws IOException {
        Path work = dir.resolve("order");
        Path config = config(work, 0.3);
        Path inter = work.resolve("inter");
        assertThat(run(config, inter, true)).containsExactly("expo1: merge (not written yet)", "both: merge (not written yet)");
        // The intermediate is exactly what a merge of its own document writes.
        Path direct = work.resolve("direct");
        String expo = Files.readString(config).split("---\n")[1];
        Exmerge.merge(Exmerge.Source.parse(expo, "expo1"), direct, OPTS, ProgressListener.NONE);
        assertThat(tensorBytes(inter.resolve("expo1"))).isEqualTo(tensorBytes(direct));
        try (Checkpoint c = Checkpoint.open(inter.resolve("both"))) {
            assertThat(c.metadata()).containsKey(Intermediates.KEY);
        }

        assertThat(run(config, inter, true)).containsExactly("expo1: skip (up to date)", "both: skip (up to date)");
        assertThat(run(config, inter, false)).containsExactly("expo1: merge (--no-lazy)", "both: merge (an intermediate it reads is redone)");
        config(work, 0.4);
        assertThat(run(config, inter, true))
                .containsExactly("expo1: merge (its recipe or inputs changed)", "both: merge (an intermediate it reads is redone)");
    }

    @Test
    void mergesOnlyInOrderAndOnlyWhenOpenedToMerge() throws IOException {
        Path work = dir.resolve("misuse");
        Path config = config(work, 0.3);
        Path inter = work.resolve("inter");
        try (MultiRun plan = MultiRun.open(config, inter, null, OPTS, true, false)) {
            assertThat(plan.steps()).extracting(s -> s.chain().doc().name()).containsExactly("expo1", "both");
            assertThat(plan.steps().get(1).planned()).as("reads an intermediate not written yet").isFalse();
            assertThatThrownBy(() -> plan.merge(plan.steps().getFirst(), ProgressListener.NONE)).isInstanceOf(IllegalStateException.class);
        }
        assertThat(inter).as("planning writes nothing").doesNotExist();
        try (MultiRun chain = MultiRun.open(config, inter, null, OPTS, true, true)) {
            assertThatThrownBy(() -> chain.merge(chain.steps().get(1), ProgressListener.NONE))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("both");
            assertThatThrownBy(() -> MultiRun.open(config, inter, null, OPTS, true, true))
                    .isInstanceOf(OutputException.class).hasMessageContaining("another exmerge multi");
            chain.merge(chain.steps().getFirst(), ProgressListener.NONE);
            chain.merge(chain.steps().get(1), ProgressListener.NONE);
        }
        assertThat(inter.resolve("both/model.safetensors")).exists();
    }

    @Test
    void aUsersDirectoryUnderAnIntermediatesNameIsNeverReplaced() throws IOException {
        Path work = dir.resolve("foreign");
        Path config = config(work, 0.3);
        Path inter = work.resolve("inter");
        Path mine = Files.createDirectories(inter.resolve("expo1")).resolve("notes.txt");
        Files.writeString(mine, "mine");
        assertThatThrownBy(() -> run(config, inter, true)).isInstanceOf(DocumentException.class)
                .hasMessageContaining("expo1").hasMessageContaining("never replaced");
        assertThat(Files.readString(mine)).isEqualTo("mine");
        assertThat(inter.resolve("both")).doesNotExist();
    }

    /** expo1 of a model given as a recipe names it (a path, or BASE+ADAPTER). */
    private static Path expoOf(Path where, String model) throws IOException {
        Files.createDirectories(where);
        return Files.writeString(where.resolve("expo.yaml"), """
                name: expo1
                merge_method: expo
                base_model: %1$s/base
                models:
                  - model: %2$s
                    parameters: {alpha: 0.3}
                """.formatted(models, model));
    }

    @Test
    void aChangedAdapterConfigRedoesTheMerge() throws IOException {
        Path work = dir.resolve("adapter");
        Path adapter = work.resolve("lora");
        copy(models.resolve("lora-1"), adapter);
        Path config = expoOf(work, models.resolve("sft-1") + "+" + adapter);
        Path inter = work.resolve("inter");
        assertThat(run(config, inter, true)).containsExactly("expo1: merge (not written yet)");
        assertThat(run(config, inter, true)).containsExactly("expo1: skip (up to date)");
        Path cfg = adapter.resolve("adapter_config.json");
        String text = Files.readString(cfg);
        assertThat(text).contains("\"lora_alpha\"");
        Files.writeString(cfg, text.replaceFirst("\"lora_alpha\": *[0-9.]+", "\"lora_alpha\": 1"));
        assertThat(run(config, inter, true)).containsExactly("expo1: merge (its recipe or inputs changed)");
    }

    /** Bytes rewritten where the sampled stamp does not look (mid-file, same size) still redo the merge: the file's time changed. */
    @Test
    void aChangeOutsideTheSampledBytesRedoesTheMerge() throws IOException {
        Path work = dir.resolve("unsampled");
        Path model = work.resolve("sft");
        copy(models.resolve("sft-1"), model);
        Path config = expoOf(work, model.toString());
        Path inter = work.resolve("inter");
        assertThat(run(config, inter, true)).containsExactly("expo1: merge (not written yet)");
        Path weights = model.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(weights);
        int at = 64 * 1024 + (bytes.length - 64 * 1024) / 64 / 2; // between the first two sampled blocks
        bytes[at] ^= 1;
        java.nio.file.attribute.FileTime before = Files.getLastModifiedTime(weights);
        Files.write(weights, bytes);
        Files.setLastModifiedTime(weights, java.nio.file.attribute.FileTime.fromMillis(before.toMillis() + 2000));
        assertThat(run(config, inter, true)).containsExactly("expo1: merge (its recipe or inputs changed)");
    }

    @Test
    void outAsTheIntermediateDirectoryIsNamedAsSuch() throws IOException {
        Path work = dir.resolve("same");
        Path config = expoOf(work, models.resolve("sft-1").toString());
        Files.writeString(config, Files.readString(config).replace("name: expo1\n", ""));
        Path inter = work.resolve("inter");
        assertThatThrownBy(() -> MultiRun.open(config, inter, inter, OPTS, true, false))
                .isInstanceOf(org.exmerge.error.UsageException.class).hasMessageContaining("is the intermediate directory");
        assertThatThrownBy(() -> MultiRun.open(config, inter.resolve("x"), inter, OPTS, true, false))
                .hasMessageContaining("holds the intermediate directory");
    }

    private static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }

    private static byte[] tensorBytes(Path model) throws IOException {
        try (Checkpoint c = Checkpoint.open(model)) {
            var out = new java.io.ByteArrayOutputStream();
            for (var t : c.tensors()) {
                out.write(t.name().getBytes());
                out.write(c.data(t.name()).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            }
            return out.toByteArray();
        }
    }
}
