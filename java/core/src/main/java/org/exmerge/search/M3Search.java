package org.exmerge.search;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.exmerge.method.m3.M3;
import org.exmerge.method.m3.M3Lambda;
import org.exmerge.text.Plain;

/**
 * Mixup Model Merge as a search: K candidates; candidate k (0 … K−1) uses seed {@code S + k}, draws
 * {@code λ_k ~ Beta(a, a)} from that seed with the same algorithm as the {@code m3} method
 * ({@link M3Lambda}), and is written as an explicit recipe of the base method with weights
 * {@code (λ_k, 1 − λ_k)} and {@code seed: S + k} — the same model as {@code merge_method: m3} at that
 * seed, but rebuildable from its recipe alone. The best-scoring candidate wins (ties: lower k).
 */
public final class M3Search {
    public static final String STAGE = "m3";
    static final Set<String> METHODS = Set.of("task_arithmetic", "linear", "ties", "dare_ties", "dare_linear");
    private static final Pattern KEY = Pattern.compile("[a-z_][a-z0-9_]*");

    private final List<Path> models;
    private final Path base;
    private final String method;
    private final double alpha;
    private final int samples;
    private final long seed;
    private final List<String[]> params;
    private final String tokenizerSource;

    public M3Search(List<Path> models, Path base, String method, double alpha, int samples, long seed,
                    List<String[]> params) {
        this(models, base, method, alpha, samples, seed, params, null);
    }

    /**
     * @param params extra global parameters of the base method ({@code density}, {@code lambda},
     *               {@code consensus} …) as key/value pairs; the recipe reader checks their types
     * @param tokenizerSource every candidate's {@code tokenizer_source} (base, union or a model), or null for none
     */
    public M3Search(List<Path> models, Path base, String method, double alpha, int samples, long seed,
                    List<String[]> params, String tokenizerSource) {
        if (models.size() != 2) {
            throw new IllegalArgumentException("M3 merges exactly two models, got " + models.size());
        }
        if (!METHODS.contains(method)) {
            throw new IllegalArgumentException("--method must be one of " + new java.util.TreeSet<>(METHODS) + ", got " + method);
        }
        if (base == null && !method.equals("linear")) {
            throw new IllegalArgumentException("--base is needed for " + method);
        }
        M3Lambda.draw(0, alpha); // validates the shape's range
        if (samples < 1) {
            throw new IllegalArgumentException("--samples must be at least 1");
        }
        try {
            Math.addExact(seed, samples - 1);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("--seed " + seed + ": candidate k uses seed S+k, and " + seed + " + " + (samples - 1)
                    + " does not fit in a 64-bit integer");
        }
        for (String[] kv : params) {
            if (!KEY.matcher(kv[0]).matches() || kv[1].isEmpty() || kv[0].equals("weight")) {
                throw new IllegalArgumentException("--param " + kv[0] + "=" + kv[1]
                        + ": expected NAME=VALUE for a parameter of " + method + " other than weight");
            }
        }
        this.models = models.stream().map(Recipes::named).toList();
        this.base = base == null ? null : Recipes.named(base);
        this.method = method;
        this.alpha = alpha;
        this.samples = samples;
        this.seed = seed;
        this.params = List.copyOf(params);
        this.tokenizerSource = tokenizerSource;
    }

    /** Candidate k's seed. */
    public static long seedOf(long seed, int k) {
        return seed + k;
    }

    ObjectNode settings(Evaluator ev) {
        ObjectNode n = ResultsLog.JSON.createObjectNode();
        n.put("kind", "m3");
        ArrayNode m = n.putArray("models");
        models.forEach(p -> m.add(p.toString()));
        n.put("base", base == null ? null : base.toString());
        n.put("method", method);
        n.put("alpha", alpha);
        n.put("samples", samples);
        n.put("seed", seed);
        ObjectNode p = n.putObject("params");
        params.forEach(kv -> p.put(kv[0], kv[1]));
        if (tokenizerSource != null) {
            n.put("tokenizer_source", tokenizerSource);
        }
        n.put("evaluator", ev.describe());
        return n;
    }

    /** Candidate k: its recipe is the base method with weights (λ, 1 − λ) at seed S+k. */
    private Candidate candidate(int k) {
        long s = seedOf(seed, k);
        double lambda = M3Lambda.draw(s, alpha);
        return new Candidate(STAGE, "k=" + k + " λ=" + Plain.format("%.4f", lambda), ExmeSearch.params("k", k, "seed", s, "lambda", lambda),
                Recipes.m3(method, base, models, lambda, alpha, k, s, params, tokenizerSource), null);
    }

    public SearchOutcome run(SearchOptions opts, SearchListener listener) throws IOException {
        // Candidates differ only in λ and seed: the first one planned checks the models and the --param values.
        SearchInputs.plan(candidate(0).recipe(), "search m3 (--param and models)", opts);
        List<Path> inputs = new ArrayList<>(models);
        if (base != null) {
            inputs.add(base);
        }
        try (Workdir work = Workdir.open(opts, Recipes.inputs(inputs, tokenizerSource, opts.evaluator()), settings(opts.evaluator()), listener);
             ResultsLog log = ResultsLog.open(opts.workdir().resolve(Settings.LOG))) {
            List<String> notes = work.notes();
            StageRunner runner = new StageRunner(opts, log, listener, samples);
            List<Candidate> cands = new ArrayList<>();
            for (int k = 0; k < samples; k++) {
                cands.add(candidate(k));
            }
            List<Result> rs = runner.run(STAGE, cands);
            List<Result> ranked = ExmeSearch.ranked(rs);
            if (ranked.isEmpty()) {
                throw ExmeSearch.allFailed(STAGE, opts);
            }
            Result winner = ranked.getFirst();
            Map<String, List<Result>> stages = new LinkedHashMap<>();
            stages.put(STAGE, rs);
            Map<String, Object> chosen = new LinkedHashMap<>();
            chosen.put("k", winner.candidate().params().get("k"));
            chosen.put("seed", winner.candidate().params().get("seed"));
            chosen.put("lambda", winner.candidate().params().get("lambda"));
            return Winner.finish("m3", winner, stages, chosen, notes, opts, listener);
        }
    }
}
