package org.exmerge.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.exmerge.Exmerge;
import org.exmerge.MergeOptions;
import org.exmerge.error.BudgetException;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.DType;
import org.exmerge.testing.EngineRuns;
import org.exmerge.testing.TestModels;
import org.exmerge.testing.TestModels.T;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The budget through the API: shared mappings for repeated models, fitted runs write the same bytes. */
class MemoryBudgetMergeTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void models() throws Exception {
        for (int m = 1; m <= 2; m++) {
            TestModels.write(dir.resolve("sft" + m),
                    new T("big", DType.BF16, new long[] {300, 1000}, TestModels.random(10L * m, 300_000, 0.02f)),
                    new T("small", DType.F32, new long[] {77}, TestModels.random(10L * m + 1, 77, 0.02f)));
        }
        Files.createSymbolicLink(dir.resolve("link1"), dir.resolve("sft1"));
    }

    /** A linear soup naming sft1 and sft2 through several spellings, {@code n} entries. */
    static String soup(int n) {
        StringBuilder y = new StringBuilder("merge_method: linear\nmodels:\n");
        String[] names = {"sft1", "sft2", "./sft1", "link1", "../" + dir.getFileName() + "/sft2"};
        for (int i = 0; i < n; i++) {
            y.append("  - model: ").append(names[i % names.length]).append("\n    parameters: {weight: ").append(1 + i % 3).append("}\n");
        }
        return y.append("dtype: bfloat16\n").toString();
    }

    @Test
    void namesOfOneFileShareOneCheckpoint() throws Exception {
        try (ModelSet set = new ModelSet(new ModelLocator(dir, null))) {
            Checkpoint a = set.get("sft1");
            assertThat(set.get("./sft1")).isSameAs(a);
            assertThat(set.get("link1")).isSameAs(a);
            assertThat(set.get("sft2")).isNotSameAs(a);
        }
    }

    @Test
    void aSoupReadsEachDistinctInputOnce() throws Exception {
        Exmerge.plan(Exmerge.Source.parse(soup(50), "soup"), null, MergeOptions.defaults().withModelsDir(dir), plan -> {
            assertThat(plan.tensors().getFirst().models()).hasSize(50); // one input per entry
            MemoryBudget.Demand d = MergeExecutor.demand(plan.tensors());
            assertThat(d.rangesPerChunk()).isEqualTo(2);
            // small: two F32 inputs into a bf16 output; big: two bf16 inputs into bf16.
            assertThat(d.inputPerOutputByte()).isEqualTo(4.0);
            assertThat(d.passBytes()).as("linear reads nothing at bind time").isZero();
        });
    }

    @Test
    void passesOfNeighbouringTensorsCountTogether() throws Exception {
        // slerp reads both tensors at bind time; the binding runs a tensor ahead, so the second
        // tensor's pass may run while the first one's pages are still mapped.
        String slerp = "merge_method: slerp\nbase_model: sft1\nmodels:\n  - model: sft1\n  - model: sft2\nparameters: {t: 0.3}\n";
        Exmerge.plan(Exmerge.Source.parse(slerp, "slerp"), null, MergeOptions.defaults().withModelsDir(dir), plan -> {
            MemoryBudget.Demand d = MergeExecutor.demand(plan.tensors());
            assertThat(plan.tensors()).extracting(PlannedTensor::name).containsExactly("big", "small");
            assertThat(d.passBytes()).isEqualTo(2L * (2 * 300_000));
            assertThat(d.passTensor()).isEqualTo("big");
            assertThat(d.aheadBytes()).isEqualTo(2L * (2 * 300_000) + 2L * (4 * 77));
        });
        // A recipe with no bind-time pass holds none, ahead or not.
        String soup = "merge_method: linear\nmodels:\n  - model: sft1\n  - model: sft2\n";
        Exmerge.plan(Exmerge.Source.parse(soup, "soup"), null, MergeOptions.defaults().withModelsDir(dir),
                plan -> assertThat(MergeExecutor.demand(plan.tensors()).aheadBytes()).isZero());
    }

    @Test
    void fittedRunsWriteTheSameBytes() throws Exception {
        String yaml = soup(40);
        Path plain = EngineRuns.merge(dir, yaml, "plain", EngineRuns.opts(dir, 1, 4 << 20));
        List<String> notices = new ArrayList<>();
        ProgressListener heard = new ProgressListener() {
            @Override
            public void notice(String message) {
                notices.add(message);
            }
        };
        // 1.5 MB: 1 thread with ~250 kB chunks (1 buffer, 2 ranges of 4 input bytes per output byte).
        MergeOptions tight = EngineRuns.opts(dir, 100_000, 4 << 20).withMemory(1_500_000);
        Path fitted = dir.resolve("fitted");
        Exmerge.merge(Exmerge.Source.parse(yaml, "soup"), fitted, tight, heard);
        assertThat(notices).isNotEmpty().allSatisfy(n -> assertThat(n).doesNotContain("\n"));
        assertThat(notices.getFirst()).startsWith("100000 threads requested, ");
        try (Checkpoint a = Checkpoint.open(plain); Checkpoint b = Checkpoint.open(fitted)) {
            for (var t : a.tensors()) {
                assertThat(a.data(t.name()).mismatch(b.data(t.name()))).as(t.name()).isEqualTo(-1L);
            }
        }
    }

    @Test
    void aBudgetTooSmallForTheWholeTensorPassIsRefusedBeforeAnyOutput() {
        String slerp = """
            merge_method: slerp
            base_model: sft1
            models:
              - model: sft1
              - model: sft2
            parameters: {t: 0.3}
            dtype: bfloat16
            """;
        Path out = dir.resolve("refused");
        assertThatThrownBy(() -> EngineRuns.merge(dir, slerp, "refused", EngineRuns.opts(dir, 2, 4 << 20).withMemory(1_000_000)))
                .isInstanceOf(BudgetException.class)
                .hasMessageContaining("whole-tensor pass over 'big' 1.")
                .hasMessageContaining("memory budget 1.0 MB (--memory) is too small");
        assertThat(out).doesNotExist();
    }
}
