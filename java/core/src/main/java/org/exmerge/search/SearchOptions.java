package org.exmerge.search;

import java.nio.file.Path;
import java.time.Duration;
import org.exmerge.MergeOptions;
import org.exmerge.engine.CancelToken;

/**
 * How a search runs (none of this is part of its identity in search.json).
 *
 * @param workdir     the working directory: search.json, results.jsonl, candidates/, best/, report.md
 * @param evaluator   scores the candidates
 * @param parallel    evaluations at once (and at most this many candidates on disk besides best/)
 * @param keep        keep every candidate's directory instead of deleting it once scored
 * @param rescore     start afresh in a working directory whose settings differ (the old log is set aside)
 * @param evalTimeout limit per evaluation, or null
 * @param merge       backend, threads and the cancel token for the merges (their RunOptions sync and
 *                    overwrite are set by the search)
 */
public record SearchOptions(Path workdir, Evaluator evaluator, int parallel, boolean keep, boolean rescore,
                            Duration evalTimeout, MergeOptions merge) {
    /** The longest --eval-timeout: a year is already no limit, and its nanoseconds fit a deadline's long. */
    public static final Duration MAX_EVAL_TIMEOUT = Duration.ofDays(366);

    public SearchOptions {
        if (parallel < 1) {
            throw new IllegalArgumentException("--parallel must be at least 1");
        }
        if (evalTimeout != null && (evalTimeout.isNegative() || evalTimeout.isZero() || evalTimeout.compareTo(MAX_EVAL_TIMEOUT) > 0)) {
            throw new IllegalArgumentException("--eval-timeout must be positive and at most " + MAX_EVAL_TIMEOUT.toDays()
                    + " days, got " + evalTimeout);
        }
        if (workdir.toString().isBlank()) {
            // caught here: made absolute, "" would silently be the working directory
            throw new IllegalArgumentException("--workdir is empty (an unset shell variable?); name the search's working directory");
        }
        workdir = workdir.toAbsolutePath().normalize();
    }

    public CancelToken cancel() {
        return merge.cancel();
    }

    public Path candidates() {
        return workdir.resolve("candidates");
    }

    public Path best() {
        return workdir.resolve("best");
    }
}
