package org.exmerge.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.DType;
import org.exmerge.format.TensorInfo;
import org.exmerge.recipe.ConfigException;
import org.exmerge.testing.EngineRuns;
import org.exmerge.testing.TestModels;
import org.exmerge.testing.TestModels.T;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Models with different tokenizers merged under a tokenizer source: each model's embedding and
 * head rows are reordered into the output vocabulary with mergekit's fill rules, which the test
 * works out by hand below; the merge must give the bytes of the same recipe run on models written
 * already in that order.
 */
class VocabMergeTest {
    private static final int H = 3;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    // base: a b c d <s> and one padding row; sft1: its own order, 'e' and <|im_start|>; sft2: 'f', five rows.
    private static final String[] BASE = {"a", "b", "c", "d", "<s>"};
    private static final String[] SFT1 = {"a", "c", "b", "e", "<s>", "<|im_start|>"};
    private static final String[] SFT2 = {"b", "a", "f", "d", "<s>"};

    private static final String UNION = """
        merge_method: linear
        models:
          - model: base
            parameters: {weight: 1}
          - model: sft1
            parameters: {weight: 2}
          - model: sft2
            parameters: {weight: 4}
        tokenizer:
          source: union
          pad_to_multiple_of: 5
        """;

    @BeforeAll
    static void models() throws IOException {
        model("base", 1, 6, BASE, List.of("<s>"));
        model("sft1", 2, 6, SFT1, List.of("<s>", "<|im_start|>"));
        model("sft2", 3, 5, SFT2, List.of("<s>"));
    }

    /** In memory (the default budget leaves room), and through scratch files (a budget with no room to spare). */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void unionReordersEveryModelsRowsAndFillsTheRest(boolean files) throws Exception {
        String name = files ? "union-files" : "union";
        org.exmerge.MergeOptions defaults = EngineRuns.opts(dir, 2, 64);
        org.exmerge.MergeOptions opts = defaults;
        if (files) {
            long[] need = {0};
            org.exmerge.Exmerge.plan(org.exmerge.Exmerge.Source.parse(UNION, name), dir.resolve(name), defaults, plan -> {
                try {
                    need[0] = MergeExecutor.fit(plan, defaults.run()).needBytes();
                } catch (org.exmerge.error.BudgetException e) {
                    throw new AssertionError(e);
                }
            });
            opts = opts.withRun(opts.run().withMemoryBytes(need[0] + 64)); // 32 bytes spare: less than one reordered tensor
        }
        Path out = dir.resolve(name);
        int[] scratchDirs = {-1};
        ProgressListener look = new ProgressListener() {
            @Override
            public void started(int tensors, long outBytes, long inBytes, String backend, int threads) {
                scratchDirs[0] = temporaries(name).size() - 1; // less the output's own
            }
        };
        org.exmerge.Exmerge.merge(org.exmerge.Exmerge.Source.parse(UNION, name), out, opts, look);
        assertThat(scratchDirs[0]).isEqualTo(files ? 1 : 0);

        // Output ids: the base's five, then the new normal tokens in model order, then the new added one.
        // No base_model: a token two models have is their mean for the third; one model's is copied.
        Src e = at("sft1", 3), f = at("sft2", 2), im = at("sft1", 5);
        writeOrdered("pbase-" + name, "base", pad(at("base", 0), at("base", 1), at("base", 2), at("base", 3), at("base", 4), e, f, im));
        writeOrdered("psft1-" + name, "sft1", pad(at("sft1", 0), at("sft1", 2), at("sft1", 1), mean(at("base", 3), at("sft2", 3)),
                at("sft1", 4), e, f, im));
        writeOrdered("psft2-" + name, "sft2", pad(at("sft2", 1), at("sft2", 0), mean(at("base", 2), at("sft1", 1)), at("sft2", 3),
                at("sft2", 4), e, f, im));
        String plain = UNION.replace("model: base", "model: pbase-" + name).replace("model: sft1", "model: psft1-" + name)
                .replace("model: sft2", "model: psft2-" + name).replace("tokenizer:\n  source: union\n  pad_to_multiple_of: 5\n", "");
        assertThat(plain).doesNotContain("tokenizer");
        Path expected = EngineRuns.merge(dir, plain, name + "-expected", EngineRuns.opts(dir, 1, 1 << 20));
        assertSameTensors(out, expected);

        JsonNode tok = JSON.readTree(out.resolve("tokenizer.json").toFile());
        List<String> added = new ArrayList<>();
        tok.get("added_tokens").forEach(a -> added.add(a.get("id").asInt() + " " + a.get("content").asText() + " " + a.get("special").asBoolean()));
        assertThat(added).containsExactly("4 <s> true", "5 e false", "6 f false", "7 <|im_start|> true");
        assertThat(JSON.readTree(out.resolve("config.json").toFile()).get("vocab_size").asInt()).isEqualTo(10);
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("."));
        }
    }

    @Test
    void theBaseModelsRowIsPreferredAndForcedTokensTakeTheirSource() throws Exception {
        String yaml = """
            merge_method: task_arithmetic
            base_model: base
            models:
              - model: sft1
                parameters: {weight: 0.5}
              - model: sft2
                parameters: {weight: 0.25}
            tokenizer:
              source: base
              tokens:
                "<s>":
                  source: {kind: zero}
                  force: true
                d:
                  source: {kind: model_token, model: sft1, token: e}
            """;
        Path out = EngineRuns.merge(dir, yaml, "based", EngineRuns.opts(dir, 2, 64));
        Src zero = mean();
        // Base vocabulary (a b c d <s>, six rows): the base keeps its padding row 5; the others have
        // none of their own there (sft1's row 5 is a token's, sft2 has five rows): their token rows' mean.
        writeOrdered("qbase", "base", List.of(at("base", 0), at("base", 1), at("base", 2), at("base", 3), zero, at("base", 5)));
        writeOrdered("qsft1", "sft1", List.of(at("sft1", 0), at("sft1", 2), at("sft1", 1), at("sft1", 3), zero, PAD));
        writeOrdered("qsft2", "sft2", List.of(at("sft2", 1), at("sft2", 0), at("base", 2), at("sft2", 3), zero, PAD));
        String plain = yaml.substring(0, yaml.indexOf("tokenizer:")).replace("base_model: base", "base_model: qbase")
                .replace("model: sft1", "model: qsft1").replace("model: sft2", "model: qsft2");
        Path expected = EngineRuns.merge(dir, plain, "based-expected", EngineRuns.opts(dir, 1, 1 << 20));
        assertSameTensors(out, expected);
        assertThat(JSON.readTree(out.resolve("tokenizer.json").toFile()).get("added_tokens")).hasSize(1);
    }

    /**
     * A tokenizer source that is only a tokenizer (mergekit loads any tokenizer): its ids, the base's
     * config, and the base's row count, so its padding row stays.
     */
    @Test
    void aTokenizerWithoutAModelIsASource() throws Exception {
        Path tok = dir.resolve("tokonly");
        Files.createDirectories(tok);
        Files.writeString(tok.resolve("tokenizer.json"), "{\"version\": \"1.0\", \"added_tokens\": [{\"id\": 4, \"content\": \"<s>\","
                + " \"special\": true}], \"model\": {\"type\": \"BPE\", \"vocab\": {\"b\": 0, \"a\": 1, \"c\": 2, \"d\": 3}, \"merges\": []}}");
        Files.writeString(tok.resolve("special_tokens_map.json"), "{\"bos_token\": \"<s>\"}");
        Files.writeString(dir.resolve("base/generation_config.json"), "{\"bos_token_id\": 4}");
        String yaml = """
            merge_method: task_arithmetic
            base_model: base
            models:
              - model: sft1
                parameters: {weight: 0.5}
              - model: sft2
                parameters: {weight: 0.25}
            tokenizer_source: tokonly
            """;
        Path out = EngineRuns.merge(dir, yaml, "tokonly-out", EngineRuns.opts(dir, 2, 64));
        // Output ids b a c d <s>, six rows: a token a model lacks takes the base's row; row 5 is the
        // base's own padding row, and the others' token rows' mean (sft1's row 5 is a token's).
        writeOrdered("tbase", "base", List.of(at("base", 1), at("base", 0), at("base", 2), at("base", 3), at("base", 4), at("base", 5)));
        writeOrdered("tsft1", "sft1", List.of(at("sft1", 2), at("sft1", 0), at("sft1", 1), at("base", 3), at("sft1", 4), PAD));
        writeOrdered("tsft2", "sft2", List.of(at("sft2", 0), at("sft2", 1), at("base", 2), at("sft2", 3), at("sft2", 4), PAD));
        String plain = yaml.replace("tokenizer_source: tokonly\n", "").replace("base_model: base", "base_model: tbase")
                .replace("model: sft1", "model: tsft1").replace("model: sft2", "model: tsft2");
        assertSameTensors(out, EngineRuns.merge(dir, plain, "tokonly-expected", EngineRuns.opts(dir, 1, 1 << 20)));

        assertThat(Files.readString(out.resolve("tokenizer.json"))).isEqualTo(Files.readString(tok.resolve("tokenizer.json")));
        assertThat(out.resolve("special_tokens_map.json")).hasSameTextualContentAs(tok.resolve("special_tokens_map.json"));
        assertThat(out.resolve("generation_config.json")).hasSameTextualContentAs(dir.resolve("base/generation_config.json"));
        JsonNode config = JSON.readTree(out.resolve("config.json").toFile());
        assertThat(config.get("vocab_size").asInt()).isEqualTo(6);
        assertThat(config.get("hidden_size").asInt()).isEqualTo(H);
    }

    /** A directory with neither a model nor a tokenizer is not a tokenizer source: the model error stands. */
    @Test
    void aDirectoryWithNeitherIsAMissingModel() throws Exception {
        Files.createDirectories(dir.resolve("empty-source"));
        String yaml = """
            merge_method: linear
            models:
              - model: base
              - model: sft2
            tokenizer_source: empty-source
            """;
        assertThatThrownBy(() -> EngineRuns.merge(dir, yaml, "empty-source-out", EngineRuns.opts(dir, 1, 64)))
                .hasMessageContaining("empty-source").hasMessageContaining("neither model.safetensors");
        assertThat(dir.resolve("empty-source-out")).doesNotExist();
    }

    @Test
    void identicalTokenizersLeaveTheBytesAsWithoutASource() throws Exception {
        String yaml = """
            merge_method: linear
            models:
              - model: base
                parameters: {weight: 1}
              - model: base2
                parameters: {weight: 3}
            """;
        model("base2", 7, 6, BASE, List.of("<s>"));
        Path with = EngineRuns.merge(dir, yaml + "tokenizer_source: base\n", "same-with", EngineRuns.opts(dir, 2, 64));
        Path without = EngineRuns.merge(dir, yaml, "same-without", EngineRuns.opts(dir, 2, 64));
        assertSameTensors(with, without);
        assertThat(Files.readString(with.resolve("tokenizer.json"))).isEqualTo(Files.readString(dir.resolve("base/tokenizer.json")));
    }

    @Test
    void rowsPastTheOutputVocabularyAreDropped() throws Exception {
        // A fine-tune that grew the embeddings for two tokens, merged under its base's tokenizer.
        model("exact", 11, 5, BASE, List.of("<s>"));
        model("grown", 12, 7, new String[] {"a", "b", "c", "d", "<s>", "<x>", "<y>"}, List.of("<s>", "<x>", "<y>"));
        String yaml = """
            merge_method: linear
            models:
              - model: exact
                parameters: {weight: 1}
              - model: grown
                parameters: {weight: 3}
            """;
        Path out = dir.resolve("grown-out");
        List<String> temps = new ArrayList<>();
        ProgressListener look = new ProgressListener() {
            @Override
            public void started(int tensors, long outBytes, long inBytes, String backend, int threads) {
                temps.addAll(temporaries("grown-out"));
            }
        };
        org.exmerge.Exmerge.merge(org.exmerge.Exmerge.Source.parse(yaml + "tokenizer_source: base\n", "grown-out"), out,
                EngineRuns.opts(dir, 2, 64), look);
        assertThat(temps).as("the output's temporary directory only: the grown rows are read in place").hasSize(1);
        writeOrdered("cut", "grown", List.of(at("grown", 0), at("grown", 1), at("grown", 2), at("grown", 3), at("grown", 4)));
        Path expected = EngineRuns.merge(dir, yaml.replace("model: grown", "model: cut"), "grown-expected", EngineRuns.opts(dir, 1, 1 << 20));
        assertSameTensors(out, expected);
        assertThat(JSON.readTree(out.resolve("config.json").toFile()).get("vocab_size").asInt()).isEqualTo(5);
    }

    @Test
    void aHiddenSizeMismatchIsReportedWhilePlanning() throws Exception {
        List<T> ts = new ArrayList<>();
        ts.add(new T("model.embed_tokens.weight", DType.F32, new long[] {5, H + 1}, new float[5 * (H + 1)]));
        ts.add(new T("lm_head.weight", DType.F32, new long[] {5, H}, new float[5 * H]));
        ts.add(new T("model.norm.weight", DType.F32, new long[] {H}, new float[H]));
        ts.add(new T("model.layers.0.mlp.weight", DType.F32, new long[] {2, H}, new float[2 * H]));
        TestModels.write(dir.resolve("wide"), ts.toArray(T[]::new));
        Files.copy(dir.resolve("base/tokenizer.json"), dir.resolve("wide/tokenizer.json"));
        String yaml = UNION.replace("model: sft2", "model: wide");
        assertThatThrownBy(() -> EngineRuns.merge(dir, yaml, "wide-out", EngineRuns.opts(dir, 1, 64)))
                .isInstanceOf(PlanException.class).hasMessageContaining("tensor 'model.embed_tokens.weight' has shape [5, 4]")
                .hasMessageContaining("needs 5 rows (model 'wide''s embeddings) of [3]");
    }

    @Test
    void tokenSourcesMustExist() {
        String yaml = UNION.replace("pad_to_multiple_of: 5", "tokens: {zz: {source: {kind: model_token, model: sft2, token: e}}}");
        assertThatThrownBy(() -> EngineRuns.merge(dir, yaml, "bad", EngineRuns.opts(dir, 1, 64)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("tokenizer.tokens.zz.source.token")
                .hasMessageContaining("model 'sft2' has no token 'e'");
        String other = UNION.replace("pad_to_multiple_of: 5", "tokens: {zz: {source: elsewhere}}");
        assertThatThrownBy(() -> EngineRuns.merge(dir, other, "bad", EngineRuns.opts(dir, 1, 64)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'elsewhere' is not one of the merge's models");
        assertThat(dir.resolve("bad")).doesNotExist();
    }

    // --- models and the oracle's helpers ---

    /** The temporary directories beside {@code dir/out}: the output's own, and a run's scratch files. */
    private static List<String> temporaries(String out) {
        try (Stream<Path> l = Files.list(dir)) {
            return l.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("." + out + ".tmp-") && !n.endsWith(".lock")).toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void model(String name, long seed, int rows, String[] vocab, List<String> added) throws IOException {
        List<T> ts = new ArrayList<>();
        ts.add(new T("model.embed_tokens.weight", DType.F32, new long[] {rows, H}, TestModels.random(seed, rows * H, 0.5f)));
        ts.add(new T("lm_head.weight", DType.F32, new long[] {rows, H}, TestModels.random(seed + 50, rows * H, 0.5f)));
        ts.add(new T("model.norm.weight", DType.F32, new long[] {H}, TestModels.random(seed + 90, H, 0.5f)));
        ts.add(new T("model.layers.0.mlp.weight", DType.F32, new long[] {2, H}, TestModels.random(seed + 70, 2 * H, 0.5f)));
        TestModels.write(dir.resolve(name), ts.toArray(T[]::new));
        StringBuilder v = new StringBuilder();
        StringBuilder a = new StringBuilder();
        for (int i = 0; i < vocab.length; i++) {
            if (added.contains(vocab[i])) {
                a.append(a.isEmpty() ? "" : ", ").append("{\"id\": ").append(i).append(", \"content\": \"").append(vocab[i])
                        .append("\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": true}");
            } else {
                v.append(v.isEmpty() ? "" : ", ").append('"').append(vocab[i]).append("\": ").append(i);
            }
        }
        Files.writeString(dir.resolve(name).resolve("tokenizer.json"), "{\"version\": \"1.0\", \"added_tokens\": [" + a
                + "], \"model\": {\"type\": \"BPE\", \"vocab\": {" + v + "}, \"merges\": []}}");
        Files.writeString(dir.resolve(name).resolve("config.json"), "{\"vocab_size\": " + rows + ", \"hidden_size\": " + H + "}");
    }

    /** An oracle row: the mean of these models' rows of the same tensor (none: zeros), or the model's token rows' mean. */
    private record Src(List<String> models, List<Integer> rows) {}

    private static final Src PAD = new Src(null, null);

    private static Src at(String model, int row) {
        return new Src(List.of(model), List.of(row));
    }

    private static Src mean(Src... ones) {
        List<String> m = new ArrayList<>();
        List<Integer> r = new ArrayList<>();
        for (Src s : ones) {
            m.addAll(s.models());
            r.addAll(s.rows());
        }
        return new Src(m, r);
    }

    /** Eight token rows, then two padding rows. */
    private static List<Src> pad(Src... tokens) {
        List<Src> l = new ArrayList<>(List.of(tokens));
        l.add(PAD);
        l.add(PAD);
        return l;
    }

    /** A copy of {@code like}'s tensors with both token-indexed tensors' rows made as {@code order} says. */
    private static void writeOrdered(String name, String like, List<Src> order) throws IOException {
        List<T> ts = new ArrayList<>();
        try (Checkpoint c = Checkpoint.open(dir.resolve(like))) {
            for (TensorInfo t : c.tensors()) {
                boolean vocab = t.name().equals("model.embed_tokens.weight") || t.name().equals("lm_head.weight");
                ts.add(vocab ? new T(t.name(), t.dtype(), new long[] {order.size(), H}, flat(build(t.name(), order)))
                        : new T(t.name(), t.dtype(), t.shape(), values(c, t)));
            }
        }
        TestModels.write(dir.resolve(name), ts.toArray(T[]::new));
    }

    private static float[][] build(String tensor, List<Src> order) throws IOException {
        float[][] out = new float[order.size()][];
        List<float[]> tokenRows = new ArrayList<>();
        for (int r = 0; r < out.length; r++) {
            Src s = order.get(r);
            if (s != PAD) {
                float[][] picked = new float[s.models().size()][];
                for (int i = 0; i < picked.length; i++) {
                    picked[i] = rows(s.models().get(i), tensor)[s.rows().get(i)];
                }
                out[r] = average(picked);
                tokenRows.add(out[r]);
            }
        }
        float[] padRow = average(tokenRows.toArray(float[][]::new));
        for (int r = 0; r < out.length; r++) {
            if (out[r] == null) {
                out[r] = padRow;
            }
        }
        return out;
    }

    private static float[][] rows(String model, String tensor) throws IOException {
        try (Checkpoint c = Checkpoint.open(dir.resolve(model))) {
            TensorInfo t = c.tensor(tensor);
            float[] v = values(c, t);
            float[][] r = new float[(int) t.dim(0)][];
            for (int i = 0; i < r.length; i++) {
                r[i] = java.util.Arrays.copyOfRange(v, i * H, i * H + H);
            }
            return r;
        }
    }

    private static float[] values(Checkpoint c, TensorInfo t) {
        float[] v = new float[(int) t.elementCount()];
        for (int i = 0; i < v.length; i++) {
            v[i] = TestModels.get(c.data(t.name()), t.dtype(), i);
        }
        return v;
    }

    /** The spec's mean: float64 sum in order, divided, rounded to float32; no rows: zeros. */
    private static float[] average(float[][] rows) {
        float[] m = new float[H];
        for (int j = 0; j < H && rows.length > 0; j++) {
            double sum = 0;
            for (float[] r : rows) {
                sum += r[j];
            }
            m[j] = (float) (sum / rows.length);
        }
        return m;
    }

    private static float[] flat(float[][] rows) {
        float[] f = new float[rows.length * H];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, f, i * H, H);
        }
        return f;
    }

    private static void assertSameTensors(Path a, Path b) throws IOException {
        try (Checkpoint x = Checkpoint.open(a); Checkpoint y = Checkpoint.open(b)) {
            assertThat(x.tensors()).extracting(TensorInfo::name).containsExactlyElementsOf(y.tensors().stream().map(TensorInfo::name).toList());
            for (TensorInfo t : x.tensors()) {
                assertThat(y.tensor(t.name()).shape()).as(t.name()).containsExactly(t.shape());
                assertThat(x.data(t.name()).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))
                        .as(t.name()).containsExactly(y.data(t.name()).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            }
        }
    }
}
