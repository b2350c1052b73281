package org.exmerge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.TensorInfo;
import org.exmerge.recipe.LayerNames;
import org.exmerge.recipe.RecipeReader;
import org.exmerge.testing.Cli;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every recipe in {@code examples/} through the CLI against synthesised demo models, so no
 * example in the repository can rot.
 */
class ExamplesTest {
    static final Path EXAMPLES = Path.of("../../examples");
    /** A chain of recipes for {@code exmerge multi}, which {@code merge} refuses. */
    static final Path MULTI = EXAMPLES.resolve("multi.yaml");

    @TempDir
    static Path dir;
    static Path root;

    /**
     * Models at {@code ROOT/demo/models}, where the examples' relative paths resolve. 4MB gives the
     * same 8 layers as {@code exmerge synth}'s default size, which the slice examples' ranges assume;
     * {@code --lora 8} adds the adapter {@code lora.yaml} applies.
     */
    @BeforeAll
    static void synth() throws IOException {
        root = dir.resolve("root");
        Path models = root.resolve("demo").resolve("models");
        Files.createDirectories(models.getParent());
        Cli.Result r = Cli.run("synth", models.toString(), "--size", "4MB", "--threads", "2", "--lora", "8");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(layerCount(models.resolve("base"))).isEqualTo(8);
    }

    @TestFactory
    Stream<DynamicTest> everyExampleMergesIntoAValidModel() throws IOException {
        List<Path> yamls;
        try (Stream<Path> s = Files.list(EXAMPLES)) {
            yamls = s.filter(p -> p.toString().endsWith(".yaml") && !p.equals(MULTI)).sorted().toList();
        }
        assertThat(yamls).extracting(p -> p.getFileName().toString())
                .contains("slerp.yaml", "nuslerp.yaml", "model_stock.yaml", "karcher.yaml", "frankenmerge.yaml", "exme.yaml")
                .contains("ties.yaml", "ties_paper.yaml", "dare_ties.yaml", "dare_linear.yaml", "breadcrumbs.yaml",
                        "breadcrumbs_ties.yaml", "della.yaml", "della_linear.yaml", "m3.yaml")
                .contains("nearswap.yaml", "multislerp.yaml", "ram.yaml", "ramplus_tl.yaml", "lora.yaml");
        return yamls.stream().map(yaml -> DynamicTest.dynamicTest(yaml.getFileName().toString(), () -> check(yaml)));
    }

    /** The chain example as README runs it: two EXPO intermediates, then a linear merge of them into OUT. */
    @org.junit.jupiter.api.Test
    void theChainExampleRunsWithMulti() throws Exception {
        Path out = dir.resolve("out-multi");
        Path intermediates = dir.resolve("multi-i");
        Cli.Result r = Cli.run("multi", MULTI.toString(), "-I", intermediates.toString(), out.toString(), "--models-dir", root.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(intermediates.resolve("expo-1")).isDirectory();
        assertThat(intermediates.resolve("expo-2")).isDirectory();
        try (Checkpoint c = Checkpoint.open(out)) {
            assertThat(c.metadata()).containsEntry("exmerge.method", "linear");
            assertThat(layerCount(out)).isEqualTo(8);
        }
    }

    static void check(Path yaml) throws Exception {
        Path out = dir.resolve("out-" + yaml.getFileName().toString().replace(".yaml", ""));
        Cli.Result r = Cli.run("merge", yaml.toString(), out.toString(), "--models-dir", root.toString());
        assertThat(r.exit()).as("%s: %s", yaml, r.err()).isZero();
        try (Checkpoint c = Checkpoint.open(out)) {
            assertThat(c.tensors()).as("tensors of %s", yaml).isNotEmpty();
            assertThat(c.metadata()).containsEntry("format", "pt").containsEntry("exmerge.recipe", Files.readString(yaml))
                    .containsEntry("exmerge.method", RecipeReader.parse(Files.readString(yaml), yaml.toString()).mergeMethod());
            // Every layer index from 0 up is present, and config.json counts exactly those layers.
            TreeSet<Integer> layers = new TreeSet<>();
            for (TensorInfo t : c.tensors()) {
                int l = LayerNames.layerIndex(t.name());
                if (l >= 0) {
                    layers.add(l);
                }
            }
            assertThat(layers).hasSize(layers.isEmpty() ? 0 : layers.last() + 1);
            assertThat(layerCount(out)).as("config.json of %s", yaml).isEqualTo(layers.size());
            // The frankenmerge stacks 6 + 6 layers; every other example keeps the demo's 8.
            assertThat(layers.size()).as("layers of %s", yaml).isEqualTo(yaml.endsWith("frankenmerge.yaml") ? 12 : 8);
        }
    }

    static int layerCount(Path model) throws IOException {
        JsonNode config = new ObjectMapper().readTree(model.resolve("config.json").toFile());
        return config.get("num_hidden_layers").asInt();
    }
}
