package org.exmerge.search;

import java.util.Map;

/**
 * What an evaluator says about one model: a score (higher is better) and optional per-task scores.
 *
 * @param score the overall score; finite
 * @param tasks per-task scores by task name, in the evaluator's order (may be empty)
 */
public record Score(double score, Map<String, Double> tasks) {
    public Score {
        if (!Double.isFinite(score)) {
            throw new IllegalArgumentException("score must be a finite number, got " + score);
        }
        tasks = tasks == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(tasks));
    }
}
