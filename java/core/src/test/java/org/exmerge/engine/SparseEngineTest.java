package org.exmerge.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.DType;
import org.exmerge.format.TensorInfo;
import org.exmerge.method.ParameterException;
import org.exmerge.method.m3.M3Lambda;
import org.exmerge.numeric.Fnv1a;
import org.exmerge.testing.EngineRuns;
import org.exmerge.testing.SparseOracle.Config;
import org.exmerge.testing.SparseOracle.Kind;
import org.exmerge.testing.SparseOracle;
import org.exmerge.testing.TestModels.T;
import org.exmerge.testing.TestModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sparsify-and-elect methods and M3 through the public API: threads, chunks, model scope, metadata. */
class SparseEngineTest {
    @TempDir
    static Path dir;

    static final String[] RECIPES = {
        """
        merge_method: ties
        base_model: base
        models:
          - {model: sft1, parameters: {density: 0.5, weight: 0.7}}
          - {model: sft2, parameters: {density: 0.3, weight: 0.5}}
          - {model: sft3, parameters: {density: 0.9}}
        """,
        """
        merge_method: ties
        base_model: base
        models: [{model: sft1}, {model: sft2}, {model: sft3}]
        parameters: {density: 0.2, scope: model, consensus: count, normalize: false}
        """,
        """
        merge_method: dare_ties
        base_model: base
        models: [{model: sft1}, {model: sft2}, {model: sft3}]
        parameters: {density: 0.5, weight: 0.6}
        seed: 1234
        """,
        """
        merge_method: dare_linear
        base_model: base
        models: [{model: sft1}, {model: sft2}]
        parameters: {density: 0.4, rescale_norm: l2}
        """,
        """
        merge_method: breadcrumbs_ties
        base_model: base
        models: [{model: sft1}, {model: sft2}]
        parameters: {density: 0.6, gamma: 0.05}
        """,
        """
        merge_method: della
        base_model: base
        models: [{model: sft1}, {model: sft2}, {model: sft3}]
        parameters: {density: 0.5, epsilon: 0.1}
        """,
        """
        merge_method: m3
        base_model: base
        models: [{model: sft1}, {model: sft2}]
        parameters: {base_method: dare_ties, density: 0.7, alpha: 0.5}
        seed: 3
        """,
    };

    @BeforeAll
    static void models() throws IOException {
        write("base", 1, DType.BF16);
        write("sft1", 2, DType.F16);
        write("sft2", 3, DType.F32);
        write("sft3", 4, DType.BF16);
    }

    /** Fine-tunes are the base plus a small delta, as real ones are; every tail size, and an integer tensor. */
    static void write(String name, long seed, DType type) throws IOException {
        List<T> ts = new ArrayList<>();
        int i = 0;
        for (var e : TestModels.tailShapes().entrySet()) {
            int n = (int) TestModels.count(e.getValue());
            float[] base = TestModels.random(100 + i, n, 0.02f);
            float[] delta = TestModels.random(seed * 1000 + i++, n, 0.002f);
            float[] v = new float[n];
            for (int j = 0; j < n; j++) {
                v[j] = base[j] + (seed == 1 ? 0 : delta[j]);
            }
            ts.add(new T(e.getKey(), type, e.getValue(), v));
        }
        ts.add(new T("position_ids", DType.I64, new long[] {3}, new float[] {0, 1, seed}));
        TestModels.write(dir.resolve(name), ts.toArray(T[]::new));
    }



    @Test
    void threadsAndChunkSizesNeverChangeABit() throws Exception {
        for (int r = 0; r < RECIPES.length; r++) {
            byte[] reference = Files.readAllBytes(EngineRuns.merge(dir, RECIPES[r], "r" + r, EngineRuns.opts(dir, 1, 4 << 20)).resolve("model.safetensors"));
            for (int threads : new int[] {2, 7}) {
                for (long chunk : new long[] {6, 1000, 1 << 16}) {
                    Path out = EngineRuns.merge(dir, RECIPES[r], "r" + r + "t" + threads + "c" + chunk, EngineRuns.opts(dir, threads, chunk));
                    assertThat(Files.readAllBytes(out.resolve("model.safetensors")))
                            .as("recipe %d threads %d chunk %d", r, threads, chunk).isEqualTo(reference);
                }
            }
        }
    }

    @Test
    void modelScopeTrimsAtTheModelWideKthMagnitude() throws Exception {
        String yaml = RECIPES[1] + "dtype: float32\n";
        Path out = EngineRuns.merge(dir, yaml, "scope", EngineRuns.opts(dir, 3, 1000));
        String[] models = {"sft1", "sft2", "sft3"};
        try (Checkpoint b = Checkpoint.open(dir.resolve("base")); Checkpoint o = Checkpoint.open(out)) {
            List<TensorInfo> floats = b.tensors().stream().filter(t -> t.dtype().isFloat()).toList();
            float[][][] x = new float[3][floats.size()][];
            float[] threshold = new float[3];
            for (int i = 0; i < 3; i++) {
                try (Checkpoint c = Checkpoint.open(dir.resolve(models[i]))) {
                    List<Float> mags = new ArrayList<>();
                    for (int t = 0; t < floats.size(); t++) {
                        x[i][t] = read(c, floats.get(t).name());
                        float[] bt = read(b, floats.get(t).name());
                        for (int j = 0; j < bt.length; j++) {
                            mags.add(Math.abs(x[i][t][j] - bt[j]));
                        }
                    }
                    mags.sort((p, q) -> Float.compare(q, p));
                    threshold[i] = mags.get((int) Math.floor(0.2 * mags.size()) - 1);
                }
            }
            Config c = Config.of(Kind.MAGNITUDE, new double[] {1, 1, 1}, new double[] {0.2, 0.2, 0.2}).elect(2)
                    .modelThreshold(threshold);
            long kept = 0;
            long total = 0;
            for (int t = 0; t < floats.size(); t++) {
                String name = floats.get(t).name();
                float[] bt = read(b, name);
                float[] expected = SparseOracle.merge(c, bt, new float[][] {x[0][t], x[1][t], x[2][t]}, 1, 0, Fnv1a.hash32(name));
                assertThat(read(o, name)).as(name).containsExactly(expected);
                for (int j = 0; j < bt.length; j++) {
                    kept += Math.abs(x[0][t][j] - bt[j]) >= threshold[0] ? 1 : 0;
                }
                total += bt.length;
            }
            // One threshold for the whole model: per tensor the kept share varies, in total it is the density.
            assertThat((double) kept / total).isCloseTo(0.2, org.assertj.core.data.Offset.offset(0.01));
        }
    }

    @Test
    void modelScopeNeedsOneDensityForTheWholeModel() {
        String yaml = RECIPES[1].replace("density: 0.2,", "density: [{filter: mlp, value: 0.5}, {value: 0.2}],");
        assertThatThrownBy(() -> EngineRuns.merge(dir, yaml, "never", EngineRuns.opts(dir, 2, 1000)))
                .isInstanceOf(ParameterException.class).hasMessageContaining("scope: model").hasMessageContaining("mlp");
        assertThat(dir.resolve("never")).doesNotExist();
    }

    @Test
    void modelScopeOverSlicesNeedsTheSameModelsInEverySlice() throws Exception {
        String same = """
            merge_method: ties
            base_model: base
            slices:
              - sources:
                  - {model: base, layer_range: [0, 2]}
                  - {model: sft1, layer_range: [0, 2]}
                  - {model: sft2, layer_range: [0, 2]}
              - sources:
                  - {model: base, layer_range: [2, 3]}
                  - {model: sft1, layer_range: [2, 3]}
                  - {model: sft2, layer_range: [2, 3]}
            parameters: {density: 0.3, scope: model}
            """;
        byte[] one = Files.readAllBytes(EngineRuns.merge(dir, same, "slices1", EngineRuns.opts(dir, 1, 4 << 20)).resolve("model.safetensors"));
        assertThat(Files.readAllBytes(EngineRuns.merge(dir, same, "slices3", EngineRuns.opts(dir, 3, 100)).resolve("model.safetensors"))).isEqualTo(one);
        String swapped = same.replace("model: sft1, layer_range: [2, 3]", "model: SWAP, layer_range: [2, 3]")
                .replace("model: sft2, layer_range: [2, 3]", "model: sft1, layer_range: [2, 3]")
                .replace("model: SWAP", "model: sft2");
        assertThat(swapped).isNotEqualTo(same);
        assertThatThrownBy(() -> EngineRuns.merge(dir, swapped, "neverSlices", EngineRuns.opts(dir, 2, 1000)))
                .isInstanceOf(ParameterException.class).hasMessageContaining("same models in the same order");
        assertThat(dir.resolve("neverSlices")).doesNotExist();
    }

    @Test
    void m3RecordsItsLambdaAndLambdaOverrideRebuildsTheCandidate() throws Exception {
        Path drawn = EngineRuns.merge(dir, RECIPES[6], "m3", EngineRuns.opts(dir, 2, 1000));
        String recorded;
        try (Checkpoint o = Checkpoint.open(drawn)) {
            recorded = o.metadata().get("exmerge.m3.lambda");
            assertThat(Double.parseDouble(recorded)).isEqualTo(M3Lambda.draw(3, 0.5));
            assertThat(o.metadata()).containsEntry("exmerge.m3.base_method", "dare_ties").containsEntry("exmerge.seed", "3");
        }
        String rebuild = RECIPES[6].replace("alpha: 0.5", "lambda_override: " + recorded);
        Path again = EngineRuns.merge(dir, rebuild, "m3again", EngineRuns.opts(dir, 5, 64));
        try (Checkpoint a = Checkpoint.open(drawn); Checkpoint b = Checkpoint.open(again)) {
            for (TensorInfo t : a.tensors()) {
                assertThat(b.data(t.name()).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).as(t.name())
                        .isEqualTo(a.data(t.name()).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            }
            assertThat(b.metadata()).containsEntry("exmerge.m3.lambda", recorded).containsEntry("exmerge.m3.alpha", "override");
        }
    }

    @Test
    void m3TakesExactlyTwoModels() {
        String three = RECIPES[6].replace("{model: sft2}]", "{model: sft2}, {model: sft3}]");
        assertThatThrownBy(() -> EngineRuns.merge(dir, three, "never3", EngineRuns.opts(dir, 2, 1000)))
                .isInstanceOf(org.exmerge.recipe.ConfigException.class).hasMessageContaining("exactly 2");
    }

    @Test
    void integerTensorsAreCopiedFromTheBase() throws Exception {
        Path out = EngineRuns.merge(dir, RECIPES[5], "ints", EngineRuns.opts(dir, 2, 1000));
        try (Checkpoint o = Checkpoint.open(out)) {
            assertThat(o.data("position_ids").toArray(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED)).containsExactly(0, 1, 1);
        }
    }

    static float[] read(Checkpoint c, String name) {
        TensorInfo t = c.tensor(name);
        float[] v = new float[(int) t.elementCount()];
        for (int j = 0; j < v.length; j++) {
            v[j] = TestModels.get(c.data(name), t.dtype(), j);
        }
        return v;
    }
}
