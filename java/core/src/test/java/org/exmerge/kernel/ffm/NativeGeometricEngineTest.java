package org.exmerge.kernel.ffm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.exmerge.format.DType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole geometric merges through the public API (numerics §4): on models of F32, F16 and BF16 the
 * native backend runs the pair sums and the per-vector linear step (rows, columns, short rows) in C,
 * handing nothing to the Java spec, and writes the java backend's files byte for byte.
 */
class NativeGeometricEngineTest {
    @TempDir
    static Path dir;

    static final String[][] RECIPES = {
        {"slerp", """
            merge_method: slerp
            base_model: base
            models:
              - model: sft1
            parameters: {t: 0.3}
            """},
        {"nuslerp-rows", """
            merge_method: nuslerp
            base_model: base
            models:
              - model: sft1
                parameters: {weight: 0.4}
              - model: sft2
                parameters: {weight: 0.6}
            parameters: {nuslerp_flatten: false}
            """},
        {"nuslerp-columns", """
            merge_method: nuslerp
            models:
              - model: sft1
                parameters: {weight: 0.3}
              - model: sft2
                parameters: {weight: 0.5}
            parameters: {nuslerp_flatten: false, nuslerp_row_wise: true}
            """},
        {"model-stock", """
            merge_method: model_stock
            base_model: base
            models:
              - model: sft1
              - model: sft2
            parameters: {filter_wise: true}
            """},
        {"karcher", """
            merge_method: karcher
            models:
              - model: base
              - model: sft1
              - model: sft2
            """},
    };

    @BeforeEach
    void requireNative() {
        NativeTestSupport.requireNative();
    }

    @BeforeAll
    static void models() throws Exception {
        NativeEngineTest.write(dir, "base", 1, DType.BF16);
        NativeEngineTest.write(dir, "sft1", 2, DType.F16);
        NativeEngineTest.write(dir, "sft2", 3, DType.F32);
    }

    @Test
    void everyGeometricMethodRunsInCAndWritesTheJavaBackendsBytes() throws Exception {
        for (String[] r : RECIPES) {
            for (DType t : new DType[] {DType.BF16, DType.F32}) {
                String tag = r[0] + "-" + t;
                byte[] spec = NativeEngineTest.merge(dir, r[1], tag + "-java", "java", t, 2, 4 << 20);
                assertThat(NativeEngineTest.run(dir, r[1], tag + "-native", "native", t, 3, 1000).fallbacks())
                        .as("%s: ops handed to the Java spec", tag).isEmpty();
                byte[] nat = Files.readAllBytes(dir.resolve(tag + "-native").resolve("model.safetensors"));
                assertThat(nat).as("%s", tag).isEqualTo(spec);
            }
        }
    }
}
