package org.exmerge.search;

/**
 * An evaluation that gave no score: the process failed, timed out or printed something that is not a
 * score. The search records it as a failed candidate and goes on.
 */
public final class EvaluationException extends Exception {
    private final String stderrTail;

    public EvaluationException(String message, String stderrTail) {
        super(message);
        this.stderrTail = stderrTail == null ? "" : stderrTail;
    }

    /** The last lines of the evaluator's standard error (empty when there was none). */
    public String stderrTail() {
        return stderrTail;
    }
}
