package org.exmerge.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import org.exmerge.method.Parallel;

/**
 * A run's one pool of worker threads: model passes, bind-time passes and the chunks all run on it.
 * Whoever submits tasks waits for every one of them before returning, failure or not
 * ({@link #awaitAll}), so nothing still reads a mapped input or writes a buffer once its caller has
 * moved on; {@link #close} then only stops idle threads.
 */
final class Workers implements AutoCloseable {
    private final int threads;
    private final ExecutorService pool;

    Workers(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be ≥ 1");
        }
        this.threads = threads;
        this.pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "exmerge-worker");
            t.setDaemon(true);
            return t;
        });
    }

    int threads() {
        return threads;
    }

    <T> Future<T> submit(Callable<T> task) {
        return pool.submit(task);
    }

    /** Runs bind-time pieces on the pool (behind the tasks already queued), waits for all, then rethrows the first failure. */
    Parallel parallel() {
        return new Parallel() {
            @Override
            public void run(int pieces, IntConsumer piece) {
                if (pieces <= 1 || threads == 1) {
                    Parallel.SERIAL.run(pieces, piece);
                    return;
                }
                List<Future<?>> running = new ArrayList<>(pieces);
                for (int i = 0; i < pieces; i++) {
                    int index = i;
                    running.add(pool.submit(() -> piece.accept(index)));
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
        pool.shutdownNow();
        try {
            pool.awaitTermination(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
