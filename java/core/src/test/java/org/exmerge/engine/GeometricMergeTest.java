package org.exmerge.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.exmerge.Exmerge;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.DType;
import org.exmerge.format.TensorInfo;
import org.exmerge.numeric.Bf16;
import org.exmerge.recipe.ConfigException;
import org.exmerge.testing.GeometryOracle;
import org.exmerge.testing.EngineRuns;
import org.exmerge.testing.TestModels;
import org.exmerge.testing.TestModels.T;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** slerp, nuslerp, model_stock and karcher through the public API: exact, and the same bytes for any threads and chunks. */
class GeometricMergeTest {
    @TempDir
    static Path dir;

    static final String SLERP = """
        merge_method: slerp
        base_model: base
        models:
          - model: base
          - model: sft1
        parameters:
          t:
            - filter: self_attn
              value: [0.1, 0.9]
            - value: 0.35
          int8_mask: true
        """;

    static final List<String> RECIPES = List.of(SLERP, """
        merge_method: nuslerp
        base_model: base
        models:
          - model: sft1
            parameters: {weight: 0.3}
          - model: sft2
            parameters: {weight: 0.7}
        parameters: {nuslerp_flatten: false, nuslerp_row_wise: true}
        """, """
        merge_method: nuslerp
        models:
          - model: sft1
            parameters: {weight: 1.0}
          - model: sft2
            parameters: {weight: [0.2, 2.0]}
        parameters: {nuslerp_flatten: false}
        dtype: float32
        """, """
        merge_method: model_stock
        base_model: base
        models: [sft1, sft2, sft3]
        parameters: {filter_wise: true}
        """, """
        merge_method: karcher
        models: [sft1, sft2, sft3]
        parameters: {max_iter: 20, tol: 1.0e-7}
        """);

    @BeforeAll
    static void models() throws IOException {
        write("base", 1, DType.BF16);
        write("sft1", 2, DType.F16);
        write("sft2", 3, DType.F32);
        write("sft3", 4, DType.BF16);
    }

    static void write(String name, long seed, DType type) throws IOException {
        List<T> ts = new ArrayList<>();
        int i = 0;
        for (var e : TestModels.tailShapes().entrySet()) {
            ts.add(new T(e.getKey(), type, e.getValue(), TestModels.random(seed * 100 + i++, (int) TestModels.count(e.getValue()), 0.02f)));
        }
        ts.add(new T("position_ids", DType.I64, new long[] {3}, new float[] {0, 1, seed}));
        TestModels.write(dir.resolve(name), ts.toArray(T[]::new));
    }



    @Test
    void threadsAndChunkSizesNeverChangeABit() throws Exception {
        for (int r = 0; r < RECIPES.size(); r++) {
            byte[] reference = Files.readAllBytes(EngineRuns.merge(dir, RECIPES.get(r), "r" + r, EngineRuns.opts(dir, 1, 4 << 20)).resolve("model.safetensors"));
            for (int threads : new int[] {2, 7}) {
                for (long chunk : new long[] {6, 1000, 1 << 16}) {
                    Path out = EngineRuns.merge(dir, RECIPES.get(r), "r" + r + "t" + threads + "c" + chunk, EngineRuns.opts(dir, threads, chunk));
                    assertThat(Files.readAllBytes(out.resolve("model.safetensors")))
                            .as("recipe %d threads %d chunk %d", r, threads, chunk).isEqualTo(reference);
                }
            }
        }
    }

    @Test
    void slerpEqualsTheSpecTensorByTensor() throws Exception {
        Path out = EngineRuns.merge(dir, SLERP, "slerp", EngineRuns.opts(dir, 3, 1000));
        try (Checkpoint b = Checkpoint.open(dir.resolve("base")); Checkpoint x = Checkpoint.open(dir.resolve("sft1"));
             Checkpoint o = Checkpoint.open(out)) {
            for (TensorInfo t : b.tensors()) {
                if (!t.dtype().isFloat()) {
                    assertThat(o.data(t.name()).mismatch(b.data(t.name()))).as("copied from the base").isEqualTo(-1L);
                    continue;
                }
                int n = (int) t.elementCount();
                float[] v1 = new float[n];
                float[] v2 = new float[n];
                for (int j = 0; j < n; j++) {
                    v1[j] = TestModels.get(b.data(t.name()), DType.BF16, j);
                    v2[j] = TestModels.get(x.data(t.name()), DType.F16, j);
                }
                // Three layers: t = 0.1, 0.5, 0.9 for self_attn across them; 0.35 elsewhere.
                double tt = t.name().equals("model.layers.2.self_attn.q_proj.weight") ? 0.9 : 0.35;
                double[] c = GeometryOracle.slerpCoefficients(tt, v1, v2);
                assertThat(o.tensor(t.name()).dtype()).isEqualTo(DType.BF16);
                for (int j = 0; j < n; j++) {
                    short expected = Bf16.fromFloat(GeometryOracle.combine(c[0], c[1], v1[j], v2[j]));
                    assertThat(o.data(t.name()).get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 2L * j))
                            .as("%s[%d]", t.name(), j).isEqualTo(expected);
                }
            }
        }
    }

    /** mergekit reads only the method's own parameters: one another method takes is ignored, with a notice; the bytes are the same. */
    @Test
    void aParameterAnotherMethodTakesIsIgnoredWithANotice() throws Exception {
        String extra = SLERP.replace("  int8_mask: true\n", "  int8_mask: true\n  normalize: true\n")
                .replace("  - model: sft1\n", "  - model: sft1\n    parameters: {density: 0.5}\n");
        List<String> notices = new ArrayList<>();
        Path with = dir.resolve("ignored-with");
        Exmerge.merge(Exmerge.Source.parse(extra, "extra"), with, EngineRuns.opts(dir, 2, 1000), new ProgressListener() {
            @Override
            public void notice(String message) {
                notices.add(message);
            }
        });
        assertThat(notices).contains("parameters.normalize: slerp takes no parameter 'normalize'; it is ignored, as mergekit ignores it",
                "models[1].parameters.density: slerp takes no parameter 'density'; it is ignored, as mergekit ignores it");
        Path without = EngineRuns.merge(dir, SLERP, "ignored-without", EngineRuns.opts(dir, 2, 1000));
        try (Checkpoint a = Checkpoint.open(with); Checkpoint b = Checkpoint.open(without)) {
            for (var t : a.tensors()) {
                assertThat(a.data(t.name()).mismatch(b.data(t.name()))).as(t.name()).isEqualTo(-1L);
            }
        }
    }

    @Test
    void methodShapesAreCheckedBeforeAnyOutput() {
        String twoOthers = SLERP.replace("  - model: base\n", "  - model: sft2\n");
        assertThatThrownBy(() -> EngineRuns.merge(dir, twoOthers, "never", EngineRuns.opts(dir, 2, 1000)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("slerp takes exactly 1 model(s) besides the base, 2 given");
        String noT = SLERP.replace("  t:", "  tt:");
        assertThatThrownBy(() -> EngineRuns.merge(dir, noT, "never", EngineRuns.opts(dir, 2, 1000)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("parameters.tt").hasMessageContaining("known here: int8_mask, t");
        String karcherWithBase = RECIPES.get(4).replace("models:", "base_model: base\nmodels:");
        assertThatThrownBy(() -> EngineRuns.merge(dir, karcherWithBase, "never", EngineRuns.opts(dir, 2, 1000)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("base_model 'base' is not among the inputs");
        String stockOfOne = RECIPES.get(3).replace("[sft1, sft2, sft3]", "[sft1]");
        assertThatThrownBy(() -> EngineRuns.merge(dir, stockOfOne, "never", EngineRuns.opts(dir, 2, 1000)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("model_stock takes at least 2");
        String noWeight = RECIPES.get(1).replace("parameters: {weight: 0.7}", "parameters: {}");
        assertThatThrownBy(() -> EngineRuns.merge(dir, noWeight, "never", EngineRuns.opts(dir, 2, 1000)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("models[1].parameters.weight")
                .hasMessageContaining("(tensor a.empty)");
        String int8 = SLERP.replace("int8_mask: true", "int8_mask: maybe");
        assertThatThrownBy(() -> EngineRuns.merge(dir, int8, "never", EngineRuns.opts(dir, 2, 1000)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("parameters.int8_mask");
        assertThat(dir.resolve("never")).doesNotExist();
    }
}
