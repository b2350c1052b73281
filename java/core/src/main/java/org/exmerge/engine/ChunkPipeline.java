package org.exmerge.engine;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;
import org.exmerge.format.ShardWriter;
import org.exmerge.format.TensorSpec;
import org.exmerge.kernel.Operand;
import org.exmerge.method.Parallel;
import org.exmerge.method.TensorMerge;

/**
 * Cuts tensors into fixed-size chunks; a worker of the run's {@link Workers} computes a chunk and
 * writes it at its place in the output ({@link ShardWriter#writeAt}), so filling the page cache runs
 * on every worker rather than on one thread. Chunks are retired strictly in order on the calling thread (progress,
 * releasing a finished tensor's inputs). At most {@code window} native buffers, made as chunks
 * first need them and reused, bound memory: at most {@code window} chunks are in flight, so peak
 * memory depends on threads and chunk size, never on model size. Chunk boundaries never change a
 * result because every kernel is element-wise in absolute element indices.
 */
final class ChunkPipeline implements AutoCloseable {
    private final Workers workers;
    private final long chunkBytes;
    private final int window;
    private final boolean bindAhead;
    private final Arena arena = Arena.ofShared();
    private final ArrayDeque<MemorySegment> free = new ArrayDeque<>();

    ChunkPipeline(Workers workers, long chunkBytes, boolean bindAhead) {
        this.workers = workers;
        this.bindAhead = bindAhead;
        this.chunkBytes = Math.max(8, chunkBytes);
        this.window = window(workers.threads());
    }

    /** Chunk buffers (and chunks in flight) for {@code threads} workers: two each, so none waits on retiring. */
    static int window(int threads) {
        return 2 * threads + 2;
    }

    private record Pending(Future<?> done, MemorySegment buffer, long bytes, int tensor, boolean last) {}

    /**
     * Writes every tensor of {@code specs} in order. {@code binder} gives each tensor's computation.
     * With {@code bindAhead} it runs one tensor ahead, on a thread of its own: while this thread
     * hands out tensor t's chunks, tensor t + 1 is bound (its bind-time passes jump the pool's queue,
     * see {@link Workers#parallel}), so the workers compute chunks while the binder's own serial
     * steps (a TIES threshold's sample and select) run; else this thread binds each tensor just
     * before its chunks. {@code written} hears when a tensor's last byte has been written, so its
     * inputs can be released. Nothing runs on the workers or the binder's thread once this returns.
     */
    void run(List<TensorSpec> specs, OutputRun.Binder binder, IntConsumer written, ShardWriter writer,
             ProgressListener listener, CancelToken cancel) throws IOException {
        ArrayDeque<Pending> inFlight = new ArrayDeque<>();
        long[] bytes = {0};
        AtomicBoolean aborted = new AtomicBoolean();
        Parallel parallel = workers.parallel();
        ExecutorService ahead = bindAhead ? Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "exmerge-binder");
            t.setDaemon(true);
            return t;
        }) : null;
        Future<TensorMerge> next = ahead == null || specs.isEmpty() ? null : ahead.submit(() -> binder.bind(0, parallel));
        try {
            for (int t = 0; t < specs.size(); t++) {
                cancel.check();
                TensorSpec spec = specs.get(t);
                listener.tensor(t, spec.name());
                TensorMerge merge = ahead == null ? binder.bind(t, parallel) : Workers.await(next);
                next = null;
                if (ahead != null && t + 1 < specs.size()) {
                    int following = t + 1;
                    next = ahead.submit(() -> aborted.get() ? null : binder.bind(following, parallel));
                }
                int size = spec.dtype().size();
                long perChunk = Math.max(1, chunkBytes / size);
                long n = spec.byteSize() / size;
                if (n == 0) {
                    written.accept(t);
                }
                for (long start = 0; start < n; start += perChunk) {
                    cancel.check();
                    if (inFlight.size() == window) {
                        drainOne(inFlight, listener, bytes, written);
                    }
                    long count = Math.min(perChunk, n - start);
                    // Made on first need (at most window of them, as many as are in flight): zeroing them
                    // all before the first chunk was ~20 ms of a 3 x 1 GB merge's start on this thread.
                    MemorySegment buf = free.isEmpty() ? arena.allocate(chunkBytes, 64) : free.pop();
                    long s = start;
                    int index = t;
                    Operand out = new Operand(buf, spec.dtype());
                    Callable<Void> chunk = () -> {
                        if (aborted.get()) {
                            return null; // the run has failed: skip the work, just finish
                        }
                        merge.compute(s, count, out);
                        writer.writeAt(index, s * size, buf.asSlice(0, count * size));
                        return null;
                    };
                    inFlight.add(new Pending(workers.submit(chunk), buf, count * size, t, start + count == n));
                }
            }
            while (!inFlight.isEmpty()) {
                drainOne(inFlight, listener, bytes, written);
            }
        } finally {
            if (!inFlight.isEmpty() || next != null) {
                // Chunks not started yet return at once, and so does a bind not started yet; a
                // running chunk or bind finishes, so no thread touches a buffer, a mapped input or
                // the shards once this returns (their failures are moot).
                aborted.set(true);
                List<Future<?>> pending = new ArrayList<>(inFlight.stream().map(Pending::done).toList());
                if (next != null) {
                    pending.add(next);
                }
                Workers.awaitAll(pending);
            }
            if (ahead != null) {
                ahead.shutdown();
            }
        }
    }

    private void drainOne(ArrayDeque<Pending> inFlight, ProgressListener listener, long[] bytes, IntConsumer written)
            throws IOException {
        Pending p = inFlight.poll();
        Workers.await(p.done());
        free.push(p.buffer());
        bytes[0] += p.bytes();
        listener.progress(bytes[0]);
        if (p.last()) {
            written.accept(p.tensor());
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
