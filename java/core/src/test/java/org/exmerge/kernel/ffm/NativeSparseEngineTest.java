package org.exmerge.kernel.ffm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import org.exmerge.format.DType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole TIES / DARE / breadcrumbs / DELLA / ram / ramplus_tl merges through the public API: the native backend writes
 * the java backend's files byte for byte, with mixed input types, every output type, and odd chunk
 * sizes and thread counts (chunks start at absolute offsets the kernels must honour).
 */
class NativeSparseEngineTest {
    @TempDir
    static Path dir;

    static final String TIES = """
        merge_method: ties
        base_model: base
        models:
          - model: sft1
            parameters: {weight: 0.7, density: 0.3}
          - model: sft2
            parameters: {weight: [0.2, 0.9], density: 0.55}
          - model: sft3
            parameters: {weight: -0.4, density: 0.2}
        parameters:
          lambda: 0.9
        """;

    static final String TIES_COUNT = """
        merge_method: ties
        base_model: base
        models:
          - model: sft1
            parameters: {density: 0.5}
          - model: sft2
            parameters: {density: 0.5}
          - model: sft3
            parameters: {density: 1}
        parameters:
          consensus: count
          scope: model
        """;

    static final String DARE_TIES = """
        merge_method: dare_ties
        base_model: base
        models:
          - model: sft1
            parameters: {weight: 0.6, density: 0.4}
          - model: sft2
            parameters: {weight: 0.5, density: 0.7}
          - model: sft3
            parameters: {weight: 0.3, density: 1}
        """;

    static final String DARE_LINEAR = """
        merge_method: dare_linear
        base_model: base
        models:
          - model: sft1
            parameters: {weight: 0.6, density: 0.25}
          - model: sft2
            parameters: {weight: 0.4, density: 0.9}
        parameters:
          normalize: true
          lambda: 1.1
        """;

    static final String BREADCRUMBS_TIES = """
        merge_method: breadcrumbs_ties
        base_model: base
        models:
          - model: sft1
            parameters: {weight: 0.5, density: 0.6, gamma: 0.05}
          - model: sft2
            parameters: {weight: 0.5, density: 0.3}
          - model: sft3
            parameters: {weight: 0.5, density: 0.9, gamma: 0}
        parameters:
          rescale: true
        """;

    static final String DELLA = """
        merge_method: della
        base_model: base
        models:
          - model: sft1
            parameters: {weight: 0.6, density: 0.5}
          - model: sft2
            parameters: {weight: 0.4, density: 0.6, epsilon: 0.1}
        """;

    static final String DELLA_NORM = """
        merge_method: della_linear
        base_model: base
        models:
          - model: sft1
            parameters: {weight: 0.6, density: 0.4, epsilon: 0.2}
          - model: sft2
            parameters: {weight: 0.5, density: 0.7}
        parameters:
          rescale_norm: l1
        """;

    static final String DARE_NORM = """
        merge_method: dare_ties
        base_model: base
        models:
          - model: sft1
            parameters: {weight: 0.6, density: 0.4}
          - model: sft2
            parameters: {weight: 0.5, density: 0.7}
        parameters:
          rescale_norm: l2
        """;

    static final String RAM = """
        merge_method: ram
        base_model: base
        models:
          - model: sft1
          - model: sft2
          - model: sft3
        parameters:
          epsilon: 0.01
        """;

    // epsilon about the size of the task vectors (the models differ by ~0.02): lone and shared values
    // in every model, and ρ below alpha, so each λ_i is a ratio of its own.
    static final String RAMPLUS = """
        merge_method: ramplus_tl
        base_model: base
        models:
          - model: sft1
          - model: sft2
          - model: sft3
        parameters:
          epsilon: 0.02
          r: 0.5
          alpha: 5
        """;

    @BeforeEach
    void requireNative() {
        NativeTestSupport.requireNative();
    }

    @BeforeAll
    static void models() throws IOException {
        NativeEngineTest.write(dir, "base", 1, DType.BF16);
        NativeEngineTest.write(dir, "sft1", 2, DType.F16);
        NativeEngineTest.write(dir, "sft2", 3, DType.F32);
        NativeEngineTest.write(dir, "sft3", 4, DType.BF16);
    }

    @Test
    void everySparsifyRecipeAndOutputTypeIsByteIdenticalToTheJavaBackend() throws Exception {
        String[][] recipes = {{"ties", TIES}, {"ties-count-model", TIES_COUNT}, {"dare_ties", DARE_TIES},
            {"dare_linear", DARE_LINEAR}, {"breadcrumbs_ties", BREADCRUMBS_TIES}, {"della", DELLA},
            {"dare-l2", DARE_NORM}, {"della-l1", DELLA_NORM}, {"ram", RAM}, {"ramplus_tl", RAMPLUS}};
        for (String[] r : recipes) {
            for (DType t : new DType[] {null, DType.F16, DType.F32}) {
                String tag = r[0] + "-" + t;
                byte[] java = NativeEngineTest.merge(dir, r[1], tag + "-java", "java", t, 2, 4 << 20);
                byte[] nat = NativeEngineTest.merge(dir, r[1], tag + "-native", "native", t, 2, 4 << 20);
                assertThat(nat).as("%s with out type %s", r[0], t).isEqualTo(java);
            }
        }
    }

    @Test
    void dellaAndRamplusRunNativelyNotDelegatedToTheJavaSpec() throws Exception {
        for (String[] r : new String[][] {{"della", DELLA}, {"della-l1", DELLA_NORM}, {"ramplus_tl", RAMPLUS}}) {
            byte[] java = NativeEngineTest.merge(dir, r[1], r[0] + "-deleg-java", "java", null, 2, 4 << 20);
            var before = NativeKernels.FALLBACKS.snapshot();
            byte[] nat = NativeEngineTest.merge(dir, r[1], r[0] + "-deleg-native", "native", null, 2, 4 << 20);
            assertThat(org.exmerge.kernel.Fallbacks.since(before, NativeKernels.FALLBACKS.snapshot()))
                    .as("%s calls delegated to Java", r[0]).isEmpty();
            assertThat(nat).as(r[0]).isEqualTo(java);
        }
    }

    @Test
    void oddChunkSizesAndThreadCountsDoNotChangeTheNativeBytes() throws Exception {
        for (String[] r : new String[][] {{"ties", TIES}, {"dare_ties", DARE_TIES}, {"della", DELLA},
            {"ramplus_tl", RAMPLUS}}) {
            byte[] java = NativeEngineTest.merge(dir, r[1], r[0] + "-chunks-java", "java", null, 1, 4 << 20);
            for (long chunk : new long[] {6, 1000, 65_538}) {
                for (int threads : new int[] {1, 3}) {
                    assertThat(NativeEngineTest.merge(dir, r[1], r[0] + "-chunks-" + chunk + "-" + threads, "native", null,
                            threads, chunk)).as("%s chunk %d threads %d", r[0], chunk, threads).isEqualTo(java);
                }
            }
        }
    }
}
