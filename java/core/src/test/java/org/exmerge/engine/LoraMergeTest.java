package org.exmerge.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.exmerge.Exmerge;
import org.exmerge.MergeOptions;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.DType;
import org.exmerge.format.TensorInfo;
import org.exmerge.numeric.Bf16;
import org.exmerge.testing.EngineRuns;
import org.exmerge.testing.LoraAdapters;
import org.exmerge.testing.RoundOracle;
import org.exmerge.testing.TestModels;
import org.exmerge.testing.TestModels.T;
import org.exmerge.testing.TorchFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * LoRA adapters applied to their model before the merge ({@code base+adapter}, numerics §12). The test
 * works out every adapted tensor by hand (float64 deltas in k order, one rounding to the model's
 * dtype), writes the adapted models, and checks that merging {@code base+adapter} gives the bytes of
 * merging those: in memory and through scratch files, on one thread and two.
 */
class LoraMergeTest {
    private static final int H = 6;
    private static final int V = 11;
    private static final Map<String, long[]> SHAPES = new LinkedHashMap<>();

    static {
        SHAPES.put("lm_head.weight", new long[] {V, H});
        SHAPES.put("model.embed_tokens.weight", new long[] {V, H});
        SHAPES.put("model.layers.0.input_layernorm.weight", new long[] {H});
        SHAPES.put("model.layers.0.mlp.down_proj.bias", new long[] {H});
        SHAPES.put("model.layers.0.mlp.down_proj.weight", new long[] {H, 9});
        SHAPES.put("model.layers.0.self_attn.q_proj.weight", new long[] {H, H});
        SHAPES.put("model.layers.0.self_attn.v_proj.weight", new long[] {4, H});
        SHAPES.put("model.layers.1.mlp.up_proj.weight", new long[] {2100, 1024}); // blocks of rows: 2 in bf16, 3 in f32
        SHAPES.put("model.layers.1.self_attn.q_proj.weight", new long[] {H, H});
        SHAPES.put("model.norm.weight", new long[] {H});
        SHAPES.put("transformer.h.0.attn.c_attn.weight", new long[] {H, 18}); // GPT-2 Conv1D: [in, out]
        SHAPES.put("transformer.h.0.attn.c_proj.weight", new long[] {H, H});
    }

    /** What an adapter does, as the oracle applies it. */
    private sealed interface Edit {}

    /** W + s·B·A, or with the product transposed; A and B are the adapter's tensors of these names. */
    private record LowRank(String module, String aKey, String bKey, int r, double s, boolean transposed) implements Edit {}

    private record Replace(String tensor, String key) implements Edit {}

    private record Bias(String tensor, String key, double s) implements Edit {}

    @TempDir
    static Path dir;

    /** Every tensor written, by "model/name" and "adapter/key", as the exact float values stored. */
    private static final Map<String, float[]> VALUES = new LinkedHashMap<>();
    private static final Map<String, List<Edit>> EDITS = new LinkedHashMap<>();

    @BeforeAll
    static void models() throws IOException {
        for (DType t : List.of(DType.BF16, DType.F32)) {
            List<T> ts = new ArrayList<>();
            long seed = 1;
            for (Map.Entry<String, long[]> e : SHAPES.entrySet()) {
                ts.add(tensor(base(t), e.getKey(), t, e.getValue(), seed++));
            }
            TestModels.write(dir.resolve(base(t)), ts.toArray(T[]::new));
        }
        String q0 = "model.layers.0.self_attn.q_proj";
        String v0 = "model.layers.0.self_attn.v_proj";
        String q1 = "model.layers.1.self_attn.q_proj";
        String up = "model.layers.1.mlp.up_proj";
        String down = "model.layers.0.mlp.down_proj";
        String emb = "model.embed_tokens";
        // r=4, alpha=8; v_proj r=2 (rank_pattern), layers.1 q_proj alpha 3 (alpha_pattern, a regular expression);
        // lora_bias on down_proj, whose bias lora_only also trains; lm_head and the final norm in modules_to_save.
        adapter("lora", """
                "r": 4, "lora_alpha": 8, "use_rslora": false, "fan_in_fan_out": false, "use_dora": false,
                "target_modules": ["q_proj", "v_proj", "up_proj", "down_proj", "embed_tokens"],
                "modules_to_save": ["lm_head", "norm"], "bias": "lora_only", "lora_bias": true,
                "rank_pattern": {"v_proj": 2}, "alpha_pattern": {"layers\\\\.1\\\\.self_attn\\\\.q_proj": 3}
                """, DType.F32, List.of(
                pair(q0, 4, 6, 6, 2.0, false),
                pair(v0, 2, 4, 6, 4.0, false),
                pair(q1, 4, 6, 6, 0.75, false),
                pair(up, 4, 2100, 1024, 2.0, false),
                pair(down, 4, H, 9, 2.0, false),
                new LowRank(emb, emb + ".lora_embedding_A", emb + ".lora_embedding_B", 4, 2.0, true),
                new Bias(down + ".bias", down + ".lora_B.bias", 2.0),
                new Replace(down + ".bias", down + ".base_layer.bias"),
                new Replace("lm_head.weight", "lm_head.weight"),
                new Replace("model.norm.weight", "model.norm.modules_to_save.default.weight")));
        // rsLoRA: alpha / sqrt(r); bf16 factors.
        adapter("rs", "\"r\": 3, \"lora_alpha\": 6, \"use_rslora\": true", DType.BF16,
                List.of(pair(q0, 3, 6, 6, 6 / Math.sqrt(3), false)));
        // GPT-2: fan_in_fan_out, Conv1D weights [in, out]; c_proj is square, so only the setting says which way.
        adapter("gpt", "\"r\": 2, \"lora_alpha\": 5, \"fan_in_fan_out\": true", DType.F32, List.of(
                pair("transformer.h.0.attn.c_attn", 2, 18, H, 2.5, true),
                pair("transformer.h.0.attn.c_proj", 2, H, H, 2.5, true)));
        for (DType t : List.of(DType.BF16, DType.F32)) {
            for (String a : EDITS.keySet()) {
                writeExpected(t, a);
            }
        }
    }

    /** A lora_A/lora_B pair of module {@code m} for a delta of {@code out × in} (before any transpose). */
    private static LowRank pair(String m, int r, int out, int in, double s, boolean transposed) {
        return new LowRank(m, m + ".lora_A.weight", m + ".lora_B.weight", r, s, transposed);
    }

    static Stream<Arguments> runs() {
        List<Arguments> l = new ArrayList<>();
        for (DType t : List.of(DType.BF16, DType.F32)) {
            l.add(Arguments.of(t, 1, false));
            l.add(Arguments.of(t, 2, false));
            l.add(Arguments.of(t, 2, true));
        }
        return l.stream();
    }

    @ParameterizedTest(name = "{0}, {1} thread(s), scratch files {2}")
    @MethodSource("runs")
    void eachAdaptedModelIsTheOraclesModel(DType t, int threads, boolean files) throws Exception {
        for (String a : EDITS.keySet()) {
            String yaml = "merge_method: linear\nmodels:\n  - model: %s\n    parameters: {weight: 1}\n";
            String out = "lin-" + a + "-" + t + "-" + threads + "-" + files;
            int scratch = run(yaml.formatted(base(t) + "+" + a), out, threads, files);
            // Adapted as each tensor is bound, into copies the budget counts: no scratch files, even at the tightest budget.
            assertThat(scratch).as("scratch directories").isEqualTo(0);
            Path expected = EngineRuns.merge(dir, yaml.formatted(expected(t, a)), out + "-expected", EngineRuns.opts(dir, 1, 1 << 20));
            assertSameTensors(dir.resolve(out), expected);
        }
        // The adapters did change what they name, and nothing else.
        try (Checkpoint b = Checkpoint.open(dir.resolve(base(t))); Checkpoint x = Checkpoint.open(dir.resolve("lin-lora-" + t + "-" + threads + "-" + files))) {
            for (TensorInfo ti : b.tensors()) {
                boolean edited = EDITS.get("lora").stream().anyMatch(e -> target(e).equals(ti.name()));
                assertThat(bytes(x, ti.name())).as(ti.name()).matches(v -> java.util.Arrays.equals(v, bytes(b, ti.name())) != edited);
            }
        }
    }

    /** peft without safe_serialization writes adapter_model.bin: the same adapter, the same bytes. */
    @Test
    void anAdapterSavedByTorchIsTheSameAdapter() throws Exception {
        List<T> ts = new ArrayList<>();
        try (Checkpoint c = Checkpoint.open(dir.resolve("lora/adapter_model.safetensors"))) {
            for (TensorInfo ti : c.tensors()) {
                float[] v = new float[(int) ti.elementCount()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = TestModels.get(c.data(ti.name()), ti.dtype(), i);
                }
                ts.add(new T(ti.name(), ti.dtype(), ti.shape(), v));
            }
        }
        Path bin = dir.resolve("lora-bin");
        Files.move(TorchFiles.write(bin, ts.toArray(T[]::new)), bin.resolve("adapter_model.bin"));
        Files.copy(dir.resolve("lora/adapter_config.json"), bin.resolve("adapter_config.json"));
        String yaml = "merge_method: linear\nmodels:\n  - model: %s\n    parameters: {weight: 1}\n";
        DType t = DType.BF16;
        run(yaml.formatted(base(t) + "+lora-bin"), "lin-bin", 2, false);
        Path expected = EngineRuns.merge(dir, yaml.formatted(expected(t, "lora")), "lin-bin-expected", EngineRuns.opts(dir, 1, 1 << 20));
        assertSameTensors(dir.resolve("lin-bin"), expected);
    }

    @ParameterizedTest(name = "{0}, {1} thread(s), scratch files {2}")
    @MethodSource("runs")
    void oneBaseWithTwoAdaptersIsThreeModels(DType t, int threads, boolean files) throws Exception {
        String yaml = """
                merge_method: task_arithmetic
                base_model: %s
                models:
                  - model: %s
                    parameters: {weight: 0.5}
                  - model: %s
                    parameters: {weight: 0.25}
                  - model: %s
                    parameters: {weight: 1}
                out_dtype: float32
                """;
        String out = "ta-" + t + "-" + threads + "-" + files;
        run(yaml.formatted(base(t), base(t) + "+lora", base(t) + "+rs", base(t) + "+gpt"), out, threads, files);
        Path expected = EngineRuns.merge(dir, yaml.formatted(base(t), expected(t, "lora"), expected(t, "rs"), expected(t, "gpt")),
                out + "-expected", EngineRuns.opts(dir, 1, 1 << 20));
        assertSameTensors(dir.resolve(out), expected);
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("." + out));
        }
    }

    /** A model pass reads every tensor before any is bound: its adapted inputs are worked out first (in memory, or in scratch files). */
    @ParameterizedTest(name = "{0}, {1} thread(s), scratch files {2}")
    @MethodSource("runs")
    void aModelPassReadsTheAdaptedModels(DType t, int threads, boolean files) throws Exception {
        String yaml = """
                merge_method: ties
                base_model: %s
                models:
                  - model: %s
                  - model: %s
                parameters: {density: 0.5, scope: model}
                out_dtype: float32
                """;
        String out = "tm-" + t + "-" + threads + "-" + files;
        int scratch = run(yaml.formatted(base(t), base(t) + "+lora", base(t) + "+rs"), out, threads, files);
        assertThat(scratch).as("scratch directories").isEqualTo(files ? 1 : 0);
        Path expected = EngineRuns.merge(dir, yaml.formatted(base(t), expected(t, "lora"), expected(t, "rs")),
                out + "-expected", EngineRuns.opts(dir, 1, 1 << 20));
        assertSameTensors(dir.resolve(out), expected);
    }

    /**
     * Adapted tensors are worked out as they are bound and held until written: the memory estimate
     * counts the largest tensor's copies twice (the oldest tensor with chunks in flight and the one
     * handing them out), three times when binding ahead, not the adapted model.
     */
    @Test
    void theBudgetCountsTheAdaptedTensorsBeingMerged() throws Exception {
        String yaml = "merge_method: linear\nmodels:\n  - model: base-F32+lora\n    parameters: {weight: 1}\n"
                + "  - model: base-F32+rs\n    parameters: {weight: 1}\n";
        long[] largest = {0};
        long[] total = {0};
        MemoryBudget.Demand[] d = new MemoryBudget.Demand[1];
        Exmerge.plan(Exmerge.Source.parse(yaml, "budget"), null, EngineRuns.opts(dir, 1, 64), plan -> {
            for (PlannedTensor t : plan.tensors()) {
                long copies = 0;
                for (TensorSource s : t.models()) {
                    copies += s.edit() != null ? s.info().byteSize() : 0;
                }
                largest[0] = Math.max(largest[0], copies);
                total[0] += copies;
            }
            d[0] = MergeExecutor.demand(plan.tensors());
        });
        assertThat(largest[0]).isPositive().isLessThan(total[0]);
        assertThat(d[0].passBytes()).isEqualTo(2 * largest[0]);
        assertThat(d[0].aheadBytes()).isEqualTo(3 * largest[0]);
    }

    @Test
    void thePlanSaysWhichAdaptersItApplies() throws Exception {
        String yaml = "merge_method: linear\nmodels:\n  - model: base-BF16+lora\n    parameters: {weight: 1}\n"
                + "  - model: base-BF16+rs\n    parameters: {weight: 1}\n  - model: base-BF16\n    parameters: {weight: 1}\n";
        List<String> lines = new ArrayList<>();
        Exmerge.plan(Exmerge.Source.parse(yaml, "plan"), null, EngineRuns.opts(dir, 1, 64), plan -> lines.addAll(plan.adapters()));
        assertThat(lines).containsExactly(
                "model base-BF16+lora: LoRA adapter " + dir.resolve("lora") + ", 9 tensors, r=2..4, alpha=3..8",
                "model base-BF16+rs: LoRA adapter " + dir.resolve("rs") + ", 1 tensor, r=3, alpha=6, rsLoRA");
    }

    /** Merges {@code yaml} into {@code out}; returns how many scratch directories the run made beside the output. */
    private static int run(String yaml, String out, int threads, boolean files) throws Exception {
        MergeOptions opts = EngineRuns.opts(dir, threads, 1 << 16);
        if (files) {
            long[] need = {0};
            MergeOptions o = opts;
            Exmerge.plan(Exmerge.Source.parse(yaml, out), dir.resolve(out), o, plan -> {
                try {
                    need[0] = MergeExecutor.fit(plan, o.run()).needBytes();
                } catch (org.exmerge.error.BudgetException e) {
                    throw new AssertionError(e);
                }
            });
            opts = opts.withRun(opts.run().withMemoryBytes(need[0] + 64)); // 32 bytes spare: less than any adapted tensor
        }
        int[] scratch = {-1};
        ProgressListener look = new ProgressListener() {
            @Override
            public void started(int tensors, long outBytes, long inBytes, String backend, int threadCount) {
                try (Stream<Path> l = Files.list(dir)) {
                    scratch[0] = (int) l.map(p -> p.getFileName().toString())
                            .filter(n -> n.startsWith("." + out + ".tmp-") && !n.endsWith(".lock")).count() - 1;
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
        Exmerge.merge(Exmerge.Source.parse(yaml, out), dir.resolve(out), opts, look);
        return scratch[0];
    }

    private static String base(DType t) {
        return "base-" + t;
    }

    private static String expected(DType t, String adapter) {
        return "expected-" + t + "-" + adapter;
    }

    private static String target(Edit e) {
        return switch (e) {
            case LowRank lr -> lr.module() + ".weight";
            case Replace r -> r.tensor();
            case Bias b -> b.tensor();
        };
    }

    /** A tensor of seeded values that {@code t} holds exactly, remembered under "owner/name". */
    private static T tensor(String owner, String name, DType t, long[] shape, long seed) {
        float[] v = TestModels.random(seed, Math.toIntExact(TestModels.count(shape)), 0.5f);
        if (t == DType.BF16) {
            for (int i = 0; i < v.length; i++) {
                v[i] = Bf16.toFloat(Bf16.fromFloat(v[i]));
            }
        }
        VALUES.put(owner + "/" + name, v);
        return new T(name, t, shape, v);
    }

    /** Writes adapter {@code name}: the factors each edit needs, shaped as peft saves them, and the config. */
    private static void adapter(String name, String fields, DType t, List<Edit> edits) throws IOException {
        List<T> ts = new ArrayList<>();
        long seed = 100 + 50L * EDITS.size();
        for (Edit e : edits) {
            switch (e) {
                case LowRank lr -> {
                    long[] w = SHAPES.get(lr.module() + ".weight");
                    long rows = lr.transposed() ? w[1] : w[0]; // B's rows: the delta's out dimension
                    long cols = lr.transposed() ? w[0] : w[1]; // A's columns: its in dimension
                    ts.add(tensor(name, lr.aKey(), t, new long[] {lr.r(), cols}, seed++));
                    ts.add(tensor(name, lr.bKey(), t, new long[] {rows, lr.r()}, seed++));
                }
                case Replace r -> ts.add(tensor(name, r.key(), DType.F32, SHAPES.get(r.tensor()), seed++));
                case Bias b -> ts.add(tensor(name, b.key(), t, SHAPES.get(b.tensor()), seed++));
            }
        }
        LoraAdapters.write(dir.resolve(name), fields, ts.toArray(T[]::new));
        EDITS.put(name, edits);
    }

    /**
     * The oracle: the base model of type {@code t} with adapter {@code a} applied by hand. A delta
     * element is Σ_k B·A in float64 from +0 in k order, times the scaling, plus the (replaced) value,
     * rounded once to {@code t}.
     */
    private static void writeExpected(DType t, String a) throws IOException {
        Map<String, double[]> values = new LinkedHashMap<>();
        for (String name : SHAPES.keySet()) {
            values.put(name, widen(VALUES.get(base(t) + "/" + name)));
        }
        List<Edit> edits = new ArrayList<>(EDITS.get(a));
        edits.sort((x, y) -> Boolean.compare(!(x instanceof Replace), !(y instanceof Replace))); // replacements first
        for (Edit e : edits) {
            switch (e) {
                case Replace r -> values.put(r.tensor(), widen(VALUES.get(a + "/" + r.key())));
                case Bias b -> {
                    double[] v = values.get(b.tensor());
                    float[] add = VALUES.get(a + "/" + b.key());
                    for (int i = 0; i < v.length; i++) {
                        v[i] = v[i] + b.s() * add[i];
                    }
                }
                case LowRank lr -> {
                    long[] shape = SHAPES.get(lr.module() + ".weight");
                    int rows = Math.toIntExact(shape[0]);
                    int cols = Math.toIntExact(shape[1]);
                    float[] am = VALUES.get(a + "/" + lr.aKey());
                    float[] bm = VALUES.get(a + "/" + lr.bKey());
                    double[] w = values.get(lr.module() + ".weight");
                    int r = lr.r();
                    for (int i = 0; i < rows; i++) {
                        for (int j = 0; j < cols; j++) {
                            double d = 0.0;
                            for (int k = 0; k < r; k++) {
                                // A is [r × in], B [out × r]; transposed, W[i][j] takes delta[j][i].
                                d += lr.transposed() ? (double) bm[j * r + k] * am[k * rows + i] : (double) bm[i * r + k] * am[k * cols + j];
                            }
                            w[i * cols + j] = w[i * cols + j] + lr.s() * d;
                        }
                    }
                }
            }
        }
        List<T> ts = new ArrayList<>();
        for (Map.Entry<String, double[]> e : values.entrySet()) {
            double[] v = e.getValue();
            float[] f = new float[v.length];
            for (int i = 0; i < v.length; i++) {
                f[i] = RoundOracle.value(t, v[i]);
            }
            ts.add(new T(e.getKey(), t, SHAPES.get(e.getKey()), f));
        }
        TestModels.write(dir.resolve(expected(t, a)), ts.toArray(T[]::new));
    }

    private static double[] widen(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    private static byte[] bytes(Checkpoint c, String name) {
        return c.data(name).toArray(ValueLayout.JAVA_BYTE);
    }

    static void assertSameTensors(Path a, Path b) throws IOException {
        try (Checkpoint x = Checkpoint.open(a); Checkpoint y = Checkpoint.open(b)) {
            assertThat(x.tensors()).extracting(TensorInfo::name).containsExactlyElementsOf(y.tensors().stream().map(TensorInfo::name).toList());
            for (TensorInfo t : x.tensors()) {
                assertThat(y.tensor(t.name()).dtype()).as(t.name()).isEqualTo(t.dtype());
                assertThat(bytes(x, t.name())).as(t.name()).isEqualTo(bytes(y, t.name()));
            }
        }
    }
}
