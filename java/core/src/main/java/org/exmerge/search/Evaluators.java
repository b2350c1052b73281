package org.exmerge.search;

import java.nio.file.Path;

/** Builds an evaluator from its {@code KIND:ARG} form. */
public final class Evaluators {
    private Evaluators() {}

    /**
     * Settings some kinds take besides their argument.
     *
     * @param lmEvalProgram the lm-eval program (and leading words), null for {@code lm_eval}
     * @param metric        the lm-eval metric, null for the default order
     * @param tensors       the reference evaluator's tensor-name filters, null for all
     */
    public record Settings(String lmEvalProgram, String metric, String[] tensors) {
        public static Settings defaults() {
            return new Settings(null, null, null);
        }
    }

    /** {@code command:TEMPLATE}, {@code lm-eval:TASKS} or {@code reference:TARGET}. */
    public static Evaluator parse(String spec, Settings s) {
        int colon = spec == null ? -1 : spec.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("--evaluator must be KIND:ARG with KIND command, lm-eval or reference; got '"
                    + spec + "'");
        }
        String kind = spec.substring(0, colon);
        String arg = spec.substring(colon + 1);
        // A setting the evaluator would not read is refused: dropped, it would leave a user believing
        // the search scored what it asked for.
        if (s.tensors() != null && !kind.equals("reference")) {
            throw new IllegalArgumentException("--eval-tensors applies to the reference: evaluator only, not " + kind + ":");
        }
        if ((s.lmEvalProgram() != null || s.metric() != null) && !kind.equals("lm-eval") && !kind.equals("lm_eval")) {
            throw new IllegalArgumentException((s.metric() != null ? "--metric" : "--lm-eval-program")
                    + " applies to the lm-eval: evaluator only, not " + kind + ":");
        }
        return switch (kind) {
            case "command" -> new CommandEvaluator(arg);
            case "lm-eval", "lm_eval" -> new LmEvalEvaluator(arg, s.lmEvalProgram(), s.metric());
            case "reference" -> {
                if (arg.isBlank()) {
                    throw new IllegalArgumentException("reference: needs a target model, e.g. reference:demo/models/target");
                }
                yield new ReferenceEvaluator(Path.of(arg), s.tensors());
            }
            default -> throw new IllegalArgumentException("unknown evaluator kind '" + kind
                    + "': use command:TEMPLATE, lm-eval:TASKS or reference:TARGET");
        };
    }
}
