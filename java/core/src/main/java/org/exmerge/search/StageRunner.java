package org.exmerge.search;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
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
    private final Path linkSource;
    private int finished;
    private int total;

    /** @param linkSource the model whose tokenizer/config files candidates link to instead of copying */
    StageRunner(SearchOptions opts, ResultsLog log, SearchListener listener, Path linkSource, int total) {
        this.opts = opts;
        this.log = log;
        this.listener = listener;
        this.linkSource = linkSource;
        this.total = total;
    }

    void total(int t) {
        total = t;
    }

    /** Removes what an interrupted run left in candidates/ (every candidate unless kept; always the temporaries). */
    /**
     * Opens the workdir for a search with these settings (a different search's workdir is refused
     * unless rescoring) and removes what an interrupted run left; returns the notes so far.
     */
    static List<String> begin(SearchOptions opts, ObjectNode settings, SearchListener listener)
            throws IOException {
        List<String> notes = new ArrayList<>();
        String note = Settings.prepare(opts.workdir(), settings, opts.rescore());
        if (note != null) {
            notes.add(note);
            listener.note(note);
        }
        clean(opts);
        return notes;
    }

    static void clean(SearchOptions opts) throws IOException {
        Path dir = opts.candidates();
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                if (!opts.keep() || p.getFileName().toString().startsWith(".")) {
                    FileTrees.deleteTree(p);
                }
            }
        }
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
                    model = c.merged() ? merge(c) : c.asIs();
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
                        if (c.merged() && !(scored && opts.keep())) {
                            try {
                                FileTrees.deleteTree(model);
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

    /** Writes a candidate into candidates/ as scratch: not forced to disk, tokenizer files linked. */
    private Path merge(Candidate c) throws IOException {
        Path dir = opts.candidates().resolve(c.stage() + "-" + c.shortHash());
        MergeOptions m = opts.merge().withRun(opts.merge().run().withSync(false).withOverwrite(true));
        try {
            Exmerge.merge(Exmerge.Source.parse(c.recipe(), c.label()), dir, m, ProgressListener.NONE);
        } catch (org.exmerge.engine.PlanException e) {
            throw SearchInputs.changed("stage " + c.stage() + ", candidate " + c.label(), e);
        } catch (org.exmerge.recipe.ConfigException e) {
            throw new IllegalStateException("the search built a recipe the engine refuses (" + e.getMessage() + "):\n"
                    + c.recipe(), e);
        }
        linkAuxFiles(dir);
        return dir;
    }

    /** Replaces copied side files (tokenizer, generation config) identical to the source's by links to it. */
    private void linkAuxFiles(Path dir) {
        if (linkSource == null || !Files.isDirectory(linkSource)) {
            return;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path f : s) {
                String name = f.getFileName().toString();
                if (name.endsWith(".safetensors") || name.endsWith(".index.json") || name.equals("config.json")
                        || !Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                Path src = linkSource.resolve(name).toAbsolutePath();
                if (Files.isRegularFile(src) && Files.mismatch(f, src) == -1) {
                    Files.delete(f);
                    try {
                        Files.createSymbolicLink(f, src);
                    } catch (IOException | UnsupportedOperationException noLinksHere) {
                        Files.copy(src, f);
                    }
                }
            }
        } catch (IOException e) {
            // the copies stay; linking only saves space
        }
    }

    private Result evaluate(Candidate c, Path model, int slot, long t0) throws IOException {
        Path evals = opts.workdir().resolve("evals");
        Path logs = opts.workdir().resolve("logs");
        Files.createDirectories(evals);
        Files.createDirectories(logs);
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
