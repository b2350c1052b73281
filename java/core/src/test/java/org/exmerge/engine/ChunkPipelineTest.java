package org.exmerge.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.exmerge.format.DType;
import org.exmerge.format.TensorSpec;
import org.exmerge.method.TensorMerge;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The binding runs one tensor ahead of the chunks, and a failed bind stops the run cleanly. */
class ChunkPipelineTest {
    private static final long CHUNK = 4096;
    /** Tensor 0 has 20 chunks, more than the 6 that 2 threads keep in flight. */
    private static final List<TensorSpec> SPECS = List.of(
            new TensorSpec("first", DType.BF16, new long[] {20, 2048}),
            new TensorSpec("second", DType.BF16, new long[] {2048}));

    @TempDir
    Path dir;

    private static RunOptions opts() {
        return new RunOptions(2, CHUNK, RunOptions.DEFAULT_SHARD_BYTES, false).withSync(false);
    }

    private static MergeStats write(Path out, OutputRun.Binder binder) throws Exception {
        return OutputRun.write(out, SPECS, binder, i -> { }, Map.of(), d -> { }, opts(), ProgressListener.NONE,
                new CancelToken(), "test", Map::of, 0);
    }

    private static TensorMerge zeros() {
        return (start, n, out) -> out.segment().asSlice(0, n * 2).fill((byte) 0);
    }

    @Test
    void theNextTensorIsBoundWhileThisOnesChunksWait() throws Exception {
        // Tensor 0's chunks wait until tensor 1 has been bound: were the binding done only after the
        // last of tensor 0's chunks was handed out, the window would fill and the run would stall.
        CountDownLatch secondBound = new CountDownLatch(1);
        OutputRun.Binder binder = (i, parallel) -> {
            if (i == 0) {
                return (start, n, out) -> {
                    try {
                        if (!secondBound.await(30, TimeUnit.SECONDS)) {
                            throw new IllegalStateException("tensor 1 was not bound ahead");
                        }
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    zeros().compute(start, n, out);
                };
            }
            secondBound.countDown();
            return zeros();
        };
        MergeStats stats = write(dir.resolve("out"), binder);
        assertThat(stats.tensors()).isEqualTo(2);
        assertThat(dir.resolve("out/model.safetensors")).exists();
    }

    @Test
    void withoutBindingAheadTheCallerBindsEachTensorInTurn() throws Exception {
        List<String> binders = new java.util.concurrent.CopyOnWriteArrayList<>();
        OutputRun.Binder binder = (i, parallel) -> {
            binders.add(Thread.currentThread().getName());
            return zeros();
        };
        try (Workers workers = new Workers(2)) {
            OutputRun.write(dir.resolve("inline"), SPECS, binder, i -> { }, Map.of(), d -> { }, opts(), ProgressListener.NONE,
                    new CancelToken(), "test", Map::of, 0, workers, false);
        }
        assertThat(binders).containsOnly(Thread.currentThread().getName()).hasSize(2);
        write(dir.resolve("ahead"), binder);
        assertThat(binders.subList(2, 4)).containsOnly("exmerge-binder");
    }

    @Test
    void aBindThatFailsWhileChunksAreInFlightLeavesNothingRunningOrWritten() throws Exception {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger started = new AtomicInteger();
        OutputRun.Binder binder = (i, parallel) -> {
            if (i == 1) {
                throw new IllegalStateException("bind of tensor 1 failed");
            }
            return (start, n, out) -> {
                running.incrementAndGet();
                started.incrementAndGet();
                try {
                    Thread.sleep(5);
                    zeros().compute(start, n, out);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                } finally {
                    running.decrementAndGet();
                }
            };
        };
        Throwable thrown = catchThrowable(() -> write(dir.resolve("out"), binder));
        assertThat(running.get()).as("chunks still computing after the run returned").isZero();
        int atReturn = started.get();
        assertThat(thrown).isInstanceOf(IllegalStateException.class).hasMessage("bind of tensor 1 failed");
        assertThat(dir.resolve("out")).doesNotExist();
        try (var left = Files.list(dir)) {
            assertThat(left).as("no temp directory left").isEmpty();
        }
        Thread.sleep(50);
        assertThat(started.get()).as("a chunk started after the run returned").isEqualTo(atReturn);
    }

    @Test
    void eachRunningChunkHasABufferOfItsOwnAndAtMostOnePerWorkerIsMade() throws Exception {
        java.util.Set<Long> made = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.Set<Long> inUse = java.util.concurrent.ConcurrentHashMap.newKeySet();
        AtomicInteger shared = new AtomicInteger();
        AtomicInteger chunks = new AtomicInteger();
        OutputRun.Binder binder = (i, parallel) -> (start, n, out) -> {
            long address = out.segment().address();
            made.add(address);
            if (!inUse.add(address)) {
                shared.incrementAndGet();
            }
            try {
                Thread.sleep(2); // let the other worker run a chunk at the same time
                zeros().compute(start, n, out);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            } finally {
                inUse.remove(address);
                chunks.incrementAndGet();
            }
        };
        write(dir.resolve("out"), binder);
        assertThat(chunks.get()).isEqualTo(21);
        assertThat(shared.get()).as("chunks running in one buffer at once").isZero();
        assertThat(made).as("buffers made for 2 workers, with 6 chunks in flight").hasSizeBetween(1, 2);
    }
}
