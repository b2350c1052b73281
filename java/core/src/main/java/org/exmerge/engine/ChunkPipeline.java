package org.exmerge.engine;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedDeque;
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
 * releasing a finished tensor's inputs). At most {@code window} chunks are in flight; a chunk takes a
 * native buffer only while it runs, from a pool of at most {@link #buffers(int)} (one per worker),
 * made as workers first need them and reused: peak memory depends on threads and chunk size, never
 * on model size. Chunk boundaries never change a result because every kernel is element-wise in
 * absolute element indices.
 */
final class ChunkPipeline implements AutoCloseable {
    private final Workers workers;
    private final long chunkBytes;
    private final int window;
    private final boolean bindAhead;
    private final Arena arena = Arena.ofShared();
    private final ConcurrentLinkedDeque<MemorySegment> free = new ConcurrentLinkedDeque<>();

    ChunkPipeline(Workers workers, long chunkBytes, boolean bindAhead) {
        this.workers = workers;
        this.bindAhead = bindAhead;
        this.chunkBytes = Math.max(8, chunkBytes);
        this.window = window(workers.threads());
    }

    /** Chunks in flight for {@code threads} workers: two each, so none waits on retiring. */
    static int window(int threads) {
        return 2 * threads + 2;
    }

    /**
     * Chunk buffers for {@code threads} workers: a chunk holds one only while a worker runs it, so
     * queued chunks hold none. A buffer per chunk in flight zeroed (and faulted in) three times the
     * memory before the first chunks, ~15 ms of a 2-core merge's start.
     */
    static int buffers(int threads) {
        return threads;
    }

    private record Pending(Future<?> done, long bytes, int tensor, boolean last) {}

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
                    long s = start;
                    int index = t;
                    Callable<Void> chunk = () -> {
                        if (aborted.get()) {
                            return null; // the run has failed: skip the work, just finish
                        }
                        MemorySegment buf = takeBuffer();
                        try {
                            merge.compute(s, count, new Operand(buf, spec.dtype()));
                            writer.writeAt(index, s * size, buf.asSlice(0, count * size));
                        } finally {
                            free.push(buf);
                        }
                        return null;
                    };
                    inFlight.add(new Pending(workers.submit(chunk), count * size, t, start + count == n));
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
        bytes[0] += p.bytes();
        listener.progress(bytes[0]);
        if (p.last()) {
            written.accept(p.tensor());
        }
    }

    /** A free buffer, or a new one: at most one per worker is ever made, as only a running chunk holds one. */
    private MemorySegment takeBuffer() {
        MemorySegment buf = free.poll();
        return buf != null ? buf : arena.allocate(chunkBytes, 64);
    }

    @Override
    public void close() {
        arena.close();
    }
}
