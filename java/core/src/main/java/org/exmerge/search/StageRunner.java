package org.exmerge.search;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.exmerge.Exmerge;
import org.exmerge.MergeOptions;
import org.exmerge.engine.OutputException;
import org.exmerge.engine.ProgressListener;
import org.exmerge.format.FileTrees;

/**
 * Scores one stage's candidates: merges them one after another (scratch outputs, not forced to disk)
 * while up to {@code parallel} evaluations run, never holding more than {@code parallel} candidates
 * on disk. Candidates the results log already scored are not scored again. Each result is appended
 * to the log (forced) as it arrives; a candidate's directory is deleted once scored unless kept.
 */
final class StageRunner {
    private final SearchOptions opts;
    private final ResultsLog log;
    private final SearchListener listener;
    private int finished;
    private int total;

    StageRunner(SearchOptions opts, ResultsLog log, SearchListener listener, int total) {
        this.opts = opts;
        this.log = log;
        this.listener = listener;
        this.total = total;
    }

    void total(int t) {
        total = t;
    }

    /** Results in candidate order. */
    List<Result> run(String stage, List<Candidate> cands) throws IOException {
        int n = cands.size();
        Result[] out = new Result[n];
        List<Integer> todo = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out[i] = log.earlier(cands.get(i));
            if (out[i] == null) {
                todo.add(i);
            }
        }
        listener.stage(stage, n, n - todo.size());
        for (Result r : out) {
            if (r != null) {
                report(r);
            }
        }
        if (todo.isEmpty()) {
            return Arrays.asList(out);
        }
        int parallel = opts.parallel();
        Semaphore onDisk = new Semaphore(parallel);
        BlockingQueue<Integer> slots = new ArrayBlockingQueue<>(parallel);
        for (int s = 0; s < parallel; s++) {
            slots.add(s);
        }
        AtomicReference<Throwable> fatal = new AtomicReference<>();
        ExecutorService pool = Executors.newFixedThreadPool(parallel, r -> {
            Thread t = new Thread(r, "exmerge-eval");
            t.setDaemon(true);
            return t;
        });
        List<Future<?>> running = new ArrayList<>();
        try {
            for (int i : todo) {
                if (opts.cancel().isCancelled() || fatal.get() != null) {
                    break;
                }
                while (!onDisk.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                    if (opts.cancel().isCancelled()) {
                        break;
                    }
                }
                if (opts.cancel().isCancelled()) {
                    break;
                }
                Candidate c = cands.get(i);
                long t0 = System.nanoTime();
                Path model;
                try {
                    model = c.merged() ? merge(c) : CandidateDirs.scratch(CandidateDirs.of(opts, c), c.asIs());
                } catch (CancellationException e) {
                    onDisk.release();
                    break;
                } catch (IOException | RuntimeException e) {
                    onDisk.release();
                    fatal.compareAndSet(null, e);
                    break;
                }
                int index = i;
                running.add(pool.submit(() -> {
                    Integer slot = null;
                    boolean scored = false;
                    try {
                        slot = slots.take();
                        Result r = evaluate(c, model, slot, t0);
                        log.append(r);
                        out[index] = r;
                        scored = r.ok();
                        report(r);
                    } catch (CancellationException | InterruptedException lostInFlight) {
                        // in flight when cancelled: not recorded, scored again on resume
                    } catch (Throwable e) {
                        fatal.compareAndSet(null, e);
                    } finally {
                        if (!(scored && opts.keep())) {
                            try {
                                FileTrees.deleteTree(CandidateDirs.of(opts, c));
                            } catch (IOException leftover) {
                                // removed by the next run's clean-up
                            }
                        }
                        if (slot != null) {
                            slots.add(slot);
                        }
                        onDisk.release();
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    fatal.compareAndSet(null, e.getCause());
                }
            }
        } catch (InterruptedException e) {
            opts.cancel().cancel();
            Thread.currentThread().interrupt();
        } finally {
            pool.shutdown();
            try {
                pool.awaitTermination(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Throwable f = fatal.get();
        if (f instanceof IOException io) {
            throw io;
        }
        if (f instanceof RuntimeException re) {
            throw re;
        }
        if (f instanceof Error err) {
            throw err;
        }
        if (opts.cancel().isCancelled()) {
            throw new CancellationException("cancelled");
        }
        return Arrays.asList(out);
    }

    private synchronized void report(Result r) {
        listener.candidate(r, ++finished, Math.max(total, finished));
    }

    /** Writes a candidate into candidates/ as scratch: not forced to disk, marked as the search's. */
    private Path merge(Candidate c) throws IOException {
        Path dir = CandidateDirs.of(opts, c);
        CandidateDirs.clear(dir);
        MergeOptions m = opts.merge().withRun(opts.merge().run().withSync(false).withOverwrite(false));
        try {
            Exmerge.merge(Exmerge.Source.parse(c.recipe(), c.label()), dir, m, ProgressListener.NONE);
        } catch (org.exmerge.engine.PlanException e) {
            throw SearchInputs.changed("stage " + c.stage() + ", candidate " + c.label(), e);
        } catch (org.exmerge.recipe.ConfigException e) {
            throw new IllegalStateException("the search built a recipe the engine refuses (" + e.getMessage() + "):\n"
                    + c.recipe(), e);
        }
        CandidateDirs.mark(dir);
        return dir;
    }

    private Result evaluate(Candidate c, Path model, int slot, long t0) throws IOException {
        Path evals = opts.workdir().resolve("evals");
        Path logs = opts.workdir().resolve("logs");
        for (Path d : List.of(evals, logs)) {
            try {
                Files.createDirectories(d);
            } catch (IOException e) {
                throw new OutputException(d, e);
            }
        }
        String name = c.stage() + "-" + c.shortHash();
        Evaluator.Request req = new Evaluator.Request(evals.resolve(name + ".json"), opts.workdir(), slot,
                opts.evalTimeout(), logs.resolve(name), opts.cancel());
        Evaluator ev = opts.evaluator();
        try {
            Score s = ev.evaluate(model, req);
            return new Result(c, s, ev.describe(), (System.nanoTime() - t0) / 1e9, null, null, false);
        } catch (EvaluationException e) {
            return new Result(c, null, ev.describe(), (System.nanoTime() - t0) / 1e9, e.getMessage(), e.stderrTail(), false);
        } catch (CancellationException e) {
            throw e;
        } catch (RuntimeException e) {
            return new Result(c, null, ev.describe(), (System.nanoTime() - t0) / 1e9,
                    "evaluator failed: " + e, null, false);
        }
    }
}
