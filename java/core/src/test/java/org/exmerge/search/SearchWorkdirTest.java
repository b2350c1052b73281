package org.exmerge.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.exmerge.MergeOptions;
import org.exmerge.engine.CancelToken;
import org.exmerge.engine.OutputException;
import org.exmerge.engine.ProgressListener;
import org.exmerge.engine.RunOptions;
import org.exmerge.error.ExmergeException;
import org.exmerge.error.UsageException;
import org.exmerge.format.DType;
import org.exmerge.format.FileTrees;
import org.exmerge.synth.LlamaShape;
import org.exmerge.synth.Synth;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A search touches no file it did not make: the working directory's guard, its lock, and the candidates' scratch directories. */
class SearchWorkdirTest {
    @TempDir
    static Path dir;
    static Path models;

    @BeforeAll
    static void synth() throws Exception {
        models = dir.resolve("models");
        LlamaShape shape = LlamaShape.forBytes(1_000_000, DType.BF16);
        RunOptions run = RunOptions.defaults().withThreads(2);
        Synth.write(models, shape, DType.BF16, 2, 0, run, ProgressListener.NONE, new CancelToken());
        Synth.writeTarget(models, shape, DType.BF16, 2, 0, run, ProgressListener.NONE, new CancelToken());
    }

    static ExmeSearch search() {
        return new ExmeSearch(models.resolve("base"), List.of(models.resolve("sft-1"), models.resolve("sft-2")), List.of(0.1),
                List.of(0.5), 2);
    }

    static SearchOptions options(Path work, Evaluator ev, boolean keep) {
        MergeOptions m = MergeOptions.defaults().withRun(RunOptions.defaults().withThreads(2)).withCancel(new CancelToken());
        return new SearchOptions(work, ev, 1, keep, false, null, m);
    }

    static SearchOptions options(Path work) {
        return options(work, new ReferenceEvaluator(models.resolve("target"), null), false);
    }

    /** Every file under a model directory with its bytes, to compare before and after. */
    static List<String> snapshot(Path model) throws Exception {
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(model)) {
            for (Path f : s.sorted().toList()) {
                out.add(model.relativize(f) + (Files.isRegularFile(f) ? " " + java.util.Arrays.hashCode(Files.readAllBytes(f)) : "/"));
            }
        }
        return out;
    }

    /**
     * An evaluator that treats {@code {model}} as its own scratch, as the docs allow: rewrites its
     * tokenizer and config files as HF's save_pretrained does (open for writing follows a link), then
     * deletes the directory.
     */
    static final class Scribbler implements Evaluator {
        final List<Path> seen = Collections.synchronizedList(new ArrayList<>());

        @Override
        public Score evaluate(Path model, Request request) throws EvaluationException {
            seen.add(model);
            try {
                Files.writeString(model.resolve("tokenizer_config.json"), "{\"saved_by\": \"evaluator\"}");
                Files.writeString(model.resolve("config.json"), "{\"saved_by\": \"evaluator\"}");
                FileTrees.deleteTree(model);
            } catch (java.io.IOException e) {
                throw new EvaluationException(e.toString(), "");
            }
            return new Score(1, java.util.Map.of());
        }

        @Override
        public String describe() {
            return "scribbler";
        }
    }

    @Test
    void anEvaluatorWritingOrDeletingItsModelNeverTouchesTheInputs() throws Exception {
        List<List<String>> before = new ArrayList<>();
        for (String m : List.of("base", "sft-1", "sft-2")) {
            before.add(snapshot(models.resolve(m)));
        }
        Scribbler ev = new Scribbler();
        SearchOutcome o = search().run(options(dir.resolve("scribbled"), ev, false), SearchListener.NONE);

        assertThat(o.failures()).isEmpty();
        assertThat(ev.seen).hasSize(2 + 2 + 1).allSatisfy(p -> assertThat(p.toString()).startsWith(dir.resolve("scribbled/candidates") + "/"));
        List<List<String>> after = new ArrayList<>();
        for (String m : List.of("base", "sft-1", "sft-2")) {
            after.add(snapshot(models.resolve(m)));
        }
        assertThat(after).isEqualTo(before);
    }

    @Test
    void stageSftScoresALinkedScratchCopyOfTheCheckpoint() throws Exception {
        Path work = dir.resolve("kept");
        search().run(options(work, new ReferenceEvaluator(models.resolve("target"), null), true), SearchListener.NONE);
        try (Stream<Path> s = Files.list(work.resolve("candidates"))) {
            List<Path> sft = s.filter(p -> p.getFileName().toString().startsWith("sft-")).toList();
            assertThat(sft).hasSize(2);
            for (Path d : sft) {
                Path c;
                try (Stream<Path> in = Files.list(d)) {
                    c = in.filter(Files::isDirectory).findFirst().orElseThrow();
                }
                assertThat(c.getFileName().toString()).as("named as the checkpoint").isIn("sft-1", "sft-2");
                assertThat(Files.isSymbolicLink(c.resolve("model.safetensors"))).as("weights are linked, not copied").isTrue();
                assertThat(Files.readSymbolicLink(c.resolve("model.safetensors")).getParent()).isIn(models.resolve("sft-1"),
                        models.resolve("sft-2"));
                assertThat(Files.isSymbolicLink(c.resolve("tokenizer.json"))).isFalse();
                assertThat(Files.isSymbolicLink(c.resolve("config.json"))).isFalse();
            }
        }
        try (Stream<Path> s = Files.list(work.resolve("candidates"))) {
            for (Path c : s.filter(p -> !p.getFileName().toString().startsWith("sft-")).toList()) {
                assertThat(Files.isSymbolicLink(c.resolve("tokenizer_config.json"))).as(c + ": side files are copies").isFalse();
            }
        }
    }

    @Test
    void aDirectoryNoSearchMadeIsRefusedBeforeAnyWork() throws Exception {
        Path work = dir.resolve("notes");
        Files.createDirectories(work.resolve("candidates/sub"));
        Files.writeString(work.resolve("report.md"), "my notes");
        Files.writeString(work.resolve("candidates/sub/deep.txt"), "mine");
        assertThatThrownBy(() -> search().run(options(work), SearchListener.NONE)).isInstanceOf(UsageException.class)
                .hasMessageContaining(work + ": is not a search's working directory (it holds candidates/, report.md and no search.json)");
        assertThat(work.resolve("report.md")).hasContent("my notes");
        assertThat(work.resolve("candidates/sub/deep.txt")).hasContent("mine");
        try (Stream<Path> s = Files.list(work)) {
            assertThat(s.toList()).as("nothing written there").hasSize(2);
        }

        assertThatThrownBy(() -> search().run(options(models.resolve("sft-1")), SearchListener.NONE))
                .isInstanceOf(UsageException.class).hasMessageContaining("is an input of this run");
        assertThatThrownBy(() -> search().run(options(models), SearchListener.NONE))
                .isInstanceOf(UsageException.class).hasMessageContaining("holds an input of this run");
        assertThatThrownBy(() -> options(Path.of(""))).hasMessageContaining("--workdir is empty");

        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertThat(search().run(options(empty), SearchListener.NONE).failures()).isEmpty();
    }

    @Test
    void inItsOwnDirectoryASearchReplacesOnlyWhatASearchWrote() throws Exception {
        Path work = dir.resolve("own");
        search().run(options(work), SearchListener.NONE);
        for (String f : SearchFiles.OWN) {
            if (Files.exists(work.resolve(f))) {
                assertThat(SearchFiles.written(work.resolve(f))).as(f).isTrue();
            }
        }
        // a user's files among the candidates, one of them a directory named like a candidate
        Files.createDirectories(work.resolve("candidates/sub"));
        Files.createDirectories(work.resolve("candidates/exme-0123456789ab"));
        Files.writeString(work.resolve("candidates/mine.txt"), "mine");
        Files.writeString(work.resolve("candidates/.hidden"), "mine");
        Files.writeString(work.resolve("candidates/sub/deep.txt"), "mine");
        Files.writeString(work.resolve("candidates/exme-0123456789ab/notes.txt"), "mine");
        search().run(options(work), SearchListener.NONE);
        for (String f : List.of("mine.txt", ".hidden", "sub/deep.txt", "exme-0123456789ab/notes.txt")) {
            assertThat(work.resolve("candidates").resolve(f)).hasContent("mine");
        }

        for (String f : List.of("report.md", "best.yaml", "alpha.png")) {
            Path p = work.resolve(f);
            byte[] ours = Files.readAllBytes(p);
            Files.writeString(p, "my own " + f);
            assertThatThrownBy(() -> search().run(options(work), SearchListener.NONE)).isInstanceOf(UsageException.class)
                    .hasMessage(p + ": was not written by a search; move it away or choose another --workdir");
            assertThat(p).hasContent("my own " + f);
            Files.write(p, ours);
        }
    }

    @Test
    void aSettingsFileThatIsNotASearchsIsNamedInOneLine() throws Exception {
        Path work = Files.createDirectories(dir.resolve("torn"));
        Files.writeString(work.resolve("search.json"), "USER DATA");
        assertThatThrownBy(() -> search().run(options(work), SearchListener.NONE)).isInstanceOf(UsageException.class)
                .hasMessage(work.resolve("search.json") + ": is not a search's settings (not JSON), so its directory is not a"
                        + " search's working directory; choose another --workdir");
        assertThat(work.resolve("search.json")).hasContent("USER DATA");
    }

    @Test
    void aLiveSearchsLockRefusesASecondOneAndADeadOnesIsTakenOver() throws Exception {
        Path work = dir.resolve("locked");
        search().run(options(work), SearchListener.NONE);
        Path lock = work.resolve(Workdir.LOCK);
        try (FileChannel ch = FileChannel.open(lock, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
             FileLock held = ch.lock()) {
            ch.write(java.nio.ByteBuffer.wrap("exmerge search, pid 4242\n".getBytes()));
            String results = Files.readString(work.resolve("results.jsonl"));
            assertThatThrownBy(() -> search().run(options(work), SearchListener.NONE)).isInstanceOf(SearchException.class)
                    .hasMessage(work + ": another search (pid 4242) is using this working directory; wait for it to end or choose"
                            + " another --workdir")
                    .satisfies(e -> assertThat(((ExmergeException) e).kind()).isEqualTo(ExmergeException.Kind.OUTPUT));
            assertThat(work.resolve("results.jsonl")).hasContent(results);
        }
        // the holder is gone (its lock went with it) though its file stays
        assertThat(lock).exists();
        assertThat(search().run(options(work), SearchListener.NONE).failures()).isEmpty();
        assertThat(lock).content().contains("pid " + ProcessHandle.current().pid());
    }

    /** A full disk cannot be made here without root; any failure to write the search's own files is the same output error. */
    @Test
    void failingToWriteTheSearchsOwnFilesIsAnOutputErrorNamingTheFile() throws Exception {
        Path notADirectory = Files.writeString(dir.resolve("a-file"), "x");
        Path log = notADirectory.resolve("results.jsonl");
        assertThatThrownBy(() -> ResultsLog.open(log)).isInstanceOf(OutputException.class).hasMessageStartingWith(log + ": not a directory");
        Path report = notADirectory.resolve("report.md");
        assertThatThrownBy(() -> SearchFiles.writeDurably(report, "r")).isInstanceOf(OutputException.class)
                .hasMessageStartingWith(report + ": not a directory");
    }
}
