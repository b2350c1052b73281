package org.exmerge.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.exmerge.MergeOptions;
import org.exmerge.error.ExmergeException;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.DType;
import org.exmerge.testing.EngineRuns;
import org.exmerge.testing.TestModels;
import org.exmerge.testing.TestModels.T;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Merges that must fail with one line naming the tensor or file and the reason, and the kind that picks the exit code. */
class RunErrorsTest {
    @TempDir
    static Path dir;

    static final long[] SHAPE = {3, 5};

    static float[] ones(float v) {
        float[] f = new float[15];
        java.util.Arrays.fill(f, v);
        return f;
    }

    @BeforeAll
    static void models() throws Exception {
        TestModels.write(dir.resolve("a"), new T("w", DType.BF16, SHAPE, ones(1)), new T("ids", DType.I32, new long[] {4}, new float[] {0, 1, 2, 3}));
        TestModels.write(dir.resolve("b"), new T("w", DType.BF16, SHAPE, ones(2)), new T("ids", DType.I32, new long[] {4}, new float[] {0, 1, 2, 7}));
        TestModels.write(dir.resolve("bf"), new T("w", DType.BF16, SHAPE, ones(2)), new T("ids", DType.BF16, new long[] {4}, new float[] {0, 1, 2, 3}));
        float[] nan = ones(1);
        nan[7] = Float.NaN;
        TestModels.write(dir.resolve("esc"), new T("w", DType.BF16, SHAPE, ones(1)), new T("w\u001b[31m\nx", DType.BF16, SHAPE, ones(1)),
                new T("ids", DType.I32, new long[] {4}, new float[] {0, 1, 2, 3}));
        TestModels.write(dir.resolve("nan"), new T("w", DType.BF16, SHAPE, nan), new T("ids", DType.I32, new long[] {4}, new float[] {0, 1, 2, 3}));
    }

    static MergeOptions opts() {
        return EngineRuns.opts(dir, 2, 8); // 8-byte chunks: the check runs on every chunk, not only the first
    }

    static String linear(String a, String b, double wa, double wb) {
        return "merge_method: linear\nparameters: {normalize: false}\nmodels:\n  - model: " + a + "\n    parameters: {weight: " + wa
                + "}\n  - model: " + b + "\n    parameters: {weight: " + wb + "}\n";
    }

    @Test
    void integerAgainstFloatOfTheSameNameIsAnError() {
        PlanException e = catchThrowableOfType(PlanException.class,
                () -> EngineRuns.merge(dir, linear("a", "bf", 0.5, 0.5), "int-vs-float", opts()));
        assertThat(e.kind()).isEqualTo(ExmergeException.Kind.INPUT);
        assertThat(e.getMessage()).isEqualTo(dir.resolve("bf/model.safetensors") + ": tensor 'ids' is BF16 in model 'bf',"
                + " the reference model has I32 for 'ids'; non-float tensors are copied, not merged, so every model must"
                + " hold them with the same dtype");
        assertThat(dir.resolve("int-vs-float")).doesNotExist();
    }

    @Test
    void controlCharactersInATensorNameAreEscapedInTheError() {
        // The reference names a tensor with a terminal escape and a line break; the other model lacks it.
        PlanException e = catchThrowableOfType(PlanException.class,
                () -> EngineRuns.merge(dir, linear("esc", "a", 0.5, 0.5), "escaped", opts()));
        assertThat(e.getMessage()).contains("w\\u001b[31m\\u000ax").doesNotContain("\u001b").doesNotContain("\n");
    }

    @Test
    void integersOfOneDtypeAreCopiedFromTheReference() throws Exception {
        Path out = EngineRuns.merge(dir, linear("a", "b", 0.5, 0.5), "ints-agree", opts());
        try (Checkpoint c = Checkpoint.open(out)) {
            assertThat(c.tensor("ids").dtype()).isEqualTo(DType.I32);
            assertThat(TestModels.get(c.data("w"), DType.BF16, 0)).isEqualTo(1.5f);
        }
    }

    @Test
    void overflowingWeightsFailNamingTheTensor() {
        NonFiniteException e = catchThrowableOfType(NonFiniteException.class,
                () -> EngineRuns.merge(dir, linear("a", "b", 3e38, 3e38), "overflow", opts()));
        assertThat(e.kind()).isEqualTo(ExmergeException.Kind.RECIPE);
        assertThat(e.tensor()).isEqualTo("w");
        assertThat(e.getMessage()).startsWith("tensor 'w': merged value +inf at element 0 (BF16); ")
                .contains("--allow-nonfinite").doesNotContain("\n");
        assertThat(dir.resolve("overflow")).doesNotExist();
    }

    @Test
    void aNaNInAnInputThatReachesTheOutputCountsToo() {
        NonFiniteException e = catchThrowableOfType(NonFiniteException.class,
                () -> EngineRuns.merge(dir, linear("a", "nan", 0.5, 0.5), "nan-out", opts()));
        assertThat(e.element()).isEqualTo(7);
        assertThat(e.getMessage()).startsWith("tensor 'w': merged value NaN at element 7 (BF16)");
    }

    @Test
    void allowNonfiniteWritesThem() throws Exception {
        MergeOptions o = opts().withRun(opts().run().withAllowNonfinite(true));
        Path out = EngineRuns.merge(dir, linear("a", "b", 3e38, 3e38), "allowed", o);
        try (Checkpoint c = Checkpoint.open(out)) {
            assertThat(TestModels.get(c.data("w"), DType.BF16, 14)).isEqualTo(Float.POSITIVE_INFINITY);
        }
    }

    @Test
    void outputUnderAFileSaysNotADirectory() throws Exception {
        Path file = Files.writeString(dir.resolve("plain-file"), "x");
        OutputException e = catchThrowableOfType(OutputException.class,
                () -> EngineRuns.merge(dir, linear("a", "b", 0.5, 0.5), "plain-file/out", opts()));
        assertThat(e.kind()).isEqualTo(ExmergeException.Kind.OUTPUT);
        assertThat(e.getMessage()).isEqualTo(file.resolve("out") + ": not a directory (" + file + ")");
    }

    @Test
    void unwritableOutputDirectorySaysPermissionDenied() throws Exception {
        Path ro = Files.createDirectories(dir.resolve("ro"));
        Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-xr-xr-x"));
        assumeThat(Files.isWritable(ro)).as("running as root: mode 555 does not stop writing").isFalse();
        OutputException e = catchThrowableOfType(OutputException.class,
                () -> EngineRuns.merge(dir, linear("a", "b", 0.5, 0.5), "ro/out", opts()));
        assertThat(e.getMessage()).isEqualTo(ro.resolve("out") + ": permission denied (" + ro + ")");
    }

    @Test
    void spaceCheckForAnOutputThatDoesNotExistYet() throws Exception {
        Path out = dir.resolve("not/yet/there");
        assertThat(OutputRun.preflight(out, 1)).isGreaterThan(0);
        OutputException e = catchThrowableOfType(OutputException.class, () -> OutputRun.preflight(out, Long.MAX_VALUE / 2));
        assertThat(e.kind()).isEqualTo(ExmergeException.Kind.OUTPUT);
        assertThat(e.getMessage()).startsWith(out + ": not enough space: the model needs ");
        assertThat(out.getParent()).doesNotExist();
    }

    @Test
    void preflightOfAnOutputUnderAFile() throws Exception {
        Path file = Files.writeString(dir.resolve("preflight-file"), "x");
        OutputException e = catchThrowableOfType(OutputException.class, () -> OutputRun.preflight(file.resolve("o"), 1));
        assertThat(e.getMessage()).isEqualTo(file.resolve("o") + ": not a directory (" + file + ")");
    }

    @Test
    void preflightOfAnUnwritableDirectory() throws Exception {
        Path ro = Files.createDirectories(dir.resolve("ro-preflight"));
        Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-xr-xr-x"));
        assumeThat(Files.isWritable(ro)).as("running as root: mode 555 does not stop writing").isFalse();
        OutputException e = catchThrowableOfType(OutputException.class, () -> OutputRun.preflight(ro.resolve("a/b"), 1));
        assertThat(e.getMessage()).isEqualTo(ro.resolve("a/b") + ": permission denied (" + ro + ")");
    }

    @Test
    void anOutputErrorNamesTheOutputFileNotTheInputItCopiedOrTheTemporary() throws Exception {
        Path out = dir.resolve("named/out");
        Path temp = dir.resolve("named/.out.tmp-1");
        // Java names a failed copy by its source: the input's tokenizer is not what ran out of room.
        var copy = new java.nio.file.FileSystemException(dir.resolve("a/tokenizer.json").toString(),
                temp.resolve("tokenizer.json").toString(), "No space left on device");
        assertThat(new OutputException(out, OutputRun.inOutput(copy, temp, out)).getMessage())
                .isEqualTo(out + ": no space left on device (" + out.resolve("tokenizer.json") + ")");
        var shard = new java.nio.file.FileSystemException(temp.resolve("model.safetensors").toString(), null, "no space left on device");
        assertThat(new OutputException(out, OutputRun.inOutput(shard, temp, out)).getMessage())
                .isEqualTo(out + ": no space left on device (" + out.resolve("model.safetensors") + ")");
        var elsewhere = new java.nio.file.AccessDeniedException(dir.resolve("named").toString());
        assertThat(OutputRun.inOutput(elsewhere, temp, out)).isSameAs(elsewhere);
    }

    @Test
    void anExistingOutputIsNamedOnceHoweverItWasSpelt() {
        Path relative = Path.of("e_empty");
        OutputException e = new OutputException(relative, new java.nio.file.FileAlreadyExistsException(relative.toString(), null,
                "output exists; choose another path or allow overwriting (--overwrite)"));
        assertThat(e.getMessage()).isEqualTo(relative.toAbsolutePath() + ": output exists; choose another path or allow"
                + " overwriting (--overwrite)");
    }
}
