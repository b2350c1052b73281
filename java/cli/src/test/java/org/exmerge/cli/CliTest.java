package org.exmerge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.exmerge.format.DType;
import org.exmerge.testing.Cli;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.ParseResult;

class CliTest {
    @TempDir
    static Path dir;
    static Path models;

    @BeforeAll
    static void synth() {
        models = dir.resolve("models");
        Cli.Result r = Cli.run("synth", models.toString(), "--size", "2MB", "--threads", "2");
        assertThat(r.exit()).as(r.err()).isZero();
    }

    static String m(String name) {
        return models.resolve(name).toString();
    }

    static void assertNothingLeftAt(Path out) throws IOException {
        assertThat(out).doesNotExist();
        try (Stream<Path> s = Files.list(out.getParent())) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("." + out.getFileName()));
        }
    }

    @Test
    void synthWritesLlamaModelsWithConfigAndTokenizer() throws Exception {
        for (String name : List.of("base", "sft-1", "sft-2")) {
            assertThat(models.resolve(name).resolve("model.safetensors")).exists();
            assertThat(models.resolve(name).resolve("config.json")).exists();
            assertThat(models.resolve(name).resolve("tokenizer.json")).exists();
        }
        Cli.Result r = Cli.run("inspect", m("base"), "--json");
        assertThat(r.exit()).isZero();
        JsonNode n = new ObjectMapper().readTree(r.out());
        assertThat(n.get("tensors").asInt()).isGreaterThan(10);
        assertThat(n.get("tensor_list").get(0).get("name").asText()).isEqualTo("lm_head.weight");
    }

    @Test
    void exmeQuickFormEqualsTheYamlRecipe() throws Exception {
        Path quick = dir.resolve("quick");
        Cli.Result r = Cli.run("exme", "--base", m("base"), "--sft", m("sft-1"), "--sft", m("sft-2"),
                "--alpha", "0.5,0.1", "--beta", "0.1", quick.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("GB/s");
        Path yaml = dir.resolve("exme.yaml");
        Files.writeString(yaml, Files.readString(Path.of("../../examples/exme.yaml")));
        Path fromYaml = dir.resolve("fromyaml");
        Path root = models.getParent().resolve("root");
        Files.createDirectories(root.resolve("demo"));
        if (!Files.exists(root.resolve("demo/models"))) {
            Files.createSymbolicLink(root.resolve("demo/models"), models);
        }
        r = Cli.run("merge", yaml.toString(), fromYaml.toString(), "--models-dir", root.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(Files.readString(quick.resolve("config.json"))).contains("LlamaForCausalLM");
        try (var a = org.exmerge.format.Checkpoint.open(quick); var b = org.exmerge.format.Checkpoint.open(fromYaml)) {
            for (var t : a.tensors()) {
                assertThat(a.data(t.name()).mismatch(b.data(t.name()))).as(t.name()).isEqualTo(-1L);
            }
        }
    }

    /** The printed recipe, merged, writes the quick form's files byte for byte, --out-dtype included. */
    @Test
    void exmePrintConfigWritesWhatTheQuickFormDoes() throws Exception {
        String[] flags = {"exme", "--base", m("base"), "--sft", m("sft-1"), "--sft", m("sft-2"), "--alpha", "0.5,0.1", "--beta", "0.1",
            "--out-dtype", "float16", "--no-sync"};
        Path quick = dir.resolve("quick-f16");
        Cli.Result r = Cli.run(concat(flags, quick.toString()));
        assertThat(r.exit()).as(r.err()).isZero();
        Cli.Result printed = Cli.run(concat(flags, "--print-config"));
        assertThat(printed.out()).contains("out_dtype: \"float16\"\n");
        Path yaml = Files.writeString(dir.resolve("printed.yaml"), printed.out());
        Path fed = dir.resolve("fed-f16");
        r = Cli.run("merge", yaml.toString(), fed.toString(), "--no-sync");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(fed.resolve("model.safetensors")).hasSameBinaryContentAs(quick.resolve("model.safetensors"));
        assertThat(fed.resolve("config.json")).hasSameBinaryContentAs(quick.resolve("config.json"));
    }

    static String[] concat(String[] a, String... b) {
        return java.util.stream.Stream.concat(java.util.Arrays.stream(a), java.util.Arrays.stream(b)).toArray(String[]::new);
    }

    @Test
    void exmePrintConfigIsTheRecipeInConfigOrder() {
        Cli.Result r = Cli.run("exme", "--base", "B", "--sft", "S1", "--sft", "S2", "--alpha", "0.5,0.1", "--beta", "0.1",
                "--print-config");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("""
            ---
            merge_method: "exme"
            base_model: "B"
            models:
            - model: "S1"
              parameters:
                alpha: 0.5
            - model: "S2"
              parameters:
                alpha: 0.1
            parameters:
              beta: 0.1
            """);
    }

    @Test
    void dryRunPrintsThePlanAndWritesNothing() throws IOException {
        Path out = dir.resolve("dry");
        Cli.Result r = Cli.run("exme", "--base", m("base"), "--sft", m("sft-1"), "--sft", m("sft-2"),
                "--alpha", "0.5,0.1", "--beta", "0.1", "--dry-run", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("method exme").contains("model.layers.0.mlp.up_proj.weight").contains("+base");
        assertNothingLeftAt(out);
    }

    @Test
    void aLoraAdapterIsAppliedAndTheDryRunSaysSo() throws Exception {
        Path adapter = dir.resolve("adapters/chat");
        String q = "model.layers.0.self_attn.q_proj";
        try (org.exmerge.format.Checkpoint base = org.exmerge.format.Checkpoint.open(models.resolve("base"))) {
            long[] w = base.tensor(q + ".weight").shape();
            org.exmerge.testing.LoraAdapters.write(adapter, "\"r\": 4, \"lora_alpha\": 8",
                    new org.exmerge.testing.TestModels.T(q + ".lora_A.weight", DType.F32, new long[] {4, w[1]},
                            org.exmerge.testing.TestModels.random(1, (int) (4 * w[1]), 0.1f)),
                    new org.exmerge.testing.TestModels.T(q + ".lora_B.weight", DType.F32, new long[] {w[0], 4},
                            org.exmerge.testing.TestModels.random(2, (int) (4 * w[0]), 0.1f)));
        }
        Path cfg = dir.resolve("lora.yaml");
        Files.writeString(cfg, "merge_method: task_arithmetic\nbase_model: base\nmodels:\n  - model: {model: sft-1, lora: "
                + adapter + "}\n  - model: sft-2\n");
        Path out = dir.resolve("lora-out");
        Cli.Result dry = Cli.run("merge", cfg.toString(), out.toString(), "--dry-run", "--models-dir", models.toString());
        assertThat(dry.exit()).as(dry.err()).isZero();
        assertThat(dry.out()).contains("model sft-1+" + adapter + ": LoRA adapter " + adapter + ", 1 tensor, r=4, alpha=8");
        assertNothingLeftAt(out);
        Cli.Result r = Cli.run("merge", cfg.toString(), out.toString(), "--models-dir", models.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains("LoRA adapter " + adapter);
        try (org.exmerge.format.Checkpoint c = org.exmerge.format.Checkpoint.open(out)) {
            assertThat(c.metadata().get("exmerge.recipe")).contains("lora: " + adapter);
        }
        Files.writeString(adapter.resolve("adapter_config.json"), "{\"peft_type\": \"LORA\", \"r\": 4, \"use_dora\": true}");
        Cli.Result dora = Cli.run("merge", cfg.toString(), dir.resolve("dora-out").toString(), "--models-dir", models.toString());
        assertThat(dora.exit()).isEqualTo(3);
        assertThat(dora.err()).contains(adapter.resolve("adapter_config.json") + ": 'use_dora' is set").doesNotContain("\tat ");
        assertNothingLeftAt(dir.resolve("dora-out"));
    }

    @Test
    void aTokenizerBlockPadsTheVocabularyRowsAndSaysSo() throws Exception {
        Path cfg = dir.resolve("padded.yaml");
        Files.writeString(cfg, "merge_method: linear\nmodels:\n  - model: " + m("sft-1") + "\n  - model: " + m("sft-2")
                + "\ntokenizer: {source: union, pad_to_multiple_of: 1000}\n");
        Path out = dir.resolve("padded");
        Cli.Result dry = Cli.run("merge", cfg.toString(), out.toString(), "--dry-run");
        assertThat(dry.exit()).as(dry.err()).isZero();
        long rows = new com.fasterxml.jackson.databind.ObjectMapper().readTree(models.resolve("sft-1/config.json").toFile())
                .get("vocab_size").asLong();
        long padded = (rows + 999) / 1000 * 1000;
        assertThat(padded).isGreaterThan(rows);
        assertThat(dry.out()).contains("vocabulary: 5 tokens in " + padded + " embedding rows");
        Cli.Result r = Cli.run("merge", cfg.toString(), out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        try (org.exmerge.format.Checkpoint c = org.exmerge.format.Checkpoint.open(out)) {
            assertThat(c.tensor("model.embed_tokens.weight").dim(0)).isEqualTo(padded);
            assertThat(c.tensor("lm_head.weight").dim(0)).isEqualTo(padded);
        }
        assertThat(Files.readString(out.resolve("config.json"))).contains("\"vocab_size\" : " + padded);
        try (java.util.stream.Stream<Path> left = Files.list(dir)) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".padded."));
        }
    }

    @Test
    void everyCommandHasHelp() {
        List<String> all = List.of("merge", "multi", "exme", "search", "inspect", "methods", "synth", "extract-lora", "doctor");
        for (String cmd : all) {
            Cli.Result r = Cli.run(cmd, "--help");
            assertThat(r.exit()).as(cmd).isZero();
            assertThat(r.out()).as(cmd).startsWith("Usage: exmerge " + cmd);
            assertThat(Main.commandLine(cmd, "--help").getSubcommands()).as("only what runs is built").containsOnlyKeys(cmd);
        }
        for (String[] top : new String[][] {{}, {"--help"}}) {
            Cli.Result r = Cli.run(top);
            assertThat(r.exit()).isZero();
            assertThat(r.out()).startsWith("Usage: exmerge [-hV] [COMMAND]");
            all.forEach(cmd -> assertThat(r.out()).contains("  " + cmd + " "));
        }
        Cli.Result unknown = Cli.run("nosuch");
        assertThat(unknown.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(unknown.err().strip()).contains("nosuch").contains("commands: merge, multi, exme, search, inspect, methods, synth, extract-lora, doctor")
                .doesNotContain("\n");
        assertThat(Cli.run("--version").out()).startsWith("exmerge ");
        assertThat(Cli.run("merge", "-V").out()).as("every command answers -V").startsWith("exmerge ");
    }

    /** The commands' models are built by hand (Specs): each value must arrive as the type its command reads. */
    @Test
    void optionValuesArriveAsTheirTypes() {
        ParseResult exme = Main.commandLine("search").parseArgs("search", "exme", "--base", "b", "--checkpoints", "c1", "c2",
                "--alphas", "0.1,0.2", "--betas", "0.5", "--alphas", "0.3", "--evaluator", "reference:t", "--workdir", "w",
                "--eval-timeout", "1m30s", "--eval-tensors", "q_proj,k_proj", "--parallel", "2", "--keep").subcommand().subcommand();
        assertThat(exme.matchedOptionValue("--checkpoints", List.of())).isEqualTo(List.of(Path.of("c1"), Path.of("c2")));
        assertThat(exme.matchedOptionValue("--alphas", List.of())).isEqualTo(List.of(0.1, 0.2, 0.3));
        assertThat(exme.matchedOptionValue("--eval-timeout", Duration.ZERO)).isEqualTo(Duration.ofSeconds(90));
        assertThat(exme.<String[]>matchedOptionValue("--eval-tensors", null)).containsExactly("q_proj", "k_proj");
        assertThat(exme.matchedOptionValue("--parallel", 0)).isEqualTo(2);
        assertThat(exme.matchedOptionValue("--keep", false)).isTrue();
        assertThat(exme.commandSpec().findOption("--top").<Integer>getValue()).as("an option not given keeps its default").isEqualTo(2);

        ParseResult m3 = Main.commandLine("search").parseArgs("search", "m3", "--models", "a", "b", "--samples", "4",
                "--param", "density=0.5", "--param", "epsilon=0.1", "--alpha", "0.7", "--evaluator", "reference:t", "--workdir", "w")
                .subcommand().subcommand();
        assertThat(m3.matchedOptionValue("--models", List.of())).isEqualTo(List.of(Path.of("a"), Path.of("b")));
        assertThat(m3.matchedOptionValue("--param", List.of())).isEqualTo(List.of("density=0.5", "epsilon=0.1"));
        assertThat(m3.matchedOptionValue("--alpha", 0.0)).isEqualTo(0.7);
        assertThat(m3.matchedOptionValue("--samples", 0)).isEqualTo(4);

        ParseResult merge = Main.commandLine("merge").parseArgs("merge", "r.yaml", "out", "--chunk-size", "1MiB", "--memory", "2GB",
                "--out-dtype", "float16", "--seed", "9", "--threads", "3", "--no-sync").subcommand();
        assertThat(merge.matchedOptionValue("--chunk-size", 0L)).isEqualTo(1L << 20);
        assertThat(merge.matchedOptionValue("--memory", 0L)).isEqualTo(2_000_000_000L);
        assertThat(merge.matchedOptionValue("--out-dtype", DType.F32)).isEqualTo(DType.F16);
        assertThat(merge.matchedOptionValue("--seed", 0L)).isEqualTo(9L);
        assertThat(merge.matchedOptionValue("--threads", 0)).isEqualTo(3);
        assertThat(merge.matchedPositionalValue(1, Path.of(""))).isEqualTo(Path.of("out"));

        ParseResult quick = Main.commandLine("exme").parseArgs("exme", "--base", "b", "--sft", "s1", "--sft", "s2",
                "--alpha", "0.5,0.1", "--beta", "0.1").subcommand();
        assertThat(quick.matchedOptionValue("--sft", List.of())).isEqualTo(List.of("s1", "s2"));
        assertThat(quick.matchedOptionValue("--alpha", List.of())).isEqualTo(List.of(0.5, 0.1));
        assertThat(quick.hasMatchedPositional(0)).as("OUT is optional with --print-config").isFalse();
    }

    @Test
    void dryRunShowsWhatTheRunWillRecord() throws Exception {
        Path cfg = dir.resolve("m3.yaml");
        Files.writeString(cfg, "merge_method: m3\nbase_model: " + m("base") + "\nmodels:\n  - model: " + m("sft-1")
                + "\n  - model: " + m("sft-2") + "\nparameters: {base_method: linear, alpha: 0.5}\nseed: 3\n");
        Cli.Result r = Cli.run("merge", cfg.toString(), dir.resolve("m3-dry").toString(), "--dry-run");
        assertThat(r.exit()).as(r.err()).isZero();
        String lambda = Double.toString(org.exmerge.method.m3.M3Lambda.draw(3, 0.5));
        assertThat(r.out()).contains("records exmerge.m3.lambda = " + lambda);
        assertNothingLeftAt(dir.resolve("m3-dry"));
    }

    @Test
    void truncatedInputIsAnInputErrorNamingTheFile() throws Exception {
        Path bad = dir.resolve("truncated");
        Files.createDirectories(bad);
        Path file = bad.resolve("model.safetensors");
        Files.copy(models.resolve("sft-2/model.safetensors"), file);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(f.length() - 3);
        }
        Path out = dir.resolve("never-truncated");
        Cli.Result r = Cli.run("exme", "--base", m("base"), "--sft", m("sft-1"), "--sft", bad.toString(),
                "--alpha", "0.5,0.1", "--beta", "0.1", out.toString());
        assertThat(r.exit()).isEqualTo(3);
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.err()).contains("exmerge: error:").contains(file.toString());
        assertNothingLeftAt(out);
        r = Cli.run("inspect", file.toString());
        assertThat(r.exit()).isEqualTo(3);
    }

    @Test
    void configErrorsAreUsageErrors() throws Exception {
        Path cfg = dir.resolve("bad.yaml");
        Files.writeString(cfg, "merge_method: exme\nbase_model: x\nmodels: []\nfrobnicate: 1\n");
        Path out = dir.resolve("never-config");
        Cli.Result r = Cli.run("merge", cfg.toString(), out.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("frobnicate");
        assertNothingLeftAt(out);
        r = Cli.run("exme", "--base", m("base"), "--sft", m("sft-1"), "--alpha", "0.1,0.2", out.toString());
        assertThat(r.exit()).isEqualTo(2);
        r = Cli.run("merge", "--threads", "zero", cfg.toString(), out.toString());
        assertThat(r.exit()).isEqualTo(2);
    }

    @Test
    void unwritableOutputIsAnOutputError() throws Exception {
        Path file = dir.resolve("plainfile");
        Files.writeString(file, "x");
        Cli.Result r = Cli.run("exme", "--base", m("base"), "--sft", m("sft-1"), "--alpha", "0.5",
                file.resolve("out").toString());
        assertThat(r.exit()).isEqualTo(4);
        assertThat(r.err()).contains("exmerge: error:");
    }

    @Test
    void fullDiskIsAnOutputErrorAndLeavesNothing() throws Exception {
        // A 1 MB tmpfs holds less than the ~2 MB output: refused before any work (the writes' own
        // ENOSPC, when the disk fills during a merge, is ShardWriterTest's).
        Path tiny = dir.resolve("tiny");
        Files.createDirectories(tiny);
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", tiny.toString())
                .redirectErrorStream(true).start();
        org.junit.jupiter.api.Assumptions.assumeTrue(mount.waitFor() == 0, "needs permission to mount a tmpfs");
        try {
            Path out = tiny.resolve("out");
            Cli.Result r = Cli.run("exme", "--base", m("base"), "--sft", m("sft-1"), "--alpha", "0.5", out.toString());
            assertThat(r.exit()).isEqualTo(4);
            assertThat(r.err().lines().filter(l -> l.startsWith("exmerge: error:")).toList()).singleElement()
                    .asString().contains(out.toString()).contains("not enough space: the model needs");
            try (Stream<Path> s = Files.list(tiny)) {
                assertThat(s.toList()).as("the temporary output is removed").isEmpty();
            }
        } finally {
            new ProcessBuilder("umount", tiny.toString()).start().waitFor();
        }
    }

    @Test
    void jsonProgressIsOneObjectPerLine() throws Exception {
        Path out = dir.resolve("json");
        Cli.Result r = Cli.run("exme", "--base", m("base"), "--sft", m("sft-1"), "--alpha", "0.5", "--json", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        ObjectMapper json = new ObjectMapper();
        List<String> events = r.out().lines().map(l -> {
            try {
                return json.readTree(l).get("event").asText();
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + l, e);
            }
        }).toList();
        assertThat(events).first().isEqualTo("start");
        assertThat(events).last().isEqualTo("done");

        Cli.Result failed = Cli.run("exme", "--base", m("base"), "--sft", dir.resolve("nothing-here").toString(),
                "--alpha", "0.5", "--json", dir.resolve("json-fail").toString());
        assertThat(failed.exit()).isEqualTo(3);
        JsonNode error = json.readTree(failed.out().strip().lines().reduce((a, b) -> b).orElseThrow());
        assertThat(error.get("event").asText()).isEqualTo("error");
        assertThat(error.get("exit").asInt()).isEqualTo(3);
        assertThat(error.get("message").asText()).contains("nothing-here");
    }

    @Test
    void ctrlCLeavesNoOutput() throws Exception {
        Path big = dir.resolve("big");
        assertThat(Cli.run("synth", big.toString(), "--size", "64MB", "--finetunes", "1").exit()).isZero();
        Path out = dir.resolve("made-for-it/too/interrupted"); // parents the run creates, and removes again
        Process p = Cli.child(List.of("-Xmx128m"), "exme", "--base", big.resolve("base").toString(), "--sft",
                big.resolve("sft-1").toString(), "--alpha", "0.5", "--threads", "1", "--chunk-size", "1024", "--json",
                out.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()))) {
            String first = lines.readLine();
            assertThat(first).contains("\"start\"");
            p.destroy(); // SIGTERM, as Ctrl-C's SIGINT: both run the shutdown hooks
        }
        int code = p.waitFor();
        assertThat(code).isNotZero();
        assertThat(dir.resolve("made-for-it")).doesNotExist();
    }
}
