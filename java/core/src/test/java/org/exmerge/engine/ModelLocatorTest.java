package org.exmerge.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.exmerge.Exmerge;
import org.exmerge.MergeOptions;
import org.exmerge.format.DType;
import org.exmerge.testing.TestModels;
import org.exmerge.testing.TestModels.T;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Model names as mergekit reads them: a local path first, else a hub repository at a revision, here from the Hugging Face cache. */
class ModelLocatorTest {
    private static final String MAIN = "0123456789abcdef0123456789abcdef01234567";
    private static final String V2 = "89abcdef0123456789abcdef0123456789abcdef";

    @TempDir
    static Path dir;
    static Path cache;
    static Path repo;

    @BeforeAll
    static void layout() throws IOException {
        for (int m = 1; m <= 2; m++) {
            TestModels.write(dir.resolve("local/sft" + m), new T("w", DType.BF16, new long[] {4, 8}, TestModels.random(m, 32, 0.02f)));
        }
        cache = dir.resolve("hub");
        repo = cache.resolve("models--org--tiny");
        snapshot(MAIN, dir.resolve("local/sft1"));
        snapshot(V2, dir.resolve("local/sft2"));
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), MAIN); // huggingface_hub writes the commit without a newline
        Files.writeString(repo.resolve("refs/v2"), V2 + "\n");
    }

    /** A snapshot as huggingface_hub lays it out: each file a link to its blob. */
    private static void snapshot(String commit, Path model) throws IOException {
        Path snap = Files.createDirectories(repo.resolve("snapshots").resolve(commit));
        Path blobs = Files.createDirectories(repo.resolve("blobs"));
        try (Stream<Path> files = Files.list(model)) {
            for (Path f : files.toList()) {
                Path blob = blobs.resolve(commit.substring(0, 8) + "-" + f.getFileName());
                Files.copy(f, blob);
                Files.createSymbolicLink(snap.resolve(f.getFileName()), snap.relativize(blob));
            }
        }
    }

    private static ModelLocator locator() {
        return new ModelLocator(dir.resolve("local"), cache);
    }

    @Test
    void aLocalPathComesFirstAndItsRevisionHasNoEffect() throws Exception {
        assertThat(locator().locate("model", "sft1")).isEqualTo(dir.resolve("local/sft1").toAbsolutePath());
        assertThat(locator().locate("model", "sft1@v2")).isEqualTo(dir.resolve("local/sft1").toAbsolutePath());
    }

    @Test
    void aHubNameIsTheCachedSnapshotOfItsRevision() throws Exception {
        assertThat(locator().locate("model", "org/tiny")).isEqualTo(repo.resolve("snapshots").resolve(MAIN));
        assertThat(locator().locate("model", "org/tiny@main")).isEqualTo(repo.resolve("snapshots").resolve(MAIN));
        assertThat(locator().locate("model", "org/tiny@v2")).isEqualTo(repo.resolve("snapshots").resolve(V2));
        assertThat(locator().locate("model", "org/tiny@" + V2)).isEqualTo(repo.resolve("snapshots").resolve(V2));
    }

    @Test
    void aRevisionTheCacheLacksIsRefusedWithWhatItHas() {
        assertThatThrownBy(() -> locator().locate("model", "org/tiny@v3"))
                .isInstanceOf(PlanException.class)
                .hasMessageStartingWith("model 'org/tiny@v3': the Hugging Face cache " + repo + " has no snapshot of revision 'v3'")
                .hasMessageContaining("refs main, v2; snapshots " + MAIN + ", " + V2);
        assertThatThrownBy(() -> locator().locate("model", "org/tiny@../../x")).isInstanceOf(PlanException.class)
                .hasMessageContaining("is not a branch, tag or commit name");
    }

    @Test
    void aNameNeitherHoldsSaysWhereItLooked() {
        assertThatThrownBy(() -> locator().locate("LoRA adapter", "org/other"))
                .isInstanceOf(PlanException.class)
                .hasMessageStartingWith("LoRA adapter 'org/other': no such file or directory: " + dir.resolve("local/org/other")
                        + ", and the Hugging Face cache " + cache + " has no models--org--other")
                .hasMessageContaining("downloads nothing");
        // Not a repository id: only the local path is looked at.
        assertThatThrownBy(() -> locator().locate("model", "../tiny")).hasMessageNotContaining("Hugging Face cache " + cache + " has");
        assertThatThrownBy(() -> new ModelLocator(dir, null).locate("model", "org/tiny")).hasMessageNotContaining("Hugging Face cache " + cache);
    }

    @Test
    void aDirectoryNamedWithAnAtSignIsNamedInTheError() throws IOException {
        Files.createDirectories(dir.resolve("local/ckpt@step5"));
        assertThatThrownBy(() -> locator().locate("model", "ckpt@step5"))
                .hasMessageContaining("a recipe's '@' starts a revision, as in mergekit: rename " + dir.resolve("local/ckpt@step5"));
    }

    @Test
    void theCacheIsWhereHuggingfaceHubKeepsIt() {
        assertThat(ModelLocator.hubCache(Map.of("HF_HUB_CACHE", "/a", "HF_HOME", "/b"), "/h")).isEqualTo(Path.of("/a"));
        assertThat(ModelLocator.hubCache(Map.of("HF_HOME", "/b", "XDG_CACHE_HOME", "/c"), "/h")).isEqualTo(Path.of("/b/hub"));
        assertThat(ModelLocator.hubCache(Map.of("XDG_CACHE_HOME", "/c"), "/h")).isEqualTo(Path.of("/c/huggingface/hub"));
        assertThat(ModelLocator.hubCache(Map.of("HF_HOME", ""), "/h")).isEqualTo(Path.of("/h/.cache/huggingface/hub"));
    }

    @Test
    void aMergeOfHubNamesWritesWhatTheLocalCopiesDo() throws Exception {
        String hub = "merge_method: linear\nmodels:\n  - {model: org/tiny, parameters: {weight: 1}}\n"
                + "  - {model: {model: {path: org/tiny, revision: v2}}, parameters: {weight: 3}}\n";
        String local = hub.replace("{path: org/tiny, revision: v2}", "sft2").replace("org/tiny", "sft1");
        MergeOptions opts = MergeOptions.defaults().withModelsDir(dir.resolve("local")).withHubCache(cache);
        Exmerge.merge(Exmerge.Source.parse(hub, "hub"), dir.resolve("out-hub"), opts, ProgressListener.NONE);
        Exmerge.merge(Exmerge.Source.parse(local, "local"), dir.resolve("out-local"), opts, ProgressListener.NONE);
        assertThat(data(dir.resolve("out-hub/model.safetensors"))).isEqualTo(data(dir.resolve("out-local/model.safetensors")));
    }

    @Test
    void theModelCardListsTheHubModelsForTheHubsModelTree() throws Exception {
        String yaml = "merge_method: task_arithmetic\nbase_model: sft1\nmodels:\n  - {model: org/tiny@v2, parameters: {weight: 1}}\n"
                + "  - {model: sft2, parameters: {weight: 0.5}}\n";
        MergeOptions opts = MergeOptions.defaults().withModelsDir(dir.resolve("local")).withHubCache(cache);
        Exmerge.merge(Exmerge.Source.parse(yaml, "card"), dir.resolve("out-card"), opts, ProgressListener.NONE);
        String card = Files.readString(dir.resolve("out-card/README.md"));
        assertThat(card).startsWith("---\nbase_model:\n- \"org/tiny\"\nbase_model_relation: merge\nlibrary_name: transformers\n")
                .contains("\n# out-card\n")
                .contains("Merged with `task_arithmetic`, with `sft1` as the base.")
                .contains("- [org/tiny](https://huggingface.co/org/tiny)\n- `sft2`\n")
                .contains("```yaml\n" + yaml + "```\n");
        assertThat(Files.readString(dir.resolve("out-card/mergekit_config.yml"))).endsWith("\n" + yaml);
        // the recipe file reads back as the same recipe
        assertThat(org.exmerge.recipe.RecipeReader.parse(Files.readString(dir.resolve("out-card/mergekit_config.yml")), "back"))
                .isEqualTo(org.exmerge.recipe.RecipeReader.parse(yaml, "given"));

        Exmerge.merge(Exmerge.Source.parse(yaml, "card"), dir.resolve("no-card"), opts.withModelCard(false), ProgressListener.NONE);
        assertThat(dir.resolve("no-card/model.safetensors")).exists();
        assertThat(dir.resolve("no-card/README.md")).doesNotExist();
        assertThat(dir.resolve("no-card/mergekit_config.yml")).doesNotExist();
    }

    /** The tensor bytes after the header (whose metadata holds the recipe, which names the models differently). */
    private static byte[] data(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        long header = java.nio.ByteBuffer.wrap(b, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        return java.util.Arrays.copyOfRange(b, 8 + (int) header, b.length);
    }
}
