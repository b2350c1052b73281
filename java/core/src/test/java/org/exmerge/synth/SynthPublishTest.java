package org.exmerge.synth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.stream.Stream;
import org.exmerge.engine.CancelToken;
import org.exmerge.engine.MergeStats;
import org.exmerge.engine.OutputException;
import org.exmerge.engine.ProgressListener;
import org.exmerge.engine.RunOptions;
import org.exmerge.error.UsageException;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * synth's models are one set: a run that fails or is cancelled before all are complete replaces none
 * of them, every model is in place before any is reported finished, and an OUT that merge would
 * refuse is refused before anything is written.
 */
class SynthPublishTest {
    private static final LlamaShape SHAPE = LlamaShape.forBytes(1_000_000, DType.BF16);
    private static final List<String> SET = List.of("base", "sft-1", "sft-2", "lora-1", "target");

    @TempDir
    Path dir;

    private static List<MergeStats> synth(Path out, long seed, ProgressListener listener, CancelToken cancel) throws Exception {
        return Synth.write(out, SHAPE, DType.BF16, 2, 2, true, seed, RunOptions.defaults().withThreads(1).withSync(false).withOverwrite(true),
                listener, cancel);
    }

    /** Each model's seed and name as synth recorded them, by directory. */
    private static Map<String, String> seeds(Path out) throws Exception {
        Map<String, String> seeds = new LinkedHashMap<>();
        for (String m : SET) {
            Path weights = out.resolve(m).resolve(m.equals(SynthLora.NAME) ? SynthLora.WEIGHTS : "model.safetensors");
            try (Checkpoint c = Checkpoint.open(weights)) {
                seeds.put(m, c.metadata().get("exmerge.synth").split(" ")[0]);
            }
        }
        return seeds;
    }

    private static List<String> names(Path d) throws Exception {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Cancels the run when the {@code n}-th model starts (1-based). */
    private static ProgressListener cancelAtStart(int n, CancelToken cancel) {
        return new ProgressListener() {
            private int started;

            @Override
            public void started(int tensors, long outputBytes, long inputBytes, String backend, int threads) {
                if (++started == n) {
                    cancel.cancel();
                }
            }
        };
    }

    @Test
    void aRunCancelledAtAnyModelReplacesNoneOfTheSet() throws Exception {
        Path out = dir.resolve("m");
        synth(out, 0, ProgressListener.NONE, new CancelToken());
        Map<String, String> before = seeds(out);
        assertThat(before.values()).containsOnly("seed=0");
        for (int i = 2; i <= SET.size(); i++) {
            int n = i;
            CancelToken cancel = new CancelToken();
            assertThatThrownBy(() -> synth(out, 7, cancelAtStart(n, cancel), cancel)).as("cancelled at model %d", n)
                    .isInstanceOf(CancellationException.class);
            assertThat(seeds(out)).as("cancelled at model %d", n).isEqualTo(before);
            assertThat(names(out)).as("nothing left behind").containsExactlyElementsOf(SET.stream().sorted().toList());
        }
    }

    @Test
    void aRunCancelledAfterTheLastModelIsCompleteStillPublishesNothing() throws Exception {
        Path out = dir.resolve("m");
        synth(out, 0, ProgressListener.NONE, new CancelToken());
        CancelToken cancel = new CancelToken();
        long[] total = new long[1];
        int[] started = new int[1];
        ProgressListener lastBytes = new ProgressListener() {
            @Override
            public void started(int tensors, long outputBytes, long inputBytes, String backend, int threads) {
                started[0]++;
                total[0] = outputBytes;
            }

            @Override
            public void progress(long done) {
                if (started[0] == SET.size() && done == total[0]) {
                    cancel.cancel(); // the last model is complete; only the publishing is left
                }
            }
        };
        assertThatThrownBy(() -> synth(out, 7, lastBytes, cancel)).isInstanceOf(CancellationException.class);
        assertThat(seeds(out).values()).containsOnly("seed=0");
    }

    @Test
    void everyModelIsInPlaceBeforeAnyIsReportedFinished() throws Exception {
        Path out = dir.resolve("m");
        synth(out, 0, ProgressListener.NONE, new CancelToken());
        List<Map<String, String>> seen = new ArrayList<>();
        List<Path> finished = new ArrayList<>();
        ProgressListener listener = new ProgressListener() {
            @Override
            public void finished(MergeStats stats) {
                finished.add(stats.output());
                try {
                    seen.add(seeds(out));
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }
        };
        List<MergeStats> stats = synth(out, 7, listener, new CancelToken());
        assertThat(finished).containsExactlyElementsOf(Stream.of("base", "sft-1", "sft-2", "lora-1", "target").map(out::resolve).toList());
        assertThat(stats).extracting(MergeStats::output).containsExactlyElementsOf(finished);
        assertThat(seen).allSatisfy(s -> assertThat(s.values()).containsOnly("seed=7"));
    }

    @Test
    void somethingThatAppearsInAModelsPlaceDuringTheRunFailsItBeforeAnyModelIsReplaced() throws Exception {
        Path out = dir.resolve("m");
        synth(out, 0, ProgressListener.NONE, new CancelToken());
        ProgressListener intruder = new ProgressListener() {
            @Override
            public void started(int tensors, long outputBytes, long inputBytes, String backend, int threads) {
                try {
                    Files.writeString(out.resolve("sft-2/notes.txt"), "keep");
                } catch (java.io.IOException e) {
                    throw new AssertionError(e);
                }
            }
        };
        assertThatThrownBy(() -> synth(out, 7, intruder, new CancelToken())).isInstanceOf(UsageException.class)
                .hasMessageContaining("sft-2").hasMessageContaining("notes.txt");
        assertThat(seeds(out).values()).containsOnly("seed=0");
        assertThat(out.resolve("sft-2/notes.txt")).hasContent("keep");
        assertThat(names(out)).containsExactlyElementsOf(SET.stream().sorted().toList());
    }

    @Test
    void aFailedRunRemovesTheDirectoryItCreatedButNotOneThatWasThere() throws Exception {
        Path fresh = dir.resolve("fresh");
        CancelToken cancel = new CancelToken();
        assertThatThrownBy(() -> synth(fresh, 0, cancelAtStart(2, cancel), cancel)).isInstanceOf(CancellationException.class);
        assertThat(fresh).doesNotExist();

        Path there = Files.createDirectories(dir.resolve("there"));
        CancelToken again = new CancelToken();
        assertThatThrownBy(() -> synth(there, 0, cancelAtStart(2, again), again)).isInstanceOf(CancellationException.class);
        assertThat(there).isEmptyDirectory();
    }

    @Test
    void anOutThatMergeWouldRefuseIsRefusedBeforeAnythingIsWritten() throws Exception {
        CancelToken cancelled = new CancelToken();
        cancelled.cancel(); // were the path let through, the run would stop before writing a byte
        Path cwd = Path.of("").toAbsolutePath();
        List<String> before = names(cwd);
        for (Path out : List.of(Path.of(""), Path.of("/"), Path.of("."), Path.of(".."), cwd)) {
            assertThatThrownBy(() -> synth(out, 0, ProgressListener.NONE, cancelled)).as("OUT '%s'", out)
                    .isInstanceOf(UsageException.class)
                    .satisfiesAnyOf(e -> assertThat(e).hasMessageContaining("empty"), e -> assertThat(e).hasMessageContaining("refusing"));
        }
        assertThat(names(cwd)).isEqualTo(before);
        // An OUT that is a file is an output error, not an input one.
        Path file = Files.writeString(dir.resolve("file"), "x");
        assertThatThrownBy(() -> synth(file, 0, ProgressListener.NONE, new CancelToken())).isInstanceOf(OutputException.class)
                .hasMessageContaining("not a directory");
        assertThat(file).hasContent("x");
    }
}
