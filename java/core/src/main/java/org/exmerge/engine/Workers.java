package org.exmerge.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import org.exmerge.method.Parallel;

/**
 * A run's one pool of worker threads: model passes, bind-time passes and the chunks all run on it.
 * Whoever submits tasks waits for every one of them before returning, failure or not
 * ({@link #awaitAll}), so nothing still reads a mapped input or writes a buffer once its caller has
 * moved on; {@link #close} then only stops idle threads.
 *
 * <p>Tasks queue in order, but a bind-time pass's pieces ({@link #parallel}) go ahead of every
 * queued chunk: the next tensor's thresholds are read while this tensor's chunks wait, so the
 * binding, which runs ahead on a thread of its own ({@link ChunkPipeline}), is never starved by the
 * chunks it is meant to feed. On 2 cores a TIES merge's workers were idle a quarter of the run
 * while each tensor's passes queued behind the last tensor's chunks.
 */
final class Workers implements AutoCloseable {
    private final int threads;
    private final LinkedBlockingDeque<Runnable> queue = new LinkedBlockingDeque<>();
    private final List<Thread> pool = new ArrayList<>();
    private volatile boolean closed;

    Workers(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be ≥ 1");
        }
        this.threads = threads;
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(this::work, "exmerge-worker");
            t.setDaemon(true);
            pool.add(t);
            t.start();
        }
    }

    /** A worker's loop: the queue's first task, until {@link #close}. */
    private void work() {
        while (!closed) {
            Runnable task;
            try {
                task = queue.takeFirst();
            } catch (InterruptedException e) {
                continue; // close() sets closed before it interrupts
            }
            task.run(); // a FutureTask: what the task throws stays in its future
            Thread.interrupted(); // an interrupt a task left behind is not the pool's
        }
    }

    int threads() {
        return threads;
    }

    /** Queues {@code task} behind every task already queued. */
    <T> Future<T> submit(Callable<T> task) {
        FutureTask<T> f = new FutureTask<>(task);
        queue.addLast(f);
        return f;
    }

    /**
     * Runs bind-time pieces on the pool, ahead of every task already queued (in their own order),
     * waits for all, then rethrows the first failure.
     */
    Parallel parallel() {
        return new Parallel() {
            @Override
            public void run(int pieces, IntConsumer piece) {
                if (pieces <= 1 || threads == 1) {
                    Parallel.SERIAL.run(pieces, piece);
                    return;
                }
                List<FutureTask<Void>> running = new ArrayList<>(pieces);
                for (int i = 0; i < pieces; i++) {
                    int index = i;
                    running.add(new FutureTask<>(() -> piece.accept(index), null));
                }
                for (int i = pieces - 1; i >= 0; i--) {
                    queue.addFirst(running.get(i));
                }
                Throwable failed = awaitAll(running);
                if (failed != null) {
                    try {
                        rethrow(failed);
                    } catch (IOException e) {
                        throw new UncheckedIOException("a bind-time pass does no I/O", e);
                    }
                }
            }

            @Override
            public int width() {
                return threads;
            }
        };
    }

    /** Waits for a task and rethrows what it threw as it was: a failed write stays an IOException. */
    static <T> T await(Future<T> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted");
        } catch (ExecutionException e) {
            rethrow(e.getCause());
            throw new AssertionError(e); // rethrow always throws
        }
    }

    /**
     * Waits until every task has finished (an interrupt does not stop the wait: the tasks may still
     * hold mapped inputs or buffers) and returns the first failure in order, or null. An interrupt is
     * kept on the thread and, when nothing failed, returned as a cancellation.
     */
    static Throwable awaitAll(Collection<? extends Future<?>> tasks) {
        Throwable first = null;
        boolean interrupted = false;
        for (Future<?> f : tasks) {
            while (true) {
                try {
                    f.get();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    first = first == null ? e.getCause() : first;
                    break;
                } catch (CancellationException e) {
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
            return first != null ? first : new CancellationException("interrupted");
        }
        return first;
    }

    /** Throws {@code failure} as what it is: an IOException, an unchecked exception or an error. */
    static void rethrow(Throwable failure) throws IOException {
        switch (failure) {
            case IOException io -> throw io;
            case RuntimeException re -> throw re;
            case Error err -> throw err;
            default -> throw new IllegalStateException(failure);
        }
    }

    @Override
    public void close() {
        // Callers have waited for their tasks, so the threads are idle: stop them and wait a little.
        closed = true;
        pool.forEach(Thread::interrupt);
        for (Thread t : pool) {
            try {
                t.join(TimeUnit.MINUTES.toMillis(1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
