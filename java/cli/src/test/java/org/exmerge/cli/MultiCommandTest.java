package org.exmerge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.TensorInfo;
import org.exmerge.testing.Cli;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code exmerge multi}: a chain of merges from one file, its laziness, and what it refuses before any work. */
class MultiCommandTest {
    @TempDir
    static Path dir;
    static Path models;

    @BeforeAll
    static void synth() {
        models = dir.resolve("models");
        Cli.Result r = Cli.run("synth", models.toString(), "--size", "1MB", "--threads", "1");
        assertThat(r.exit()).as(r.err()).isZero();
    }

    private static String m(String name) {
        return models.resolve(name).toString();
    }

    private static String expo(String name, String sft, double alpha) {
        return """
                name: %s
                merge_method: expo
                base_model: %s
                models:
                  - model: %s
                    parameters: {alpha: %s}
                """.formatted(name, m("base"), m(sft), alpha);
    }

    /** Two EXPOs and a named TIES of both over the base. */
    private static String chain(double alpha1) {
        return expo("expo1", "sft-1", alpha1) + "---\n" + expo("expo2", "sft-2", 0.2) + """
                ---
                name: both
                merge_method: ties
                base_model: %s
                models:
                  - model: expo1
                    parameters: {weight: 0.6, density: 0.5}
                  - model: expo2
                    parameters: {weight: 0.4, density: 0.7}
                """.formatted(m("base"));
    }

    private static Path write(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text);
    }

    private static Cli.Result multi(Path config, Path intermediates, String... more) {
        List<String> args = new ArrayList<>(List.of("multi", config.toString(), "-I", intermediates.toString()));
        args.addAll(List.of(more));
        return Cli.run(args.toArray(String[]::new));
    }

    /** Each file's inode and modification time: what a rewrite would change. */
    private static List<String> identity(Path model) throws Exception {
        try (Stream<Path> s = Files.list(model)) {
            List<String> ids = new ArrayList<>();
            for (Path f : s.sorted().toList()) {
                BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
                ids.add(f.getFileName() + " " + a.fileKey() + " " + a.lastModifiedTime().toInstant());
            }
            return ids;
        }
    }

    private static void assertSameTensors(Path a, Path b) throws Exception {
        try (Checkpoint x = Checkpoint.open(a); Checkpoint y = Checkpoint.open(b)) {
            assertThat(x.tensors()).extracting(TensorInfo::name).containsExactlyElementsOf(y.tensors().stream().map(TensorInfo::name).toList());
            for (TensorInfo t : x.tensors()) {
                MemorySegment p = x.data(t.name());
                MemorySegment q = y.data(t.name());
                assertThat(p.mismatch(q)).as("tensor %s of %s and %s", t.name(), a, b).isEqualTo(-1L);
            }
        }
    }

    @Test
    void aChainWritesTheBytesOfItsMergesRunByHand() throws Exception {
        Path config = write("chain.yaml", expo("expo1", "sft-1", 0.5) + "---\n" + expo("expo2", "sft-2", 0.3) + """
                ---
                # the unnamed one: OUT
                merge_method: slerp
                base_model: expo1
                models:
                  - model: expo1
                  - model: expo2
                parameters: {t: 0.4}
                """);
        Path i = dir.resolve("chain-i");
        Path out = dir.resolve("chain-out");
        Cli.Result r = multi(config, i, out.toString(), "--threads", "1");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("[1/3] expo1: expo of 2 models", "[3/3] (unnamed): slerp of 2 models");

        Path e1 = dir.resolve("hand-expo1");
        Path e2 = dir.resolve("hand-expo2");
        Path hand = dir.resolve("hand-out");
        assertThat(Cli.run("merge", write("h1.yaml", expo("expo1", "sft-1", 0.5)).toString(), e1.toString()).exit()).isZero();
        assertThat(Cli.run("merge", write("h2.yaml", expo("expo2", "sft-2", 0.3)).toString(), e2.toString()).exit()).isZero();
        Path h3 = write("h3.yaml", """
                merge_method: slerp
                base_model: %s
                models:
                  - model: %s
                  - model: %s
                parameters: {t: 0.4}
                """.formatted(e1, e1, e2));
        assertThat(Cli.run("merge", h3.toString(), hand.toString(), "--threads", "2").exit()).isZero();
        assertSameTensors(i.resolve("expo1"), e1);
        assertSameTensors(i.resolve("expo2"), e2);
        assertSameTensors(out, hand);
    }

    @Test
    void aSecondRunSkipsItsIntermediatesAndAChangedRecipeRedoesOnlyItselfAndWhatReadsIt() throws Exception {
        Path i = dir.resolve("lazy-i");
        Cli.Result first = multi(write("lazy.yaml", chain(0.5)), i);
        assertThat(first.exit()).as(first.err()).isZero();
        List<String> e1 = identity(i.resolve("expo1"));
        List<String> e2 = identity(i.resolve("expo2"));
        List<String> both = identity(i.resolve("both"));

        Cli.Result again = multi(dir.resolve("lazy.yaml"), i);
        assertThat(again.exit()).as(again.err()).isZero();
        assertThat(again.out()).contains("[1/3] expo1: skipped: up to date", "[2/3] expo2: skipped", "[3/3] both: skipped");
        assertThat(identity(i.resolve("expo1"))).isEqualTo(e1);
        assertThat(identity(i.resolve("both"))).isEqualTo(both);

        Cli.Result changed = multi(write("lazy.yaml", chain(0.7)), i);
        assertThat(changed.exit()).as(changed.err()).isZero();
        assertThat(changed.out()).contains("expo1: expo of 2 models", "[2/3] expo2: skipped", "both: ties of 3 models");
        assertThat(identity(i.resolve("expo1"))).isNotEqualTo(e1);
        assertThat(identity(i.resolve("expo2"))).isEqualTo(e2);
        assertThat(identity(i.resolve("both"))).isNotEqualTo(both);

        Cli.Result all = multi(dir.resolve("lazy.yaml"), i, "--no-lazy");
        assertThat(all.exit()).as(all.err()).isZero();
        assertThat(all.out()).doesNotContain("skipped");
        assertThat(identity(i.resolve("expo2"))).isNotEqualTo(e2);
    }

    @Test
    void mergekitMultisCommandLineWorksAsItIs() throws Exception {
        // mergekit-multi config.yaml --intermediate-dir I --out-path OUT --lazy
        Path config = write("mk.yaml", expo("e", "sft-1", 0.5) + "---\nmerge_method: linear\nmodels: [{model: e}, {model: " + m("sft-2") + "}]\n");
        Path out = dir.resolve("mk-out");
        Cli.Result r = Cli.run("multi", config.toString(), "--intermediate-dir", dir.resolve("mk-i").toString(), "--out-path", out.toString(), "--lazy");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("[2/2] (unnamed): linear of 2 models → " + out);
        assertThat(out.resolve("model.safetensors")).exists();
        Cli.Result twice = Cli.run("multi", config.toString(), "-I", dir.resolve("mk-i").toString(), dir.resolve("other").toString(),
                "--out-path", out.toString());
        assertThat(twice.exit()).isEqualTo(2);
        assertThat(twice.err()).contains("OUT is given twice");
        Cli.Result both = Cli.run("multi", config.toString(), "-I", dir.resolve("mk-i").toString(), out.toString(), "--lazy", "--no-lazy");
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("--lazy and --no-lazy contradict each other");
    }

    @Test
    void aDirectoryMultiDidNotWriteIsNeverReplaced() throws Exception {
        Path config = write("foreign.yaml", chain(0.5));
        Path i = dir.resolve("foreign-i");
        Path mine = Files.createDirectories(i.resolve("expo2"));
        Files.writeString(mine.resolve("notes.txt"), "mine");
        Cli.Result r = multi(config, i);
        assertThat(r.exit()).as(r.err()).isEqualTo(4);
        assertThat(r.err()).contains("document 2 (name: expo2)").contains(mine.toString()).contains("did not write");
        assertThat(mine.resolve("notes.txt")).hasContent("mine");
        assertThat(i.resolve("expo1")).doesNotExist(); // refused before any merge

        // exmerge's own model, but not multi's: not proven to be this document's result either
        Files.delete(mine.resolve("notes.txt"));
        Files.delete(mine);
        Path other = write("single.yaml", expo("x", "sft-2", 0.2));
        assertThat(Cli.run("merge", other.toString(), mine.toString()).exit()).isZero();
        List<String> before = identity(mine);
        Cli.Result again = multi(config, i);
        assertThat(again.exit()).as(again.err()).isEqualTo(4);
        assertThat(identity(mine)).isEqualTo(before);
    }

    @Test
    void recipeErrorsOfTheChainAreExit2NamingTheDocument() throws Exception {
        Path i = dir.resolve("errors-i");
        String a = expo("a", "sft-1", 0.5);
        String unnamed = a.replace("name: a\n", "");
        String cycle = a.replace(m("base"), "b") + "---\n" + expo("b", "sft-2", 0.2).replace(m("base"), "a");
        record Case(String yaml, String message, boolean out) {}
        List<Case> cases = List.of(
                new Case(cycle, "documents read each other's results in a cycle: document 1 (name: a) reads document 2 (name: b)"
                        + " reads document 1 (name: a)", false),
                new Case(a.replace(m("base"), "a"), "document 1 (name: a): reads its own result", false),
                new Case(a + "---\n" + a, "document 2 (name: a): name: document 1 has this name too", false),
                new Case(a.replace("name: a", "name: x/y"), "document 1: name: 'x/y' holds '/'", false),
                new Case(unnamed + "---\n" + unnamed, "document 2 (unnamed): document 1 (unnamed) has no name either", true),
                new Case(a + "---\n" + unnamed, "document 2 (unnamed): has no name, so its result goes to OUT: give OUT", false),
                new Case(a + "---\n" + a.replace("name: a", "name: c").replace("expo", "no_such_method"),
                        "document 2 (name: c): merge_method: unknown method", false));
        for (Case c : cases) {
            Path config = write("err.yaml", c.yaml());
            Cli.Result r = c.out() ? multi(config, i, dir.resolve("err-out").toString()) : multi(config, i);
            assertThat(r.exit()).as("%s%n%s", c.yaml(), r.err()).isEqualTo(2);
            assertThat(r.err()).as(c.yaml()).contains(c.message());
            assertThat(i).as(c.yaml()).doesNotExist();
        }
    }

    @Test
    void aMissingInputIsExit3BeforeAnyIntermediateIsWritten() throws Exception {
        Path config = write("missing.yaml", chain(0.5).replace(m("sft-2"), dir.resolve("no-such-model").toString()));
        Path i = dir.resolve("missing-i");
        Cli.Result r = multi(config, i);
        assertThat(r.exit()).as(r.err()).isEqualTo(3);
        assertThat(r.err()).contains("document 2 (name: expo2)").contains("no-such-model");
        assertThat(i).doesNotExist();
    }

    @Test
    void aSecondRunOnTheSameIntermediateDirectoryIsRefused() throws Exception {
        Path i = Files.createDirectories(dir.resolve("locked-i"));
        try (FileChannel ch = FileChannel.open(i.resolve(".exmerge-multi.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             var held = ch.lock()) {
            Cli.Result r = multi(write("locked.yaml", chain(0.5)), i);
            assertThat(r.exit()).as(r.err()).isEqualTo(4);
            assertThat(r.err()).contains("another exmerge multi");
        }
        assertThat(i.resolve("expo1")).doesNotExist();
    }

    @Test
    void theIntermediateDirectoryMayNotBeAnInputOrTheWorkingDirectory() throws Exception {
        Path config = write("place.yaml", chain(0.5));
        Cli.Result input = multi(config, models);
        assertThat(input.exit()).as(input.err()).isEqualTo(2);
        assertThat(input.err()).contains("--intermediate-dir");
        Cli.Result cwd = multi(config, Path.of(""));
        assertThat(cwd.exit()).as(cwd.err()).isEqualTo(2);
        assertThat(cwd.err()).contains("working directory");
    }

    @Test
    void mergeRefusesAFileOfSeveralRecipesAndNamesMulti() throws Exception {
        Cli.Result r = Cli.run("merge", write("two.yaml", chain(0.5)).toString(), dir.resolve("two-out").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("exmerge multi");
    }

    @Test
    void aDryRunWritesNothingAndSaysWhatWaitsForAnIntermediate() throws Exception {
        Path i = dir.resolve("dry-i");
        Cli.Result r = multi(write("dry.yaml", chain(0.5)), i, "--dry-run");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("order: expo1, expo2, both").contains("method expo")
                .contains("reads expo1, expo2, which this run writes first");
        assertThat(i).doesNotExist();
    }
}
