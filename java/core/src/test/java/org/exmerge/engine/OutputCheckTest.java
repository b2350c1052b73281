package org.exmerge.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.exmerge.MergeOptions;
import org.exmerge.format.DType;
import org.exmerge.kernel.ffm.NativeSupport;
import org.exmerge.testing.EngineRuns;
import org.exmerge.testing.TestModels;
import org.exmerge.testing.TestModels.T;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The engine's output check where the kernel makes it (linear, task arithmetic, TIES, per-row
 * nuslerp, whose merges report the first non-finite element they write): the run fails naming the
 * element a whole-tensor scan would find, in a chunk that starts past element 0 and, for nuslerp, in
 * a later row piece of that chunk; on the java backend and on the native one.
 */
class OutputCheckTest {
    @TempDir
    static Path dir;

    /** Four rows of 300: rows of 256 or more go through the linear kernel one row piece at a time. */
    static final long[] SHAPE = {4, 300};
    static final int HOT = 700; // row 2, column 100

    @BeforeAll
    static void models() throws Exception {
        TestModels.write(dir.resolve("a"), new T("w", DType.BF16, SHAPE, filled(1f)));
        TestModels.write(dir.resolve("b"), new T("w", DType.BF16, SHAPE, filled(2f)));
        float[] huge = filled(2f);
        huge[HOT] = 2e38f;
        TestModels.write(dir.resolve("huge"), new T("w", DType.BF16, SHAPE, huge));
        float[] nan = filled(2f);
        nan[HOT] = Float.NaN;
        TestModels.write(dir.resolve("nan"), new T("w", DType.BF16, SHAPE, nan));
    }

    private static float[] filled(float v) {
        float[] f = new float[(int) (SHAPE[0] * SHAPE[1])];
        Arrays.fill(f, v);
        return f;
    }

    static Stream<Arguments> cases() {
        String ties = "merge_method: ties\nbase_model: a\nparameters: {normalize: false}\nmodels:\n"
                + "  - {model: huge, parameters: {weight: 2, density: 1}}\n  - {model: b, parameters: {weight: 1, density: 1}}\n";
        String linear = "merge_method: linear\nparameters: {normalize: false}\nmodels:\n"
                + "  - {model: a, parameters: {weight: 1}}\n  - {model: huge, parameters: {weight: 2}}\n";
        String taskArithmetic = "merge_method: task_arithmetic\nbase_model: a\nmodels:\n"
                + "  - {model: huge, parameters: {weight: 2}}\n  - {model: b, parameters: {weight: 1}}\n";
        String rows = "merge_method: nuslerp\nparameters: {nuslerp_flatten: false}\nmodels:\n"
                + "  - {model: b, parameters: {weight: 1}}\n  - {model: nan, parameters: {weight: 1}}\n";
        return Stream.of("java", "native").flatMap(backend -> Stream.of(
                Arguments.of(backend, "linear", linear, HOT, "+inf"),
                Arguments.of(backend, "task_arithmetic", taskArithmetic, HOT, "+inf"),
                Arguments.of(backend, "ties", ties, HOT, "+inf"),
                Arguments.of(backend, "nuslerp per row", rows, 600, "NaN"))); // row 2's angle is NaN: all of it
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void theRunNamesTheFirstNonFiniteElement(String backend, String label, String yaml, long element, String value) {
        if (backend.equals("native")) {
            Assumptions.assumeTrue(NativeSupport.isAvailable(), "native backend unavailable here");
        }
        // 256-byte chunks: 128 elements, so the element lies in a later chunk, and a row crosses chunks
        MergeOptions o = EngineRuns.opts(dir, 2, 256).withBackend(backend);
        String out = backend + "-" + label.replace(' ', '-');
        NonFiniteException e = catchThrowableOfType(NonFiniteException.class, () -> EngineRuns.merge(dir, yaml, out, o));
        assertThat(e).as(label).isNotNull();
        assertThat(e.element()).as(label).isEqualTo(element);
        assertThat(e.getMessage()).startsWith("tensor 'w': merged value " + value + " at element " + element + " (BF16)");
        assertThat(dir.resolve(out)).doesNotExist();
    }
}
