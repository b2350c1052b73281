package org.exmerge.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.exmerge.Exmerge;
import org.exmerge.MergeOptions;
import org.exmerge.format.DType;
import org.exmerge.numeric.Bf16;
import org.exmerge.testing.EngineRuns;
import org.exmerge.testing.LoraAdapters;
import org.exmerge.testing.RoundOracle;
import org.exmerge.testing.TestModels;
import org.exmerge.testing.TestModels.T;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A LoRA adapter on a fine-tune's embeddings and head, merged under a union tokenizer: the rows are
 * reordered from the adapted tensors, and the rows other models take from it (its new tokens) are
 * adapted rows too. The bytes must be those of the same merge of the fine-tune adapted by hand.
 */
class LoraVocabTest {
    private static final int H = 3;
    private static final int R = 2;

    @TempDir
    static Path dir;

    private static final String UNION = """
            merge_method: linear
            models:
              - model: base
                parameters: {weight: 1}
              - model: %s
                parameters: {weight: 2}
            tokenizer:
              source: union
            """;

    @BeforeAll
    static void models() throws IOException {
        model("base", 1, new String[] {"a", "b", "c", "d", "<s>"}, null);
        String[] sftVocab = {"a", "c", "b", "e", "<s>", "<x>"};
        float[] embA = bf16(TestModels.random(21, R * 6, 0.5f));
        float[] embB = bf16(TestModels.random(22, H * R, 0.5f));
        float[] headA = bf16(TestModels.random(23, R * H, 0.5f));
        float[] headB = bf16(TestModels.random(24, 6 * R, 0.5f));
        float[][] sft = model("sft", 2, sftVocab, null);
        LoraAdapters.write(dir.resolve("emb"), "\"r\": 2, \"lora_alpha\": 4",
                new T("model.embed_tokens.lora_embedding_A", DType.BF16, new long[] {R, 6}, embA),
                new T("model.embed_tokens.lora_embedding_B", DType.BF16, new long[] {H, R}, embB),
                new T("lm_head.lora_A.weight", DType.BF16, new long[] {R, H}, headA),
                new T("lm_head.lora_B.weight", DType.BF16, new long[] {6, R}, headB));
        // The oracle: embedding W[t][j] += 2·Σ_k B[j][k]·A[k][t]; head W[t][j] += 2·Σ_k B[t][k]·A[k][j].
        float[] emb = new float[6 * H];
        float[] head = new float[6 * H];
        for (int t = 0; t < 6; t++) {
            for (int j = 0; j < H; j++) {
                double de = 0;
                double dh = 0;
                for (int k = 0; k < R; k++) {
                    de += (double) embB[j * R + k] * embA[k * 6 + t];
                    dh += (double) headB[t * R + k] * headA[k * H + j];
                }
                emb[t * H + j] = RoundOracle.value(DType.BF16, sft[0][t * H + j] + 2.0 * de);
                head[t * H + j] = RoundOracle.value(DType.BF16, sft[1][t * H + j] + 2.0 * dh);
            }
        }
        model("sft-adapted", 2, sftVocab, new float[][] {emb, head});
    }

    @ParameterizedTest(name = "scratch files {0}")
    @ValueSource(booleans = {false, true})
    void unionRowsComeFromTheAdaptedTensors(boolean files) throws Exception {
        String name = "union-" + files;
        String yaml = UNION.formatted("sft+emb");
        MergeOptions opts = EngineRuns.opts(dir, 2, 64);
        if (files) {
            long[] need = {0};
            Exmerge.plan(Exmerge.Source.parse(yaml, name), dir.resolve(name), opts, plan -> {
                try {
                    need[0] = MergeExecutor.fit(plan, EngineRuns.opts(dir, 2, 64).run()).needBytes();
                } catch (org.exmerge.error.BudgetException e) {
                    throw new AssertionError(e);
                }
            });
            opts = opts.withRun(opts.run().withMemoryBytes(need[0] + 64));
        }
        Exmerge.merge(Exmerge.Source.parse(yaml, name), dir.resolve(name), opts, ProgressListener.NONE);
        Path expected = EngineRuns.merge(dir, UNION.formatted("sft-adapted"), name + "-expected", EngineRuns.opts(dir, 1, 1 << 20));
        LoraMergeTest.assertSameTensors(dir.resolve(name), expected);
        assertThat(Files.readString(dir.resolve(name).resolve("tokenizer.json"))).contains("\"<x>\"");
    }

    private static float[] bf16(float[] v) {
        for (int i = 0; i < v.length; i++) {
            v[i] = Bf16.toFloat(Bf16.fromFloat(v[i]));
        }
        return v;
    }

    /** A bf16 model with this vocabulary (no added tokens but <s>, <x>); returns its embedding and head values. */
    private static float[][] model(String name, long seed, String[] vocab, float[][] embAndHead) throws IOException {
        int rows = vocab.length;
        float[] emb = embAndHead != null ? embAndHead[0] : bf16(TestModels.random(seed, rows * H, 0.5f));
        float[] head = embAndHead != null ? embAndHead[1] : bf16(TestModels.random(seed + 50, rows * H, 0.5f));
        List<T> ts = new ArrayList<>();
        ts.add(new T("model.embed_tokens.weight", DType.BF16, new long[] {rows, H}, emb));
        ts.add(new T("lm_head.weight", DType.BF16, new long[] {rows, H}, head));
        ts.add(new T("model.norm.weight", DType.BF16, new long[] {H}, bf16(TestModels.random(seed + 90, H, 0.5f))));
        TestModels.write(dir.resolve(name), ts.toArray(T[]::new));
        StringBuilder v = new StringBuilder();
        StringBuilder a = new StringBuilder();
        for (int i = 0; i < vocab.length; i++) {
            if (vocab[i].startsWith("<")) {
                a.append(a.isEmpty() ? "" : ", ").append("{\"id\": ").append(i).append(", \"content\": \"").append(vocab[i])
                        .append("\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": true}");
            } else {
                v.append(v.isEmpty() ? "" : ", ").append('"').append(vocab[i]).append("\": ").append(i);
            }
        }
        Files.writeString(dir.resolve(name).resolve("tokenizer.json"), "{\"version\": \"1.0\", \"added_tokens\": [" + a
                + "], \"model\": {\"type\": \"BPE\", \"vocab\": {" + v + "}, \"merges\": []}}");
        Files.writeString(dir.resolve(name).resolve("config.json"), "{\"vocab_size\": " + rows + ", \"hidden_size\": " + H + "}");
        return new float[][] {emb, head};
    }
}
