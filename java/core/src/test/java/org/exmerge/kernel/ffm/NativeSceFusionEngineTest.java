package org.exmerge.kernel.ffm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import org.exmerge.format.DType;
import org.exmerge.kernel.Fallbacks;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole sce and arcee_fusion merges through the public API: the bytes do not depend on the thread
 * count or chunk size, and the native backend writes the java backend's files byte for byte
 * (with mixed input types and every output type) with no op handed to the Java spec.
 */
class NativeSceFusionEngineTest {
    @TempDir
    static Path dir;

    static final String SCE = """
        merge_method: sce
        base_model: base
        models: [{model: sft1}, {model: sft2}, {model: sft3}]
        parameters: {select_topk: 0.4}
        """;
    static final String SCE_ALL = """
        merge_method: sce
        base_model: base
        models: [{model: sft1}, {model: sft2}]
        """;
    static final String FUSION = """
        merge_method: arcee_fusion
        base_model: base
        models: [{model: sft2}]
        """;
    static final String[][] RECIPES = {{"sce", SCE}, {"sce-all", SCE_ALL}, {"arcee_fusion", FUSION}};

    @BeforeAll
    static void models() throws IOException {
        NativeEngineTest.write(dir, "base", 1, DType.BF16);
        NativeEngineTest.write(dir, "sft1", 2, DType.F16);
        NativeEngineTest.write(dir, "sft2", 3, DType.F32);
        NativeEngineTest.write(dir, "sft3", 4, DType.BF16);
    }

    @Test
    void threadsAndChunkSizesNeverChangeABit() throws Exception {
        for (String[] r : RECIPES) {
            byte[] one = NativeEngineTest.merge(dir, r[1], r[0] + "-t1", "java", null, 1, 4 << 20);
            for (int threads : new int[] {2, 5}) {
                for (long chunk : new long[] {6, 1000, 65_538}) {
                    assertThat(NativeEngineTest.merge(dir, r[1], r[0] + "-t" + threads + "-c" + chunk, "java", null, threads,
                            chunk)).as("%s threads %d chunk %d", r[0], threads, chunk).isEqualTo(one);
                }
            }
        }
    }

    @Test
    void theNativeBackendWritesTheJavaBytesWithNoFallback() throws Exception {
        NativeTestSupport.requireNative();
        for (String[] r : RECIPES) {
            for (DType t : new DType[] {null, DType.F16, DType.F32}) {
                String tag = r[0] + "-" + t;
                byte[] java = NativeEngineTest.merge(dir, r[1], tag + "-java", "java", t, 2, 4 << 20);
                var before = NativeKernels.FALLBACKS.snapshot();
                byte[] nat = NativeEngineTest.merge(dir, r[1], tag + "-native", "native", t, 3, 1000);
                assertThat(nat).as("%s with out type %s", r[0], t).isEqualTo(java);
                var fell = Fallbacks.since(before, NativeKernels.FALLBACKS.snapshot());
                assertThat(fell).as("%s ops handed to Java", r[0]).isEmpty();
            }
        }
    }
}
