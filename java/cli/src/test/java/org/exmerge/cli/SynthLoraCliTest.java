package org.exmerge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.exmerge.testing.Cli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code synth --lora R}: the adapter beside the models, a rank that does not fit refused in one line, --overwrite as for models. */
class SynthLoraCliTest {
    @TempDir
    Path dir;

    @Test
    void loraWritesAnAdapterThatAMergeApplies() throws Exception {
        Path models = dir.resolve("models");
        Cli.Result r = Cli.run("synth", models.toString(), "--size", "1MB", "--finetunes", "1", "--lora", "4", "--no-sync");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(models.resolve("lora-1/adapter_config.json")).exists();
        assertThat(models.resolve("lora-1/adapter_model.safetensors")).exists();
        Path recipe = Files.writeString(dir.resolve("r.yaml"), """
                merge_method: task_arithmetic
                base_model: models/base
                models:
                  - model: models/sft-1
                    parameters: {weight: 0.5}
                  - model: models/base+models/lora-1
                    parameters: {weight: 0.5}
                """);
        Cli.Result plan = Cli.run("merge", recipe.toString(), dir.resolve("out").toString(), "--models-dir", dir.toString(), "--dry-run");
        assertThat(plan.exit()).as(plan.err()).isZero();
        assertThat(plan.out()).contains("model models/base+models/lora-1: LoRA adapter " + models.resolve("lora-1")
                + ", 7 tensors, r=4, alpha=8");
        // inspect reads an adapter directory as the adapter's weights and settings.
        Cli.Result table = Cli.run("inspect", models.resolve("lora-1").toString(), "--summary");
        assertThat(table.exit()).as(table.err()).isZero();
        assertThat(table.out()).contains("adapter_model.safetensors: 14 tensors")
                .contains("  LoRA adapter (adapter_config.json): r=4, lora_alpha=8\n");
        Cli.Result json = Cli.run("inspect", models.resolve("lora-1").toString(), "--json");
        assertThat(json.exit()).as(json.err()).isZero();
        assertThat(json.out()).contains("\"lora\":{\"config\":").contains("\"r\":4,\"lora_alpha\":8.0,\"use_rslora\":false");
    }

    /** Two JVMs, each with its own Map.of order: the same command still writes the same bytes, headers too. */
    @Test
    void theSameCommandWritesTheSameFilesInAnotherProcess() throws Exception {
        List<Path> runs = List.of(dir.resolve("one"), dir.resolve("two"));
        for (Path cwd : runs) {
            Files.createDirectories(cwd);
            Process p = Cli.child(List.of(), "synth", "m", "--size", "1MB", "--finetunes", "1", "--lora", "2", "--seed", "5", "--no-sync")
                    .directory(cwd.toFile()).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String log = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor()).as(log).isZero();
        }
        List<Path> files;
        try (Stream<Path> s = Files.walk(runs.get(0))) {
            files = s.filter(Files::isRegularFile).map(runs.get(0)::relativize).sorted().toList();
        }
        assertThat(files).hasSize(12).contains(Path.of("m/lora-1/adapter_config.json"), Path.of("m/lora-1/adapter_model.safetensors"));
        for (Path f : files) {
            assertThat(Files.readAllBytes(runs.get(1).resolve(f))).as("%s", f).isEqualTo(Files.readAllBytes(runs.get(0).resolve(f)));
        }
        assertThat(Files.readString(runs.get(0).resolve("m/lora-1/adapter_config.json"))).contains("\"base_model_name_or_path\": \"m/base\"");
    }

    @Test
    void aRankThatDoesNotFitIsOneLineAndWritesNothing() {
        Path out = dir.resolve("m");
        for (String bad : List.of("0", "-3", "65")) {
            Cli.Result r = Cli.run("synth", out.toString(), "--size", "1MB", "--lora", bad);
            assertThat(r.exit()).as(r.err()).isEqualTo(2);
            assertThat(r.err().strip().lines()).as(r.err()).containsExactly("exmerge: error: --lora must be between 1 and 64"
                    + " (the smallest dimension of the adapted weights at this --size), not " + bad);
            assertThat(out).doesNotExist();
        }
        Cli.Result r = Cli.run("synth", out.toString(), "--lora", "eight");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().lines().findFirst().orElseThrow()).contains("--lora").contains("eight");
        assertThat(out).doesNotExist();
    }

    @Test
    void anExistingAdapterNeedsOverwrite() throws Exception {
        Path out = dir.resolve("m");
        assertThat(Cli.run("synth", out.toString(), "--size", "1MB", "--finetunes", "0", "--lora", "2", "--no-sync").exit()).isZero();
        Cli.Result again = Cli.run("synth", out.toString(), "--size", "1MB", "--finetunes", "0", "--lora", "2", "--no-sync");
        assertThat(again.exit()).as(again.err()).isEqualTo(4);
        assertThat(again.err().strip().lines().filter(l -> l.startsWith("exmerge:")).toList()).singleElement().asString()
                .contains("--overwrite");
        Cli.Result over = Cli.run("synth", out.toString(), "--size", "1MB", "--finetunes", "0", "--lora", "2", "--no-sync", "--overwrite");
        assertThat(over.exit()).as(over.err()).isZero();
        assertThat(Cli.run("synth", "--help").out()).contains("--lora=R");
    }
}
