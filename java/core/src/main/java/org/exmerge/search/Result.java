package org.exmerge.search;

import java.util.Map;

/**
 * What scoring one candidate gave: a score, or a failure with the evaluator's stderr tail.
 *
 * @param candidate  the candidate
 * @param score      the score, or null when the evaluation failed
 * @param evaluator  the evaluator's description
 * @param seconds    wall time of the merge and the evaluation
 * @param failure    why there is no score, or null
 * @param stderrTail the failed evaluator's last stderr output, or null
 * @param resumed    true when read back from an earlier run's results log
 */
public record Result(Candidate candidate, Score score, String evaluator, double seconds, String failure, String stderrTail,
                     boolean resumed) {
    public boolean ok() {
        return score != null;
    }

    public double value() {
        return score == null ? Double.NaN : score.score();
    }

    public Map<String, Double> tasks() {
        return score == null ? Map.of() : score.tasks();
    }
}
