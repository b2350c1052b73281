package org.exmerge.extract;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.exmerge.engine.MemoryBudget;
import org.exmerge.engine.RunOptions;

/**
 * Modules decomposed ahead of the writer, each on a thread of its own with its arithmetic serial.
 * One module at a time across the run's threads kept only ~1.3 of 2 cores busy: the subspace
 * iteration's orthonormalisation and Ritz step are serial. A module's factors do not depend on how
 * it was split, so the adapter's bytes are the same either way. At most {@code window} modules are
 * in flight or done and not yet taken, each holding its Δ (float32, m × n) while it runs.
 */
final class DecomposeAhead<T> implements AutoCloseable {
    interface Job<T> {
        T run(ExtractPlan.Module mod) throws IOException;
    }

    private final List<ExtractPlan.Module> order;
    private final Map<String, Integer> positions = new HashMap<>();
    private final Map<String, Future<T>> pending = new HashMap<>();
    private final ExecutorService pool;
    private final int window;
    private final Job<T> job;
    private int next;

    /** {@code modules} are taken in the order of their lora_A's name (the order the adapter's tensors are written). */
    DecomposeAhead(List<ExtractPlan.Module> modules, int window, Job<T> job) {
        this.order = modules.stream().sorted(Comparator.comparing(ExtractPlan.Module::aName)).toList();
        for (int i = 0; i < order.size(); i++) {
            positions.put(order.get(i).module(), i);
        }
        this.window = window;
        this.job = job;
        this.pool = Executors.newFixedThreadPool(window, r -> {
            Thread t = new Thread(r, "exmerge-extract");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * How many modules may be decomposed at once: the run's threads, fewer when their Δs and work
     * arrays would not fit half the heap or the run's memory budget; 1 means no look-ahead.
     */
    static int window(List<ExtractPlan.Module> modules, RunOptions run) {
        long largest = 1;
        for (ExtractPlan.Module mod : modules) {
            largest = Math.max(largest, need(mod));
        }
        long room = Math.min(MemoryBudget.budgetOf(run), Runtime.getRuntime().maxMemory() / 2);
        return (int) Math.max(1, Math.min(Math.min(run.threads(), modules.size()), room / largest));
    }

    /** Bytes one module's decomposition holds: Δ in float, a dense decomposition's copy in double, a few k-wide blocks in double. */
    static long need(ExtractPlan.Module mod) {
        long k = mod.rank() + Math.max(8, mod.rank() / 2); // the subspace's width (TruncatedSvd)
        return 12L * mod.m() * mod.n() + 4 * 8 * k * (mod.m() + mod.n());
    }

    /** The factors of {@code mod}, waiting for them; starts the modules after it up to the window. */
    synchronized T take(ExtractPlan.Module mod) throws IOException {
        int at = positions.get(mod.module());
        while (next < order.size() && next < at + window) {
            ExtractPlan.Module ahead = order.get(next++);
            pending.put(ahead.module(), pool.submit(() -> job.run(ahead)));
        }
        Future<T> f = pending.remove(mod.module());
        if (f == null) {
            throw new IllegalStateException("module taken twice: " + mod.module());
        }
        return await(f);
    }

    static <T> T await(Future<T> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof UncheckedIOException u) {
                throw u.getCause();
            }
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Stops what is still running (each stops at its next round, which checks for an interrupt). */
    @Override
    public void close() {
        pool.shutdownNow();
    }
}
