package org.exmerge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.exmerge.format.DType;
import org.exmerge.testing.Cli;
import org.exmerge.testing.TestModels;
import org.exmerge.testing.TestModels.T;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each failure: the exit code of its kind and exactly one stderr line naming the file (or tensor) and the reason. */
class CliErrorsTest {
    @TempDir
    static Path dir;
    static Path recipe;

    static float[] values(float v) {
        float[] f = new float[12];
        java.util.Arrays.fill(f, v);
        return f;
    }

    @BeforeAll
    static void models() throws Exception {
        TestModels.write(dir.resolve("a"), new T("w", DType.BF16, new long[] {3, 4}, values(1)),
                new T("ids", DType.I32, new long[] {2}, new float[] {0, 1}));
        TestModels.write(dir.resolve("b"), new T("w", DType.BF16, new long[] {3, 4}, values(2)),
                new T("ids", DType.I32, new long[] {2}, new float[] {0, 1}));
        TestModels.write(dir.resolve("bf"), new T("w", DType.BF16, new long[] {3, 4}, values(2)),
                new T("ids", DType.BF16, new long[] {2}, new float[] {0, 1}));
        recipe = Files.writeString(dir.resolve("r.yaml"), linear("a", "b"));
    }

    static String linear(String a, String b) {
        return "merge_method: linear\nmodels:\n  - model: " + a + "\n    parameters: {weight: 0.5}\n  - model: " + b
                + "\n    parameters: {weight: 0.5}\n";
    }

    /** Runs in {@code dir} (models resolve there) and checks the exit code and the one error line. */
    static String fails(int exit, String... args) {
        String[] all = new String[args.length + 2];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--models-dir";
        all[args.length + 1] = dir.toString();
        Cli.Result r = Cli.run(all);
        assertThat(r.exit()).as(r.err()).isEqualTo(exit);
        // Progress lines may come first (stderr is not a terminal here); the error is one line, the last.
        assertThat(r.err().lines().filter(l -> l.startsWith("exmerge:"))).as(r.err()).hasSize(1);
        String last = r.err().strip().lines().reduce((x, y) -> y).orElseThrow();
        assertThat(last).startsWith("exmerge: error: ");
        return last.substring("exmerge: error: ".length());
    }

    static String out(String name) {
        return dir.resolve(name).toString();
    }

    /** A bad option is one error line like any other, not the command's whole usage text. */
    @Test
    void anOptionErrorIsOneLine() {
        assertThat(fails(2, "merge", out("r.yaml"), out("o"), "--bogus")).isEqualTo("Unknown option: '--bogus' (exmerge merge --help lists the options)");
        assertThat(fails(2, "merge", out("r.yaml"), out("o"), "--out-shard-size", "0")).endsWith("(exmerge merge --help lists the options)");
        // a mergekit-yaml command line: the error says what its flag is here
        assertThat(fails(2, "merge", out("r.yaml"), out("o"), "--cuda")).isEqualTo("Unknown option: '--cuda' (mergekit's --cuda: here the"
                + " backend is chosen with --backend (auto, native, java, cuda); exmerge merge --help lists the options)");
        assertThat(fails(2, "merge", out("r.yaml"), out("o"), "--random-seed", "5")).contains("(mergekit's --random-seed: here it is --seed N;");
        assertThat(fails(2, "merge", out("r.yaml"), out("o"), "--lazy-unpickle", "--allow-crimes"))
                .contains("(mergekit's --lazy-unpickle: exmerge always maps its inputs and streams them; drop it;");
    }

    /** An evaluator setting the evaluator does not read is refused, not dropped. */
    @Test
    void settingsOfAnotherEvaluatorAreRefused() {
        Cli.Result tensors = Cli.run("search", "exme", "--base", out("b"), "--checkpoints", out("c1"), out("c2"), "--workdir", out("w"),
                "--evaluator", "command:true", "--eval-tensors", "q_proj");
        assertThat(tensors.exit()).isEqualTo(2);
        assertThat(tensors.err().strip()).isEqualTo("exmerge: error: --eval-tensors applies to the reference: evaluator only, not command:");
        Cli.Result metric = Cli.run("search", "exme", "--base", out("b"), "--checkpoints", out("c1"), out("c2"), "--workdir", out("w"),
                "--evaluator", "reference:" + out("t"), "--metric", "acc");
        assertThat(metric.exit()).isEqualTo(2);
        assertThat(metric.err().strip()).isEqualTo("exmerge: error: --metric applies to the lm-eval: evaluator only, not reference:");
        assertThat(dir.resolve("w")).doesNotExist();
    }

    @Test
    void missingConfig() {
        assertThat(fails(2, "merge", out("nope.yaml"), out("o"))).isEqualTo(out("nope.yaml") + ": no such file or directory");
    }

    @Test
    void configIsADirectory() {
        assertThat(fails(2, "merge", dir.toString(), out("o"))).isEqualTo(dir + ": is a directory, not a recipe file");
    }

    @Test
    void configIsNotUtf8() throws IOException {
        Path f = dir.resolve("latin1.yaml");
        Files.write(f, (linear("a", "b") + "# caf\u00e9\n").getBytes(StandardCharsets.ISO_8859_1));
        assertThat(fails(2, "merge", f.toString(), out("o"))).startsWith(f + ": not UTF-8 text (byte 0xe9 at offset ")
                .endsWith(", line 7)");
    }

    @Test
    void configOverOneMebibyte() throws IOException {
        Path f = Files.writeString(dir.resolve("huge.yaml"), "merge_method: " + "a".repeat(2 << 20));
        assertThat(fails(2, "merge", f.toString(), out("o"))).isEqualTo(f + ": larger than 1048576 bytes (1 MiB); a recipe is a small YAML file");
    }

    @Test
    void aModelDirectoryWhoseNameHoldsAPlusIsExplained() throws IOException {
        TestModels.write(dir.resolve("c+v2"), new T("w", DType.BF16, new long[] {3, 4}, values(1)),
                new T("ids", DType.I32, new long[] {2}, new float[] {0, 1}));
        Path f = Files.writeString(dir.resolve("plus.yaml"), linear("c+v2", "b"));
        assertThat(fails(3, "merge", f.toString(), out("o"))).isEqualTo("model 'c+v2': a '+' in a model name means model+adapter"
                + " (here model 'c', which does not exist), so a directory whose name holds '+' cannot be named; rename it or link it"
                + " under a name without '+'");
    }

    @Test
    void modelThatIsAConfigJson() throws IOException {
        Files.createDirectories(dir.resolve("cfg"));
        Files.writeString(dir.resolve("cfg/config.json"), "{\"architectures\": [\"LlamaForCausalLM\"]}");
        Path f = Files.writeString(dir.resolve("cfg.yaml"), linear("a", "cfg/config.json"));
        assertThat(fails(3, "merge", f.toString(), out("o"))).isEqualTo(out("cfg/config.json")
                + ": not a safetensors file (it begins with text '{\"archit', e.g. JSON; a safetensors file begins with an 8-byte header length)");
    }

    @Test
    void unreadableModel() throws IOException {
        Path m = dir.resolve("locked");
        TestModels.write(m, new T("w", DType.BF16, new long[] {3, 4}, values(1)));
        Path file = m.resolve("model.safetensors");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------"));
        assumeThat(Files.isReadable(file)).as("running as root: chmod 000 does not stop reading").isFalse();
        Path f = Files.writeString(dir.resolve("locked.yaml"), linear("a", "locked"));
        assertThat(fails(3, "merge", f.toString(), out("o"))).isEqualTo(file + ": permission denied");
    }

    @Test
    void integerAgainstFloatTensor() throws IOException {
        Path f = Files.writeString(dir.resolve("int.yaml"), linear("a", "bf"));
        assertThat(fails(3, "merge", f.toString(), out("o"))).startsWith(dir.resolve("bf/model.safetensors")
                + ": tensor 'ids' is BF16 in model 'bf', the reference model has I32 for 'ids'");
    }

    @Test
    void outputUnderAFile() throws IOException {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        assertThat(fails(4, "merge", recipe.toString(), file.resolve("o").toString()))
                .isEqualTo(file.resolve("o") + ": not a directory (" + file + ")");
    }

    @Test
    void unwritableOutputDirectory() throws IOException {
        Path ro = Files.createDirectories(dir.resolve("ro"));
        Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-xr-xr-x"));
        assumeThat(Files.isWritable(ro)).as("running as root: mode 555 does not stop writing").isFalse();
        assertThat(fails(4, "merge", recipe.toString(), ro.resolve("o").toString()))
                .isEqualTo(ro.resolve("o") + ": permission denied (" + ro + ")");
    }

    @Test
    void nonFiniteResultFailsUnlessAllowed() {
        String[] exme = {"exme", "--base", "a", "--sft", "b", "--alpha", "1e308", out("inf")};
        assertThat(fails(2, exme)).startsWith("tensor 'w': merged value ").contains("(BF16)").contains("--allow-nonfinite");
        assertThat(dir.resolve("inf")).doesNotExist();
        Cli.Result r = Cli.run("exme", "--base", "a", "--sft", "b", "--alpha", "1e308", out("inf"), "--allow-nonfinite",
                "--models-dir", dir.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(dir.resolve("inf/model.safetensors")).exists();
    }

    @Test
    void theQuickFormsErrorsNameItsFlagsNotRecipeKeys() {
        assertThat(fails(2, "exme", "--base", "a", "--sft", "b", "--sft", "b", "--alpha", "0.1,0.2", "--beta", "0.5,0.6", out("q")))
                .isEqualTo("--beta (value 1): the models' betas must sum to 1 (they sum to 1.1) (tensor w)");
        assertThat(fails(2, "exme", "--base", "a", "--sft", "b", "--sft", "", "--alpha", "0.1,0.2", "--beta", "0.5", out("q")))
                .isEqualTo("--sft 2: expected a model name, got an empty string");
        assertThat(fails(2, "exme", "--base", "a", "--sft", "b", "--sft", "b", "--sft", "b", "--alpha", "0.1,0.2,0.3", "--beta", "0.5", out("q")))
                .startsWith("--beta: one β splits exactly two extrapolations");
        assertThat(dir.resolve("q")).doesNotExist();
    }

    @Test
    void dryRunReportsRoomOnTheOutputFileSystem() {
        Cli.Result r = Cli.run("merge", recipe.toString(), out("dry/nested"), "--dry-run", "--models-dir", dir.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("output " + java.util.regex.Pattern.quote(out("dry/nested"))
                + ": [0-9.]+ [kKMG]?B to write, .* free: enough room");
        assertThat(dir.resolve("dry")).doesNotExist();
    }

    @Test
    void dryRunFailsLikeARunWhereTheOutputCannotBeCreated() throws IOException {
        Path file = Files.writeString(dir.resolve("dry-file"), "x");
        assertThat(fails(4, "merge", recipe.toString(), file.resolve("o").toString(), "--dry-run"))
                .isEqualTo(file.resolve("o") + ": not a directory (" + file + ")");
    }

    @Test
    void inspectEscapesControlCharactersInNames() throws IOException {
        Path m = dir.resolve("evil");
        TestModels.write(m, new T("line\nbreak\u001b[2J", DType.BF16, new long[] {2}, new float[] {1, 2}));
        Cli.Result r = Cli.run("inspect", m.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("line\\nbreak\\u001b[2J").doesNotContain("\u001b");
        assertThat(r.out().lines().filter(l -> l.startsWith("break"))).isEmpty();
        // JSON was already escaped by Jackson, and keeps the name exact.
        Cli.Result j = Cli.run("inspect", m.toString(), "--json");
        assertThat(j.out()).contains("line\\nbreak\\u001B[2J");
    }

    /** Main.run with a standard output whose every write fails, as under {@code > /dev/full}; the exit code and stderr. */
    private static Cli.Result intoAFullStdout(String... args) {
        // PrintStream swallows the write errors and only sets a flag.
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        synchronized (Cli.class) {
            try (PrintStream full = new PrintStream(new OutputStream() {
                     @Override
                     public void write(int b) throws IOException {
                         throw new IOException("No space left on device");
                     }
                 }, true, StandardCharsets.UTF_8);
                 PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
                System.setOut(full);
                System.setErr(e);
                return new Cli.Result(Main.run(args), "", err.toString(StandardCharsets.UTF_8));
            } finally {
                System.setOut(oldOut);
                System.setErr(oldErr);
            }
        }
    }

    @Test
    void jsonIntoAFailingStdoutExitsNonZeroUnlessTheModelIsInPlace() {
        Cli.Result inspect = intoAFullStdout("inspect", dir.resolve("a").toString(), "--json");
        assertThat(inspect.exit()).isEqualTo(4);
        assertThat(inspect.err()).endsWith(
                "exmerge: error: standard output: write failed (disk full or closed pipe); what was printed is incomplete\n");
        // The model is complete at OUT: exit 4 would tell a script that the run wrote nothing.
        Cli.Result merge = intoAFullStdout("merge", recipe.toString(), out("json-full"), "--json", "--models-dir", dir.toString());
        assertThat(merge.exit()).as(merge.err()).isZero();
        assertThat(merge.err()).contains("exmerge: warning: standard output: write failed")
                .contains("the model is complete at " + Path.of(out("json-full")).toAbsolutePath().normalize());
        // So is a search's winner once W/best is written.
        assertThat(Cli.run("synth", out("search-models"), "--size", "1MB", "--target").exit()).isZero();
        Cli.Result search = intoAFullStdout("search", "exme", "--base", out("search-models/base"), "--checkpoints",
                out("search-models/sft-1"), out("search-models/sft-2"), "--alphas", "0.1", "--betas", "0.5",
                "--evaluator", "reference:" + out("search-models/target"), "--workdir", out("search-full"), "--json");
        assertThat(search.exit()).as(search.err()).isZero();
        assertThat(search.err()).contains("the model is complete at " + Path.of(out("search-full/best")).toAbsolutePath().normalize());
    }
}
