package org.exmerge.search;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.exmerge.error.ExmergeException;

/**
 * The ExMe procedure (extrapolation merging) as a search over recipes:
 * <ol>
 * <li><b>sft</b>: score each checkpoint as it is; keep the best {@code top} (two), ties to the one
 *     listed first.</li>
 * <li><b>expo</b>: for each kept checkpoint, in rank order, score {@code EXPO(x, α) = x + α·(x − base)}
 *     for every α of the grid; keep each checkpoint's best α (ties to the smaller grid position).</li>
 * <li><b>exme</b>: score {@code β·EXPO-1 + (1−β)·EXPO-2} for every β of the grid, EXPO-1 being the best
 *     checkpoint's best extrapolation; the best is the winner. Each candidate is one fused merge
 *     (the {@code exme} method: weights β(1+α₁) and (1−β)(1+α₂) on the task vectors).</li>
 * </ol>
 * With one kept checkpoint (top 1, or only one scored) the winner is its best extrapolation.
 */
public final class ExmeSearch {
    public static final List<Double> DEFAULT_ALPHAS = List.of(0.1, 0.2, 0.3, 0.4, 0.5);
    public static final List<Double> DEFAULT_BETAS = List.of(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9);
    public static final String SFT = "sft";
    public static final String EXPO = "expo";
    public static final String EXME = "exme";

    private final Path base;
    private final List<Path> checkpoints;
    private final Map<Path, String> labels;
    private final List<Double> alphas;
    private final List<Double> betas;
    private final int top;
    private final String tokenizerSource;

    public ExmeSearch(Path base, List<Path> checkpoints, List<Double> alphas, List<Double> betas, int top) {
        this(base, checkpoints, alphas, betas, top, null);
    }

    /** @param tokenizerSource every candidate's {@code tokenizer_source} (base, union or a model), or null for none */
    public ExmeSearch(Path base, List<Path> checkpoints, List<Double> alphas, List<Double> betas, int top, String tokenizerSource) {
        if (checkpoints.size() < 2 && top > 1) {
            throw new IllegalArgumentException("ExMe needs at least two checkpoints (or --top 1)");
        }
        if (checkpoints.isEmpty()) {
            throw new IllegalArgumentException("no checkpoints given");
        }
        if (top < 1 || top > 2) {
            throw new IllegalArgumentException("--top must be 1 or 2 (ExMe merges two extrapolations), got " + top);
        }
        if (alphas.isEmpty() || betas.isEmpty()) {
            throw new IllegalArgumentException("the α and β grids must not be empty");
        }
        for (double b : betas) {
            if (!(b >= 0 && b <= 1)) {
                throw new IllegalArgumentException("every β must be in [0, 1], got " + b);
            }
        }
        for (double a : alphas) {
            if (!Double.isFinite(a)) {
                throw new IllegalArgumentException("every α must be a finite number, got " + a);
            }
        }
        this.base = Recipes.named(base);
        this.checkpoints = checkpoints.stream().map(Recipes::named).toList();
        if (new LinkedHashSet<>(this.checkpoints).size() < this.checkpoints.size()) {
            throw new IllegalArgumentException("--checkpoints lists a model twice: " + this.checkpoints);
        }
        this.labels = Recipes.labels(this.checkpoints);
        // A value given twice would be the same candidate twice (one hash, one directory): once is enough.
        this.alphas = List.copyOf(new LinkedHashSet<>(alphas));
        this.betas = List.copyOf(new LinkedHashSet<>(betas));
        this.top = Math.min(top, checkpoints.size());
        this.tokenizerSource = tokenizerSource;
    }

    ObjectNode settings(Evaluator ev) {
        ObjectNode n = ResultsLog.JSON.createObjectNode();
        n.put("kind", "exme");
        n.put("base", base.toString());
        ArrayNode c = n.putArray("checkpoints");
        checkpoints.forEach(p -> c.add(p.toString()));
        ArrayNode a = n.putArray("alphas");
        alphas.forEach(a::add);
        ArrayNode b = n.putArray("betas");
        betas.forEach(b::add);
        n.put("top", top);
        if (tokenizerSource != null) {
            n.put("tokenizer_source", tokenizerSource);
        }
        n.put("evaluator", ev.describe());
        return n;
    }

    /** Plans one EXPO per checkpoint (each against the base) and one ExMe before any work; see {@link SearchInputs}. */
    private void check(SearchOptions opts) throws IOException {
        for (Path c : checkpoints) {
            SearchInputs.notTheBase(base, c);
        }
        for (Path c : checkpoints) {
            SearchInputs.plan(Recipes.expo(base, c, alphas.getFirst(), tokenizerSource), "search exme, " + labels.get(c), opts);
        }
        if (top > 1) {
            SearchInputs.plan(Recipes.exme(base, checkpoints.get(0), alphas.getFirst(), checkpoints.get(1), alphas.getFirst(),
                    betas.getFirst(), tokenizerSource), "search exme", opts);
        }
    }

    public SearchOutcome run(SearchOptions opts, SearchListener listener) throws IOException {
        check(opts);
        Map<String, List<Result>> stages = new LinkedHashMap<>();
        Map<String, Object> chosen = new LinkedHashMap<>();
        List<Path> inputs = new ArrayList<>(checkpoints);
        inputs.add(base);
        try (Workdir work = Workdir.open(opts, Recipes.inputs(inputs, tokenizerSource, opts.evaluator()), settings(opts.evaluator()), listener);
             ResultsLog log = ResultsLog.open(opts.workdir().resolve(Settings.LOG))) {
            List<String> notes = work.notes();
            int total = checkpoints.size() + top * alphas.size() + (top > 1 ? betas.size() : 0);
            StageRunner runner = new StageRunner(opts, log, listener, total);

            // Stage 1: the checkpoints as they are.
            List<Candidate> sft = new ArrayList<>();
            for (Path c : checkpoints) {
                sft.add(Recipes.adapted(c)
                        ? new Candidate(SFT, labels.get(c), params("checkpoint", c.toString()), Recipes.applied(c), null)
                        : new Candidate(SFT, labels.get(c), params("checkpoint", c.toString()), Recipes.asIs(c), c));
            }
            List<Result> r1 = runner.run(SFT, sft);
            stages.put(SFT, r1);
            List<Result> ranked = ranked(r1);
            if (ranked.isEmpty()) {
                throw allFailed(SFT, opts);
            }
            List<Result> kept = ranked.subList(0, Math.min(top, ranked.size()));
            if (kept.size() < top) {
                note(notes, listener, "only " + kept.size() + " checkpoint scored; ExMe's merging stage is skipped");
                runner.total(checkpoints.size() + kept.size() * alphas.size());
            }

            // Stage 2: extrapolate each kept checkpoint over the α grid.
            List<Candidate> expo = new ArrayList<>();
            for (Result k : kept) {
                Path c = Path.of((String) k.candidate().params().get("checkpoint"));
                for (double a : alphas) {
                    expo.add(new Candidate(EXPO, labels.get(c) + " α=" + Recipes.label(a),
                            params("checkpoint", c.toString(), "alpha", a), Recipes.expo(base, c, a, tokenizerSource), null));
                }
            }
            List<Result> r2 = runner.run(EXPO, expo);
            stages.put(EXPO, r2);
            List<Result> bestExpo = new ArrayList<>();
            for (int k = 0; k < kept.size(); k++) {
                List<Result> mine = ranked(r2.subList(k * alphas.size(), (k + 1) * alphas.size()));
                if (mine.isEmpty()) {
                    note(notes, listener, "every extrapolation of " + kept.get(k).candidate().label() + " failed; it is dropped");
                } else {
                    bestExpo.add(mine.getFirst());
                }
            }
            if (bestExpo.isEmpty()) {
                throw allFailed(EXPO, opts);
            }
            for (int k = 0; k < bestExpo.size(); k++) {
                Map<String, Object> p = bestExpo.get(k).candidate().params();
                chosen.put("expo_" + (k + 1) + "_checkpoint", p.get("checkpoint"));
                chosen.put("alpha_" + (k + 1), p.get("alpha"));
            }
            Result winner;
            if (bestExpo.size() < 2) {
                if (kept.size() > 1) {
                    note(notes, listener, "only one checkpoint has a scored extrapolation; ExMe's merging stage is skipped");
                }
                winner = bestExpo.getFirst();
            } else {
                // Stage 3: merge the two best extrapolations over the β grid.
                Path c1 = Path.of((String) bestExpo.get(0).candidate().params().get("checkpoint"));
                Path c2 = Path.of((String) bestExpo.get(1).candidate().params().get("checkpoint"));
                double a1 = (Double) bestExpo.get(0).candidate().params().get("alpha");
                double a2 = (Double) bestExpo.get(1).candidate().params().get("alpha");
                List<Candidate> exme = new ArrayList<>();
                for (double b : betas) {
                    exme.add(new Candidate(EXME, "β=" + Recipes.label(b),
                            params("checkpoint_1", c1.toString(), "alpha_1", a1, "checkpoint_2", c2.toString(), "alpha_2", a2,
                                    "beta", b),
                            Recipes.exme(base, c1, a1, c2, a2, b, tokenizerSource), null));
                }
                List<Result> r3 = runner.run(EXME, exme);
                stages.put(EXME, r3);
                List<Result> r3ranked = ranked(r3);
                if (r3ranked.isEmpty()) {
                    throw allFailed(EXME, opts);
                }
                winner = r3ranked.getFirst();
                chosen.put("beta", winner.candidate().params().get("beta"));
            }
            return Winner.finish("exme", winner, stages, chosen, notes, opts, listener);
        }
    }

    /** Records a note for the report and tells the listener now. */
    static void note(List<String> notes, SearchListener listener, String message) {
        notes.add(message);
        listener.note(message);
    }

    /** Successful results, best first; equal scores keep candidate order. */
    static List<Result> ranked(List<Result> rs) {
        return rs.stream().filter(r -> r != null && r.ok()).sorted(Comparator.comparingDouble(Result::value).reversed()).toList();
    }

    static SearchException allFailed(String stage, SearchOptions opts) {
        return new SearchException(ExmergeException.Kind.INPUT, "every candidate of stage " + stage
                + " failed to score; see the failures in " + opts.workdir().resolve(Settings.LOG) + " and "
                + opts.workdir().resolve("logs"));
    }

    static Map<String, Object> params(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }
}
