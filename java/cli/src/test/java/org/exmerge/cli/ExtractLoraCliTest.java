package org.exmerge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.DType;
import org.exmerge.format.TensorInfo;
import org.exmerge.numeric.Widen;
import org.exmerge.testing.Cli;
import org.exmerge.testing.TestModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * extract-lora round trips: a fine-tune made as base + an exact rank-4 delta comes back from
 * {@code base+extracted} to within bf16 rounding, rank 3 is measurably worse, rank_pattern and
 * modules_to_save read back, and bad inputs and outputs are refused in one line.
 */
class ExtractLoraCliTest {
    @TempDir
    static Path dir;
    static Path base;
    static Path ft;
    static Path sft;

    /** base, sft-1 and lora-1 (rank 4) of a 4 MB synth; ft = base+lora-1 merged into a bf16 model. */
    @BeforeAll
    static void models() throws Exception {
        Path models = dir.resolve("models");
        Cli.Result s = Cli.run("synth", models.toString(), "--size", "4MB", "--finetunes", "1", "--lora", "4", "--no-sync");
        assertThat(s.exit()).as(s.err()).isZero();
        base = models.resolve("base");
        sft = models.resolve("sft-1");
        ft = dir.resolve("ft");
        Path recipe = Files.writeString(dir.resolve("ft.yaml"), "merge_method: passthrough\nmodels:\n  - model: " + base + "+"
                + models.resolve("lora-1") + "\n");
        Cli.Result m = Cli.run("merge", recipe.toString(), ft.toString(), "--no-sync");
        assertThat(m.exit()).as(m.err()).isZero();
    }

    private static Cli.Result extract(String out, String... more) {
        String[] args = new String[6 + more.length];
        System.arraycopy(new String[] {"extract-lora", "--base", base.toString(), "--model", ft.toString()}, 0, args, 0, 5);
        args[5] = dir.resolve(out).toString();
        System.arraycopy(more, 0, args, 6, more.length);
        return Cli.run(args);
    }

    /** base+adapter merged into a model, as a user applies it. */
    private static Path applied(String adapter) {
        Path out = dir.resolve(adapter + "-applied");
        Path recipe = dir.resolve(adapter + ".yaml");
        try {
            Files.writeString(recipe, "merge_method: passthrough\nmodels:\n  - model: " + base + "+" + dir.resolve(adapter) + "\n");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Cli.Result m = Cli.run("merge", recipe.toString(), out.toString(), "--no-sync", "--overwrite");
        assertThat(m.exit()).as(m.err()).isZero();
        return out;
    }

    /**
     * The largest difference of {@code got} from {@code want} over every linear weight, in units of the
     * bf16 ulp of the larger of the element and the tensor's RMS: the fine-tune's own rounding to bf16,
     * spread by the SVD over every element of a module, is on that scale, so an element near zero is
     * judged on it too.
     */
    private static double worstUlps(Path got, Path want) throws Exception {
        double worst = 0;
        try (Checkpoint g = Checkpoint.open(got); Checkpoint w = Checkpoint.open(want); Checkpoint o = Checkpoint.open(base)) {
            for (TensorInfo t : w.tensors()) {
                if (t.rank() != 2 || !t.name().contains("layers.")) {
                    continue;
                }
                int n = Math.toIntExact(t.elementCount());
                double[] a = new double[n];
                double[] b = new double[n];
                double[] c = new double[n];
                Widen.toDoubles(g.data(t.name()), g.tensor(t.name()).dtype(), 0, n, a);
                Widen.toDoubles(w.data(t.name()), t.dtype(), 0, n, b);
                Widen.toDoubles(o.data(t.name()), t.dtype(), 0, n, c);
                double sq = 0;
                for (int i = 0; i < n; i++) {
                    sq += b[i] * b[i];
                }
                double rms = Math.sqrt(sq / n);
                for (int i = 0; i < n; i++) {
                    double ulp = Math.ulp((float) Math.max(Math.abs(b[i]), rms)) * (1 << 16); // bf16 keeps 8 of float32's 24 bits
                    worst = Math.max(worst, Math.abs(a[i] - b[i]) / ulp);
                }
            }
        }
        return worst;
    }

    @Test
    void anExactRankKDeltaComesBackToWithinRounding() throws Exception {
        Cli.Result r = extract("k4", "--max-rank", "4", "--threads", "2", "--no-sync");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("56 modules decomposed at rank 4; the rank holds 99.");
        JsonNode config = new ObjectMapper().readTree(dir.resolve("k4/adapter_config.json").toFile());
        assertThat(config.get("r").asInt()).isEqualTo(4);
        assertThat(config.get("lora_alpha").asInt()).isEqualTo(4);
        assertThat(config.get("peft_type").asText()).isEqualTo("LORA");
        assertThat(config.get("base_model_name_or_path").asText()).isEqualTo(base.toString());
        assertThat(config.get("target_modules").toString()).isEqualTo(
                "[\"down_proj\",\"gate_proj\",\"k_proj\",\"o_proj\",\"q_proj\",\"up_proj\",\"v_proj\"]");
        assertThat(config.get("modules_to_save").isEmpty()).as("nothing but the linear weights changed").isTrue();
        // bf16 factors of a bf16 fine-tune: the applied adapter is within one bf16 rounding of the fine-tune.
        assertThat(worstUlps(applied("k4"), ft)).isLessThanOrEqualTo(1.0);

        Cli.Result three = extract("k3", "--max-rank", "3", "--no-sync");
        assertThat(three.exit()).as(three.err()).isZero();
        assertThat(worstUlps(applied("k3"), ft)).as("one rank short of the delta's").isGreaterThan(8);
    }

    @Test
    void smallerModulesGetTheirRankInRankPatternAndApplyAsTheyShould() throws Exception {
        // k_proj and v_proj are 64 × 128 at this size: rank 64, the others 100.
        Cli.Result r = extract("r100", "--max-rank", "100", "--no-sync", "--out-dtype", "float32");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("at rank 64..100");
        JsonNode config = new ObjectMapper().readTree(dir.resolve("r100/adapter_config.json").toFile());
        assertThat(config.get("r").asInt()).isEqualTo(100);
        assertThat(config.get("rank_pattern").get("model.layers.0.self_attn.k_proj").asInt()).isEqualTo(64);
        assertThat(config.get("alpha_pattern").get("model.layers.0.self_attn.k_proj").asInt()).isEqualTo(64);
        assertThat(config.get("rank_pattern").has("model.layers.0.self_attn.q_proj")).isFalse();
        assertThat(config.get("rank_pattern").size()).isEqualTo(2 * 8);
        // The merge reads each module's rank and alpha from the patterns (a wrong rank would be refused, a wrong alpha scale it).
        assertThat(worstUlps(applied("r100"), ft)).isLessThanOrEqualTo(1.0);
    }

    @Test
    void changedNormsAndEmbeddingsAreSavedWholeAndReadBack() throws Exception {
        Path out = dir.resolve("sft");
        Cli.Result r = Cli.run("extract-lora", "--base", base.toString(), "--model", sft.toString(), out.toString(), "--max-rank", "2",
                "--no-sync", "--exclude-regex", "layers\\.1\\.");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode config = new ObjectMapper().readTree(out.resolve("adapter_config.json").toFile());
        assertThat(config.get("modules_to_save").toString())
                .isEqualTo("[\"embed_tokens\",\"input_layernorm\",\"lm_head\",\"norm\",\"post_attention_layernorm\"]");
        try (Checkpoint a = Checkpoint.open(out.resolve("adapter_model.safetensors"))) {
            assertThat(a.tensor("base_model.model.model.embed_tokens.weight")).isNotNull();
            assertThat(a.tensor("base_model.model.model.layers.0.input_layernorm.weight")).isNotNull();
            assertThat(a.tensor("base_model.model.model.layers.1.input_layernorm.weight")).as("excluded").isNull();
            assertThat(a.tensor("base_model.model.model.layers.1.mlp.up_proj.lora_A.weight")).as("excluded").isNull();
            assertThat(a.tensor("base_model.model.model.layers.0.mlp.up_proj.lora_A.weight").shape()).containsExactly(2, 128);
        }
        Path applied = Files.writeString(dir.resolve("sft.yaml"), "merge_method: passthrough\nmodels:\n  - model: " + base + "+" + out + "\n");
        Path model = dir.resolve("sft-applied");
        assertThat(Cli.run("merge", applied.toString(), model.toString(), "--no-sync").exit()).isZero();
        try (Checkpoint got = Checkpoint.open(model); Checkpoint want = Checkpoint.open(sft)) {
            for (String name : new String[] {"model.embed_tokens.weight", "lm_head.weight", "model.norm.weight",
                    "model.layers.0.post_attention_layernorm.weight"}) {
                assertThat(got.data(name).mismatch(want.data(name))).as(name).isEqualTo(-1L);
            }
        }
    }

    @Test
    void theBytesDoNotDependOnTheThreadCount() throws Exception {
        assertThat(extract("t1", "--max-rank", "8", "--threads", "1", "--no-sync").exit()).isZero();
        assertThat(extract("t3", "--max-rank", "8", "--threads", "3", "--no-sync").exit()).isZero();
        for (String f : new String[] {"adapter_model.safetensors", "adapter_config.json"}) {
            assertThat(Files.readAllBytes(dir.resolve("t3").resolve(f))).as(f).isEqualTo(Files.readAllBytes(dir.resolve("t1").resolve(f)));
        }
    }

    /** mergekit-extract-lora's command line as it is: --base-model, --out-path, -e, the default flags spelt out. */
    @Test
    void mergekitsCommandLineGivesTheSameAdapter() throws Exception {
        Cli.Result ours = Cli.run("extract-lora", "--base", base.toString(), "--model", sft.toString(), dir.resolve("ours").toString(),
                "--max-rank", "3", "--exclude-regex", "mlp", "--no-sync");
        assertThat(ours.exit()).as(ours.err()).isZero();
        Cli.Result theirs = Cli.run("extract-lora", "--base-model", base.toString(), "--model", sft.toString(), "--out-path",
                dir.resolve("theirs").toString(), "--max-rank", "3", "-e", "mlp", "--distribute-scale", "--no-embed-lora", "--no-sync");
        assertThat(theirs.exit()).as(theirs.err()).isZero();
        for (String f : new String[] {"adapter_model.safetensors", "adapter_config.json"}) {
            assertThat(Files.mismatch(dir.resolve("ours").resolve(f), dir.resolve("theirs").resolve(f))).as(f).isEqualTo(-1L);
        }
        Cli.Result both = Cli.run("extract-lora", "--base", base.toString(), "--model", sft.toString(), dir.resolve("x").toString(),
                "--embed-lora", "--no-embed-lora");
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("--embed-lora and --no-embed-lora contradict each other");
        Cli.Result none = Cli.run("extract-lora", "--base", base.toString(), "--model", sft.toString());
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err()).contains("missing OUT");
    }

    /** The SVD's products on the Java spec and on libexmerge: the same adapter, byte for byte, on a full fine-tune's noise-like delta. */
    @Test
    void theJavaAndNativeBackendsWriteTheSameAdapter() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(org.exmerge.kernel.Backends.available().contains("native"),
                "the native backend does not load here");
        String[] args = {"extract-lora", "--base", base.toString(), "--model", sft.toString(), null, "--max-rank", "12", "--no-sync",
            "--json", "--backend", null};
        for (String backend : new String[] {"java", "native"}) {
            args[5] = dir.resolve("b-" + backend).toString();
            args[args.length - 1] = backend;
            Cli.Result r = Cli.run(args);
            assertThat(r.exit()).as(r.err()).isZero();
            JsonNode start = null;
            JsonNode done = null;
            for (String line : r.out().split("\n")) {
                JsonNode e = new ObjectMapper().readTree(line);
                if (e.path("event").asText().equals("start")) {
                    start = e;
                } else if (e.path("event").asText().equals("done")) {
                    done = e;
                }
            }
            assertThat(start).as(r.out()).isNotNull();
            assertThat(done).as(r.out()).isNotNull();
            assertThat(start.path("backend").asText()).isEqualTo(backend);
            assertThat(done.path("fallbacks").isEmpty()).as("no op fell back: %s", done).isTrue();
        }
        for (String f : new String[] {"adapter_model.safetensors", "adapter_config.json"}) {
            assertThat(Files.readAllBytes(dir.resolve("b-native").resolve(f))).as(f)
                    .isEqualTo(Files.readAllBytes(dir.resolve("b-java").resolve(f)));
        }
    }

    @Test
    void modelsThatDoNotMatchAreAnInputError() throws Exception {
        Path other = dir.resolve("other");
        assertThat(Cli.run("synth", other.toString(), "--size", "2MB", "--finetunes", "0", "--no-sync").exit()).isZero();
        Cli.Result r = Cli.run("extract-lora", "--base", other.resolve("base").toString(), "--model", ft.toString(),
                dir.resolve("x").toString());
        assertThat(r.exit()).isEqualTo(ExitCodes.INPUT);
        assertThat(r.err().strip()).doesNotContain("\n").contains(ft.toString()).contains(other.resolve("base").toString())
                .contains("tensor '");
        assertThat(dir.resolve("x")).doesNotExist();
    }

    @Test
    void theOutputIsRefusedAsAMergesIs() throws Exception {
        Cli.Result onInput = extract("ft", "--max-rank", "1");
        assertThat(onInput.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(onInput.err()).contains("is an input of this run");

        Path mine = Files.createDirectories(dir.resolve("mine"));
        Files.writeString(mine.resolve("notes.txt"), "keep me");
        Cli.Result foreign = extract("mine", "--max-rank", "1", "--overwrite");
        assertThat(foreign.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(mine.resolve("notes.txt")).hasContent("keep me");

        assertThat(extract("again", "--max-rank", "1", "--no-sync").exit()).isZero();
        Cli.Result exists = extract("again", "--max-rank", "1");
        assertThat(exists.exit()).isEqualTo(ExitCodes.OUTPUT);
        Cli.Result replaced = extract("again", "--max-rank", "2", "--overwrite", "--no-sync");
        assertThat(replaced.exit()).as(replaced.err()).isZero();
        assertThat(new ObjectMapper().readTree(dir.resolve("again/adapter_config.json").toFile()).get("r").asInt()).isEqualTo(2);
    }

    /** The adapter's README, as mergekit-extract-lora writes one; --overwrite replaces it only while it carries exmerge's mark. */
    @Test
    void theAdapterCarriesAModelCard() throws Exception {
        Cli.Result r = extract("carded", "--max-rank", "2", "--no-sync");
        assertThat(r.exit()).as(r.err()).isZero();
        String card = Files.readString(dir.resolve("carded/README.md"));
        assertThat(card).startsWith("---\n").contains("library_name: peft").contains("# carded")
                .contains("extracted from `" + ft + "` and uses `" + base + "` as a base")
                .contains("exmerge extract-lora --base " + base + " --model " + ft + " " + dir.resolve("carded") + " --max-rank 2")
                .contains(org.exmerge.format.OutputGuard.CARD_MARK);

        assertThat(extract("carded", "--max-rank", "3", "--no-sync", "--overwrite").exit()).isZero();
        Files.writeString(dir.resolve("carded/README.md"), "# my notes on this adapter\n");
        Cli.Result mine = extract("carded", "--max-rank", "2", "--no-sync", "--overwrite");
        assertThat(mine.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(mine.err()).contains("README.md exmerge did not write");
        assertThat(dir.resolve("carded/README.md")).hasContent("# my notes on this adapter");

        assertThat(extract("plain", "--max-rank", "2", "--no-sync", "--no-model-card").exit()).isZero();
        assertThat(dir.resolve("plain/README.md")).doesNotExist();
    }

    /** --dry-run: the plan printed, every refusal of a run made, nothing decomposed or written. */
    @Test
    void aDryRunPrintsThePlanAndWritesNothing() throws Exception {
        Cli.Result r = extract("dry", "--max-rank", "3", "--dry-run");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("modules to decompose, rank 3 each").contains("lora_A.weight").contains("memory: ")
                .contains("output " + dir.resolve("dry").toAbsolutePath());
        assertThat(dir.resolve("dry")).doesNotExist();
        Cli.Result onInput = extract("ft", "--max-rank", "1", "--dry-run");
        assertThat(onInput.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(onInput.err()).contains("is an input of this run");
        Cli.Result tooSmall = extract("dry", "--max-rank", "1", "--dry-run", "--memory", "1kB");
        assertThat(tooSmall.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(dir.resolve("dry")).doesNotExist();
    }

    /** The last JSON event of {@code r} named {@code event}, or null. */
    private static JsonNode event(Cli.Result r, String event) throws Exception {
        JsonNode found = null;
        for (String line : r.out().split("\n")) {
            if (line.startsWith("{")) {
                JsonNode e = new ObjectMapper().readTree(line);
                if (e.path("event").asText().equals(event)) {
                    found = e;
                }
            }
        }
        return found;
    }

    /** --sv-epsilon dropping every module: the summary and the done event say nothing is held, not 100 %. */
    @Test
    void modulesDroppedBySvEpsilonCountInWhatTheRankHolds() throws Exception {
        String[] args = {"extract-lora", "--base", base.toString(), "--model", sft.toString(), dir.resolve("eps").toString(), "--max-rank",
            "4", "--sv-epsilon", "100", "--no-sync"};
        Cli.Result r = Cli.run(args);
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("no module decomposed").contains("0.00% of the changed modules' ‖Δ‖² is held")
                .doesNotContain("100.00%").contains("56 modules with no singular value above --sv-epsilon");
        args[5] = dir.resolve("eps-json").toString();
        Cli.Result j = Cli.run(java.util.stream.Stream.concat(java.util.Arrays.stream(args), java.util.stream.Stream.of("--json"))
                .toArray(String[]::new));
        assertThat(j.exit()).as(j.err()).isZero();
        JsonNode done = event(j, "done");
        assertThat(done).as(j.out()).isNotNull();
        assertThat(done.get("modules").asInt()).isZero();
        assertThat(done.has("rank_min")).as("no rank was written: %s", done).isFalse();
        assertThat(done.has("rank_max")).isFalse();
        assertThat(done.get("captured").asDouble()).isZero();
        assertThat(done.get("dropped").size()).isEqualTo(56);
    }

    /** Options that leave out every change are a usage error naming the option; models that do not differ, an input error. */
    @Test
    void optionsThatLeaveNothingToExtractAreNamed() throws Exception {
        Cli.Result eps = extract("none-eps", "--max-rank", "4", "--sv-epsilon", "100");
        assertThat(eps.exit()).as(eps.err()).isEqualTo(ExitCodes.USAGE);
        assertThat(eps.err().strip()).doesNotContain("\n").contains("--sv-epsilon 100").contains("56 changed modules")
                .doesNotContain("no tensor differs");
        Cli.Result in = extract("none-in", "--max-rank", "4", "-i", "nomatch");
        assertThat(in.exit()).as(in.err()).isEqualTo(ExitCodes.USAGE);
        assertThat(in.err()).contains("--include-regex matches none of the 56 changed modules");
        Cli.Result ex = extract("none-ex", "--max-rank", "4", "-e", "layers");
        assertThat(ex.exit()).as(ex.err()).isEqualTo(ExitCodes.USAGE);
        assertThat(ex.err()).contains("--exclude-regex leaves out 56 changed modules");
        Cli.Result same = Cli.run("extract-lora", "--base", base.toString(), "--model", base.toString(), dir.resolve("none-same").toString());
        assertThat(same.exit()).as(same.err()).isEqualTo(ExitCodes.INPUT);
        assertThat(same.err()).contains("no tensor differs from the base model");
        for (String out : new String[] {"none-eps", "none-in", "none-ex", "none-same"}) {
            assertThat(dir.resolve(out)).doesNotExist();
        }
    }

    /** A tiny model pair: a linear weight, an integer buffer and a parameter of the inner model itself, each changed as asked. */
    private static Path[] odd(String name, boolean weightChanged) throws Exception {
        Path b = dir.resolve(name + "-base");
        Path f = dir.resolve(name + "-ft");
        float[] w = TestModels.random(1, 64, 1);
        float[] v = w.clone();
        if (weightChanged) {
            v[3] += 0.5f;
        }
        TestModels.write(b, new TestModels.T("model.layers.0.mlp.up_proj.weight", DType.F32, new long[] {8, 8}, w),
                new TestModels.T("model.layers.0.norm.weight", DType.F32, new long[] {8}, new float[8]),
                new TestModels.T("model.pos", DType.I64, new long[] {4}, new float[4]),
                new TestModels.T("model.scalar", DType.F32, new long[0], new float[] {0}));
        TestModels.write(f, new TestModels.T("model.layers.0.mlp.up_proj.weight", DType.F32, new long[] {8, 8}, v),
                new TestModels.T("model.layers.0.norm.weight", DType.F32, new long[] {8}, new float[8]),
                new TestModels.T("model.pos", DType.I64, new long[] {4}, new float[] {3, 3, 3, 3}),
                new TestModels.T("model.scalar", DType.F32, new long[0], new float[] {1}));
        return new Path[] {b, f};
    }

    /** Changed tensors an adapter cannot carry (an integer buffer; a parameter of the inner model) are named, not saved as "model". */
    @Test
    void changedTensorsNoAdapterCarriesAreListed() throws Exception {
        Path[] m = odd("odd", true);
        Path out = dir.resolve("odd-ad");
        Cli.Result r = Cli.run("extract-lora", "--base", m[0].toString(), "--model", m[1].toString(), out.toString(), "--max-rank", "2",
                "--no-sync");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("2 changed tensors an adapter cannot carry, left out: model.pos (I64, not floating point),"
                + " model.scalar (a parameter of 'model', which holds other modules)");
        JsonNode config = new ObjectMapper().readTree(out.resolve("adapter_config.json").toFile());
        assertThat(config.get("modules_to_save").isEmpty()).as("not 'model', which peft matches as the whole inner model: %s", config)
                .isTrue();
        try (Checkpoint a = Checkpoint.open(out.resolve("adapter_model.safetensors"))) {
            assertThat(a.tensors()).extracting(TensorInfo::name).containsExactly("base_model.model.model.layers.0.mlp.up_proj.lora_A.weight",
                    "base_model.model.model.layers.0.mlp.up_proj.lora_B.weight");
        }
        Cli.Result j = Cli.run("extract-lora", "--base", m[0].toString(), "--model", m[1].toString(), dir.resolve("odd-json").toString(),
                "--max-rank", "2", "--no-sync", "--json");
        assertThat(j.exit()).as(j.err()).isZero();
        JsonNode notCarried = event(j, "done").get("not_carried");
        assertThat(notCarried.get("model.pos").asText()).isEqualTo("I64, not floating point");
        assertThat(notCarried.has("model.scalar")).isTrue();

        // When those are the only changes, the adapter would be empty: an input error that names them.
        Path[] only = odd("only", false);
        Cli.Result none = Cli.run("extract-lora", "--base", only[0].toString(), "--model", only[1].toString(),
                dir.resolve("only-ad").toString());
        assertThat(none.exit()).as(none.err()).isEqualTo(ExitCodes.INPUT);
        assertThat(none.err()).contains("2 changed tensors cannot go into an adapter (model.pos, model.scalar)");
    }

    /** --save-module that names no module, or one holding others, is refused; --allow-nonfinite does not apply. */
    @Test
    void optionsThatWouldNotApplyAreRefused() throws Exception {
        Cli.Result typo = extract("typo", "--max-rank", "2", "--save-module", "q_prj");
        assertThat(typo.exit()).as(typo.err()).isEqualTo(ExitCodes.USAGE);
        assertThat(typo.err()).contains("--save-module q_prj: no module of");
        assertThat(dir.resolve("typo")).doesNotExist();
        assertThat(extract("leaf", "--max-rank", "2", "--save-module", "q_proj", "--no-sync").exit()).isZero();

        Path[] m = odd("container", true);
        Cli.Result container = Cli.run("extract-lora", "--base", m[0].toString(), "--model", m[1].toString(),
                dir.resolve("container-ad").toString(), "--save-module", "model");
        assertThat(container.exit()).as(container.err()).isEqualTo(ExitCodes.USAGE);
        assertThat(container.err()).contains("--save-module model: 'model' holds other modules");

        Cli.Result nonfinite = extract("nonfinite", "--max-rank", "2", "--allow-nonfinite");
        assertThat(nonfinite.exit()).as(nonfinite.err()).isEqualTo(ExitCodes.USAGE);
        assertThat(nonfinite.err()).contains("--allow-nonfinite does not apply to extract-lora");
    }

    /** --memory and --threads are fitted as a merge's: a budget below one module's decomposition is refused, threads capped with a notice. */
    @Test
    void theMemoryBudgetAndThreadsAreFittedAsAMergesAre() throws Exception {
        Cli.Result tiny = extract("tiny", "--max-rank", "8", "--memory", "1kB");
        assertThat(tiny.exit()).as(tiny.err()).isEqualTo(ExitCodes.USAGE);
        assertThat(tiny.err()).contains("memory budget 1.0 kB (--memory) is too small: this extraction needs at least")
                .contains("decomposing 'model.layers.0.mlp.down_proj'");
        assertThat(dir.resolve("tiny")).doesNotExist();

        int many = Runtime.getRuntime().availableProcessors() + 1;
        Cli.Result capped = extract("capped", "--max-rank", "8", "--threads", Integer.toString(many), "--no-sync");
        assertThat(capped.exit()).as(capped.err()).isZero();
        assertThat(capped.err()).contains(many + " threads requested, " + (many - 1) + " used (available processors)");

        // A budget that holds one module's decomposition at a time: the same bytes as any other run.
        Cli.Result lean = extract("lean", "--max-rank", "8", "--memory", "6MB", "--no-sync");
        assertThat(lean.exit()).as(lean.err()).isZero();
        for (String f : new String[] {"adapter_model.safetensors", "adapter_config.json"}) {
            assertThat(Files.readAllBytes(dir.resolve("lean").resolve(f))).as(f).isEqualTo(Files.readAllBytes(dir.resolve("capped").resolve(f)));
        }
    }
}
