package org.exmerge.synth;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.concurrent.CancellationException;
import java.util.stream.Collectors;
import org.exmerge.engine.CancelToken;
import org.exmerge.engine.MemoryBudget;
import org.exmerge.engine.MergeStats;
import org.exmerge.engine.OutputException;
import org.exmerge.engine.OutputRun;
import org.exmerge.engine.ProgressListener;
import org.exmerge.engine.RunOptions;
import org.exmerge.error.ExmergeException;
import org.exmerge.format.OutputDirectory;
import org.exmerge.format.OutputGuard;

/**
 * The models of one synth run, published together. The fine-tunes derive from the base of their
 * seed, so a base of one seed beside fine-tunes of another is a broken set: every model is first
 * written complete under one hidden staging directory in OUT ({@code OUT/.synth.tmp-*}, locked as any
 * output's temporary is, so the next synth on OUT removes what a killed run left), and only when all
 * are complete are they renamed into place, one after another in a few milliseconds. Until then OUT's
 * earlier models stay as they were.
 */
final class StagedModels implements AutoCloseable {
    /** The name the staging directory is a temporary of; nothing is ever written at {@code OUT/synth}. */
    private static final String STAGE = "synth";

    /** One model of a set: writes it, complete, at {@code dir}. */
    @FunctionalInterface
    interface Model {
        MergeStats write(Path dir, RunOptions run, ProgressListener listener, CancelToken cancel) throws IOException;
    }

    private final Path out;
    private final OutputDirectory stage;
    private final List<String> names = new ArrayList<>();

    private StagedModels(Path out, OutputDirectory stage) {
        this.out = out;
        this.stage = stage;
    }

    /**
     * Checks every path, writes every model into the staging directory, then publishes them together;
     * {@code finished} comes for each model only then, since only then is it in place. Cancelled
     * before the publishing, nothing has changed at {@code out}; during it (a few renames) the
     * publishing goes on, so the set is never left half old and half new, and a notice says so.
     *
     * @return one stats entry per model, in {@code models}' order, each naming {@code out/name}
     */
    static List<MergeStats> write(Path out, SequencedMap<String, Model> models, RunOptions opts, ProgressListener listener,
                                  CancelToken cancel) throws IOException {
        check(out, List.copyOf(models.keySet()), opts.overwrite());
        MemoryBudget.Fit fit = MemoryBudget.fit(MemoryBudget.budgetOf(opts), opts.threads(), opts.chunkBytes(),
                Runtime.getRuntime().availableProcessors(), MemoryBudget.Demand.NONE);
        fit.notices().forEach(listener::notice);
        RunOptions run = fit.apply(opts);
        boolean fresh = !Files.exists(out, LinkOption.NOFOLLOW_LINKS);
        List<MergeStats> stats = new ArrayList<>();
        try (StagedModels set = create(out)) {
            for (Map.Entry<String, Model> m : models.entrySet()) {
                requireNotCancelled(cancel);
                MergeStats s = m.getValue().write(set.stage(m.getKey()), run, untilPublished(listener), cancel);
                stats.add(new MergeStats(out.resolve(m.getKey()), s.tensors(), s.outputBytes(), s.inputBytes(), s.nanos(),
                        s.backend(), s.threads(), s.fallbacks()));
            }
            requireNotCancelled(cancel);
            set.publish(run.overwrite(), run.sync());
        } catch (IOException | RuntimeException e) {
            if (fresh) {
                removeIfEmpty(out);
            }
            throw e;
        }
        stats.forEach(listener::finished);
        if (cancel.isCancelled()) {
            listener.notice("interrupted while the complete models were being renamed into place; that went on to the end,"
                    + " so all " + stats.size() + " are the new ones");
        }
        return stats;
    }

    /**
     * Refuses, before any work, an {@code out} whose models could land on something the user did
     * not name: first merge's refusals of an output path (empty, the root, the working directory or
     * one of its parents), then each model's path as a merge's output path.
     */
    static void check(Path out, List<String> names, boolean overwrite) throws IOException {
        try {
            OutputGuard.check(out, false, List.of());
        } catch (FileAlreadyExistsException exists) {
            // out is the directory the models go in, not a model: it may well exist already.
        } catch (ExmergeException e) {
            throw e;
        } catch (IOException e) {
            throw new OutputException(out, e);
        }
        for (String name : names) {
            OutputRun.checkTarget(out.resolve(name), overwrite, List.of());
        }
    }

    /** Creates the staging directory in {@code out} (and {@code out} if missing). */
    private static StagedModels create(Path out) throws OutputException {
        try {
            return new StagedModels(out, OutputDirectory.create(out.resolve(STAGE)));
        } catch (IOException e) {
            throw new OutputException(out, e);
        }
    }

    /** Where model {@code name} is to be written, complete, before it is published as {@code out/name}. */
    private Path stage(String name) {
        names.add(name);
        return stage.path().resolve(name);
    }

    /**
     * Renames every staged model into place. Each lands first in an output temporary of its own
     * target ({@link OutputDirectory}, empty, so the rename replaces it), whose commit then swaps it
     * with the old model as a merge's output is swapped; a failure before the first commit leaves
     * every old model in place. A failure after it says which models are new and which are not.
     */
    private void publish(boolean overwrite, boolean sync) throws IOException {
        List<OutputDirectory> landed = new ArrayList<>();
        try {
            for (String name : names) {
                Path target = out.resolve(name);
                OutputRun.checkTarget(target, overwrite, List.of()); // again: something may have appeared there meanwhile
                try {
                    OutputDirectory d = OutputDirectory.create(target);
                    landed.add(d);
                    Files.move(stage.path().resolve(name), d.path(), StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException e) {
                    throw new OutputException(target, e);
                }
            }
            for (int i = 0; i < landed.size(); i++) {
                try {
                    landed.get(i).commit(overwrite, sync);
                } catch (IOException e) {
                    IOException x = e instanceof ExmergeException ? e : new OutputException(out.resolve(names.get(i)), e);
                    throw i == 0 ? x : mixed(i, x);
                }
            }
        } finally {
            landed.forEach(OutputDirectory::abort); // nothing to do for the committed ones
        }
    }

    /** The failure of the {@code i}-th commit, saying which models are new and which are not. */
    private OutputException mixed(int i, IOException e) {
        OutputException x = new OutputException(e.getMessage() + "; the new models are in place at " + paths(names.subList(0, i))
                + " but not at " + paths(names.subList(i, names.size())) + ", so the set is mixed: run synth again");
        x.initCause(e);
        return x;
    }

    private String paths(List<String> some) {
        return some.stream().map(n -> out.resolve(n).toString()).collect(Collectors.joining(", "));
    }

    /** Removes the staging directory with whatever was not published. */
    @Override
    public void close() {
        stage.abort();
    }

    /** Passes every event on but {@code finished}: a model is finished when it is in place, after all are complete. */
    private static ProgressListener untilPublished(ProgressListener listener) {
        return new ProgressListener() {
            @Override
            public void started(int tensors, long outputBytes, long inputBytes, String backend, int threads) {
                listener.started(tensors, outputBytes, inputBytes, backend, threads);
            }

            @Override
            public void notice(String message) {
                listener.notice(message);
            }

            @Override
            public void tensor(int index, String name) {
                listener.tensor(index, name);
            }

            @Override
            public void progress(long outputBytesDone) {
                listener.progress(outputBytesDone);
            }
        };
    }

    private static void requireNotCancelled(CancelToken cancel) {
        if (cancel.isCancelled()) {
            throw new CancellationException("cancelled");
        }
    }

    /** Removes the directory a failed run created for its models; never one with anything in it. */
    private static void removeIfEmpty(Path dir) {
        try {
            Files.deleteIfExists(dir);
        } catch (IOException notEmpty) {
            // something else is in it now: it stays
        }
    }
}
