package org.exmerge.search;

import java.nio.file.Path;
import java.time.Duration;
import org.exmerge.engine.CancelToken;

/**
 * Turns a model directory into a {@link Score}. Implementations are safe to call from several
 * threads at once (one call per {@code slot}).
 */
public interface Evaluator {
    /**
     * Scores one model.
     *
     * @param model   the model directory
     * @param request where the evaluator may write (its own scratch path), the parallel slot, and a
     *                cancel token that stops it (the in-flight process is killed)
     * @throws EvaluationException no score (recorded as a failed candidate)
     * @throws java.util.concurrent.CancellationException when cancelled
     */
    Score evaluate(Path model, Request request) throws EvaluationException;

    /** The models or files it reads besides the candidate (a search's working directory may not hold them). */
    default java.util.List<Path> inputs() {
        return java.util.List.of();
    }

    /** The evaluator's settings as one line (recorded in search.json and with every result). */
    String describe();

    /**
     * One evaluation's context.
     *
     * @param scratch a path unique to this candidate (a file or directory name the evaluator may create)
     * @param workdir the search's working directory
     * @param slot    0 … parallel−1: which of the concurrent evaluations this is (for GPU pinning)
     * @param timeout wall-clock limit, or null for none
     * @param logs    prefix of the files the evaluator's stdout and stderr are kept in
     */
    record Request(Path scratch, Path workdir, int slot, Duration timeout, Path logs, CancelToken cancel) {}
}
