package org.exmerge.search;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.exmerge.text.Plain;

/**
 * {@code report.md}: the search's tables in the shape of the ExMe paper's (per-task scores and the
 * average for every checkpoint, the best extrapolation per checkpoint, the best ExMe), the chosen
 * parameters, every candidate of every stage, the failures, the winner's recipe, and the plots
 * ({@code alpha.png}, {@code beta.png}; {@code lambda.png} for M3).
 */
final class Report {
    private Report() {}

    static void write(SearchOutcome o, SearchOptions opts) throws IOException {
        List<String> plots = Plots.draw(o, opts.workdir());
        StringBuilder b = new StringBuilder();
        b.append(SearchFiles.REPORT_TITLE).append(o.kind().equals("exme") ? "ExMe (extrapolation merging)" : "M3 (mixup model merge)")
                .append("\n\n");
        b.append("- evaluator: `").append(opts.evaluator().describe()).append("` (higher is better)\n");
        b.append("- winner: **").append(o.winner().candidate().label()).append("**, score ").append(fmt(o.winner().value()))
                .append(", recipe hash `").append(o.winner().candidate().shortHash()).append("`\n");
        b.append("- winner model: `").append(o.best()).append("`; recipe: `").append(o.recipe()).append("` (`exmerge merge ")
                .append(o.recipe().getFileName()).append(" OUT` rebuilds it bit for bit)\n");
        b.append("- chosen: ");
        List<String> ch = new ArrayList<>();
        o.chosen().forEach((k, v) -> ch.add(k + " = " + (v instanceof Double d ? Recipes.label(d) : v)));
        b.append(String.join(", ", ch)).append("\n");
        for (String n : o.notes()) {
            b.append("- note: ").append(n).append('\n');
        }
        b.append('\n');
        List<String> tasks = taskNames(o);
        if (o.kind().equals("exme")) {
            summary(b, o, tasks);
        }
        for (Map.Entry<String, List<Result>> e : o.stages().entrySet()) {
            b.append("## Stage ").append(e.getKey()).append(": every candidate\n\n");
            table(b, e.getValue(), tasks, true);
        }
        if (!plots.isEmpty()) {
            b.append("## Plots\n\n");
            for (String p : plots) {
                b.append("![").append(p).append("](").append(p).append(")\n\n");
            }
        }
        List<Result> failures = o.failures();
        b.append("## Failures\n\n");
        if (failures.isEmpty()) {
            b.append("None.\n\n");
        } else {
            b.append("| Stage | Candidate | Hash | Failure | Stderr (tail) |\n|---|---|---|---|---|\n");
            for (Result r : failures) {
                String tail = r.stderrTail() == null ? "" : r.stderrTail();
                if (tail.length() > 300) {
                    tail = "…" + tail.substring(tail.length() - 300);
                }
                b.append("| ").append(r.candidate().stage()).append(" | ").append(r.candidate().label()).append(" | `")
                        .append(r.candidate().shortHash()).append("` | ").append(cell(r.failure())).append(" | ")
                        .append(cell(tail)).append(" |\n");
            }
            b.append('\n');
        }
        b.append("## Winner's recipe\n\n```yaml\n").append(o.winner().candidate().recipe()).append("```\n");
        SearchFiles.requireOwn(o.report());
        SearchFiles.writeDurably(o.report(), b.toString());
    }

    /** The paper's Tables 1–2: checkpoints, the best EXPO per kept checkpoint, the best ExMe. */
    private static void summary(StringBuilder b, SearchOutcome o, List<String> tasks) {
        b.append("## Summary (the shape of the paper's Tables 1–2)\n\n");
        b.append("| Model | Optimal hyperparameters |");
        tasks.forEach(t -> b.append(' ').append(t).append(" |"));
        b.append(" Average |\n|---|---|");
        tasks.forEach(t -> b.append("---|"));
        b.append("---|\n");
        List<Result> sft = o.stages().getOrDefault(ExmeSearch.SFT, List.of());
        List<Result> ranked = ExmeSearch.ranked(sft);
        for (Result r : sft) {
            int rank = ranked.indexOf(r);
            String name = r.candidate().label() + (rank >= 0 && rank < 2 ? " (SFT-" + (rank + 1) + ")" : "");
            row(b, name, "-", r, tasks);
        }
        List<Result> expo = o.stages().getOrDefault(ExmeSearch.EXPO, List.of());
        Map<String, String> labels = Recipes.labels(o.stages());
        int k = 1;
        for (String ckpt : expoCheckpoints(expo)) {
            List<Result> mine = expo.stream().filter(r -> ckpt.equals(r.candidate().params().get("checkpoint"))).toList();
            List<Result> best = ExmeSearch.ranked(mine);
            if (!best.isEmpty()) {
                Result r = best.getFirst();
                row(b, "EXPO-" + k + " (" + labels.getOrDefault(ckpt, Recipes.name(Path.of(ckpt))) + ")",
                        "α = " + Recipes.label((Double) r.candidate().params().get("alpha")), r, tasks);
            }
            k++;
        }
        List<Result> exme = ExmeSearch.ranked(o.stages().getOrDefault(ExmeSearch.EXME, List.of()));
        if (!exme.isEmpty()) {
            Result r = exme.getFirst();
            row(b, "**ExMe**", "β = " + Recipes.label((Double) r.candidate().params().get("beta")), r, tasks);
        }
        b.append("\nAverage is the evaluator's overall score. SFT-1/SFT-2: the two checkpoints kept by stage 1.\n\n");
    }

    private static List<String> expoCheckpoints(List<Result> expo) {
        Set<String> s = new LinkedHashSet<>();
        for (Result r : expo) {
            s.add((String) r.candidate().params().get("checkpoint"));
        }
        return new ArrayList<>(s);
    }

    private static void row(StringBuilder b, String name, String hyper, Result r, List<String> tasks) {
        b.append("| ").append(name).append(" | ").append(hyper).append(" |");
        for (String t : tasks) {
            Double v = r.tasks().get(t);
            b.append(' ').append(v == null ? "" : fmt(v)).append(" |");
        }
        b.append(' ').append(r.ok() ? fmt(r.value()) : "failed").append(" |\n");
    }

    private static void table(StringBuilder b, List<Result> rs, List<String> tasks, boolean hashes) {
        b.append("| Candidate | Score |");
        tasks.forEach(t -> b.append(' ').append(t).append(" |"));
        b.append(" Seconds | Hash |\n|---|---|");
        tasks.forEach(t -> b.append("---|"));
        b.append("---|---|\n");
        for (Result r : rs) {
            if (r == null) {
                continue;
            }
            b.append("| ").append(r.candidate().label()).append(" | ").append(r.ok() ? fmt(r.value()) : "failed").append(" |");
            for (String t : tasks) {
                Double v = r.tasks().get(t);
                b.append(' ').append(v == null ? "" : fmt(v)).append(" |");
            }
            b.append(Plain.format(" %.2f%s | `%s` |%n", r.seconds(), r.resumed() ? " (earlier run)" : "",
                    r.candidate().shortHash()));
        }
        b.append('\n');
    }

    static List<String> taskNames(SearchOutcome o) {
        Set<String> names = new LinkedHashSet<>();
        o.stages().values().forEach(rs -> rs.stream().filter(Objects::nonNull).forEach(r -> names.addAll(r.tasks().keySet())));
        return new ArrayList<>(names);
    }

    static String fmt(double v) {
        if (v != 0 && Math.abs(v) < 1e-3) {
            return Plain.format("%.5e", v);
        }
        return Plain.format("%.5f", v);
    }

    private static String cell(String s) {
        return s == null ? "" : s.replace("|", "\\|").replace("\r", "").replace("\n", "<br>");
    }
}
