package org.exmerge.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.exmerge.MergeOptions;
import org.exmerge.engine.RunOptions;
import org.exmerge.search.Evaluator;
import org.exmerge.search.Evaluators;
import org.exmerge.search.ExmeSearch;
import org.exmerge.search.M3Search;
import org.exmerge.search.Result;
import org.exmerge.search.SearchListener;
import org.exmerge.search.SearchOptions;
import org.exmerge.search.SearchOutcome;
import org.exmerge.text.Plain;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** {@code exmerge search exme|m3}: merge candidates, score them with an evaluator, keep the best. */
public final class SearchCommand implements Runnable {
    private CommandSpec spec;

    CommandSpec spec() {
        spec = Specs.command(this, "search", "Search merge parameters (ExMe's α/β, M3's λ) by scoring candidates.",
                "Every result is logged in WORKDIR/results.jsonl; running the same command",
                "again resumes. The winner goes to WORKDIR/best (its recipe to",
                "WORKDIR/best.yaml), the report to WORKDIR/report.md.");
        spec.addSubcommand("exme", new Exme().spec());
        spec.addSubcommand("m3", new M3().spec());
        return spec;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Flags both searches share. */
    static final class Flags {
        private final OptionSpec evaluator = Specs.option("--evaluator", "KIND:ARG", String.class, null, "How candidates are scored "
                + "(higher is better): command:TEMPLATE (run by sh -c with {model}, {workdir}, {out} shell-quoted and {slot} replaced; "
                + "it prints {\"score\": x, \"tasks\": {name: x}} as its last stdout line, or writes it to {out}), lm-eval:TASKS "
                + "(lm_eval --model hf …; the average accuracy over TASKS) or reference:TARGET (minus the mean squared error to a "
                + "target model). A failing, timed-out or unparsable evaluation is recorded and the search goes on.").required(true).build();
        private final OptionSpec workdir = Specs.option("--workdir", "DIR", Path.class, null,
                "Working directory (results log, candidates, best, report).").required(true).build();
        private final OptionSpec parallel = Specs.option("--parallel", "N", int.class, 1,
                "Evaluations at once; at most N candidates on disk besides best (default 1).").build();
        private final OptionSpec keep = Specs.flag("--keep", "Keep every candidate's model directory (default: deleted once scored).");
        private final OptionSpec evalTimeout = Specs.option("--eval-timeout", "DUR", Duration.class, null,
                "Limit per evaluation (90s, 30m, 2h; at most 366 days); past it the evaluator and what it started are killed and the candidate fails.").converters(new Durations()).build();
        private final OptionSpec rescore = Specs.flag("--rescore",
                "Reuse a working directory whose settings differ: its earlier results are set aside, all is scored afresh.");
        private final OptionSpec lmEvalProgram = Specs.option("--lm-eval-program", "CMD", String.class, null,
                "The lm-eval program and any leading words (default: lm_eval).").build();
        private final OptionSpec metric = Specs.option("--metric", "NAME", String.class, null,
                "lm-eval metric per task (default: acc, else acc_norm, else the first that is not a stderr).").build();
        private final OptionSpec evalTensors = Specs.option("--eval-tensors", "SUBSTR", String[].class, null,
                "reference: compare only tensors whose name contains one of these.").splitRegex(",").build();
        private final OptionSpec threads = Specs.option("--threads", "N", int.class, Runtime.getRuntime().availableProcessors(),
                "Merge threads (default: all cores).").build();
        private final OptionSpec backend = RunFlags.backendOption();
        private final OptionSpec json = Specs.flag("--json", "Print one JSON event per candidate and a final search_done event on stdout.");

        CommandSpec addTo(CommandSpec spec) {
            return Specs.add(spec, evaluator, workdir, parallel, keep, evalTimeout, rescore, lmEvalProgram, metric, evalTensors,
                    threads, backend, json);
        }

        boolean json() {
            return json.getValue();
        }

        int parallel() {
            return parallel.getValue();
        }

        SearchOptions options(CtrlC ctrlC) {
            String backend = RunFlags.backendOf(this.backend);
            int threads = RunFlags.threadsOf(this.threads);
            Evaluator ev = Evaluators.parse(evaluator.getValue(),
                    new Evaluators.Settings(lmEvalProgram.getValue(), metric.getValue(), evalTensors.getValue()));
            MergeOptions m = MergeOptions.defaults().withBackend(backend).withCancel(ctrlC.token())
                    .withRun(RunOptions.defaults().withThreads(threads));
            return new SearchOptions(workdir.getValue(), ev, parallel(), keep.getValue(), rescore.getValue(), evalTimeout.getValue(), m);
        }
    }

    static final class Exme implements Callable<Integer> {
        private final OptionSpec base = Specs.option("--base", "MODEL", Path.class, null, "The base (pre-fine-tuning) model.")
                .required(true).build();
        private final OptionSpec checkpoints = Specs.list("--checkpoints", "MODEL", Path.class,
                "The fine-tuned checkpoints (two or more; ties go to the one listed first).").required(true).arity("1..*").build();
        private final OptionSpec alphas = Specs.list("--alphas", "A", Double.class, "Extrapolation grid (default 0.1,0.2,0.3,0.4,0.5).")
                .splitRegex(",").initialValue(ExmeSearch.DEFAULT_ALPHAS).build();
        private final OptionSpec betas = Specs.list("--betas", "B", Double.class,
                "Merging grid (default 0.1,0.2,…,0.9); β weights EXPO-1, the best checkpoint's.")
                .splitRegex(",").initialValue(ExmeSearch.DEFAULT_BETAS).build();
        private final OptionSpec top = Specs.option("--top", "K", int.class, 2,
                "Checkpoints kept by stage 1: 2 (ExMe), or 1 (EXPO only) (default 2).").build();
        private final OptionSpec tokenizerSource = tokenizerSourceOption();
        private final Flags flags = new Flags();

        CommandSpec spec() {
            CommandSpec spec = Specs.command(this, "exme",
                    "Search ExMe's α and β in three stages, every candidate scored by the evaluator:",
                    "(1) score each checkpoint as it is and keep the best two;",
                    "(2) score EXPO(x, α) = x + α·(x − base) for every α, keep each one's best α;",
                    "(3) score β·EXPO-1 + (1−β)·EXPO-2 for every β; the best is the winner.");
            return flags.addTo(Specs.add(spec, base, checkpoints, alphas, betas, top, tokenizerSource));
        }

        @Override
        public Integer call() throws Exception {
            ExmeSearch s = new ExmeSearch(base.getValue(), checkpoints.getValue(), alphas.getValue(), betas.getValue(), top.getValue(),
                    tokenizerSource.getValue());
            return SearchCommand.run(flags, (opts, l) -> s.run(opts, l));
        }
    }

    static final class M3 implements Callable<Integer> {
        private final OptionSpec models = Specs.list("--models", "MODEL", Path.class, "The two models to mix.").required(true).arity("2").build();
        private final OptionSpec base = Specs.option("--base", "MODEL", Path.class, null,
                "The base model (needed by every method but linear).").build();
        private final OptionSpec method = Specs.option("--method", "NAME", String.class, "task_arithmetic",
                "task_arithmetic, linear, ties, dare_ties or dare_linear (default task_arithmetic).").build();
        private final OptionSpec alpha = Specs.option("--alpha", "A", double.class, 0.5, "Shape a of Beta(a, a) (default 0.5).").build();
        private final OptionSpec samples = Specs.option("--samples", "K", int.class, null, "How many candidates.").required(true).build();
        private final OptionSpec seed = Specs.option("--seed", "S", long.class, 0L,
                "Seed; candidate k uses seed S+k for λ and any random drop (default 0).").build();
        private final OptionSpec params = Specs.list("--param", "NAME=VALUE", String.class,
                "A parameter of the method (repeat), e.g. --param density=0.8.").initialValue(List.of()).build();
        private final OptionSpec tokenizerSource = tokenizerSourceOption();
        private final Flags flags = new Flags();

        CommandSpec spec() {
            CommandSpec spec = Specs.command(this, "m3",
                    "Search M3's λ: K sampled candidates scored by the evaluator; the best wins.",
                    "Candidate k draws λ ~ Beta(a, a) from seed S+k and merges the two models by",
                    "METHOD with weights (λ, 1−λ), written as an explicit recipe that rebuilds it.");
            return flags.addTo(Specs.add(spec, models, base, method, alpha, samples, seed, params, tokenizerSource));
        }

        @Override
        public Integer call() throws Exception {
            List<String[]> kv = new ArrayList<>();
            for (String p : params.<List<String>>getValue()) {
                int eq = p.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("--param takes NAME=VALUE, got " + p);
                }
                kv.add(new String[] {p.substring(0, eq).strip(), p.substring(eq + 1).strip()});
            }
            M3Search s = new M3Search(models.getValue(), base.getValue(), method.getValue(), alpha.getValue(), samples.getValue(),
                    seed.getValue(), kv, tokenizerSource.getValue());
            return SearchCommand.run(flags, (opts, l) -> s.run(opts, l));
        }
    }

    /** Every candidate's tokenizer source, for checkpoints whose vocabularies differ. */
    static OptionSpec tokenizerSourceOption() {
        return Specs.option("--tokenizer-source", "SRC", String.class, null,
                "Merge across differing vocabularies: base, union, a model or a tokenizer directory (each candidate's tokenizer_source).").build();
    }

    interface Body {
        SearchOutcome run(SearchOptions opts, SearchListener listener) throws Exception;
    }

    static int run(Flags flags, Body body) throws Exception {
        try (CtrlC ctrlC = new CtrlC(); Progress progress = new Progress(flags.json(), flags.parallel())) {
            SearchOptions opts = flags.options(ctrlC);
            try {
                SearchOutcome o = body.run(opts, progress);
                CtrlC.published(o.best()); // the winner is in place: from here on the search has succeeded
                progress.close();
                if (!flags.json()) {
                    System.out.print(Plain.format("search: winner %s, score %s; model %s, report %s%n", o.winner().candidate().label(),
                            fmt(o.winner().value()), o.best(), o.report()));
                    if (!o.failures().isEmpty()) {
                        System.out.print(Plain.format("search: %d candidate(s) failed; see the report%n", o.failures().size()));
                    }
                    System.out.print(Plain.format("search: the chosen recipe (%s):%n", o.recipe()));
                    System.out.print(o.winner().candidate().recipe());
                }
                return ExitCodes.OK;
            } catch (CancellationException e) {
                System.err.println("exmerge: search interrupted; every finished result is in " + opts.workdir().resolve("results.jsonl")
                        + "; run the same command again to resume");
                if (flags.json()) {
                    CliProgress.emit(CliProgress.event("error").put("message", "interrupted").put("exit", ExitCodes.CANCELLED));
                }
                return ExitCodes.CANCELLED;
            }
        }
    }

    static String fmt(double v) {
        return v != 0 && Math.abs(v) < 1e-3 ? Plain.format("%.5e", v) : Plain.format("%.5f", v);
    }

    /** A progress bar over candidates on a terminal, else lines on stderr (with an ETA), or JSON events on stdout. */
    static final class Progress implements SearchListener, AutoCloseable {
        private static final ObjectMapper JSON = new ObjectMapper();
        private final boolean json;
        private final boolean terminal = CliProgress.isTerminal();
        private final int parallel;
        private final long start = System.nanoTime();
        private int fresh;
        private ProgressBar bar;

        Progress(boolean json, int parallel) {
            this.json = json;
            this.parallel = parallel;
        }

        /** Ends the bar (idempotent), so what follows starts on a clean line. */
        @Override
        public void close() {
            if (bar != null) {
                bar.close();
                bar = null;
            }
        }

        /** On a terminal, moves the bar over candidates; the bar's own rate and ETA come from the steps. */
        private boolean stepBar(Result r, int finished, int total) {
            if (!terminal || json) {
                return false;
            }
            if (bar == null) {
                bar = new ProgressBarBuilder().setTaskName("search").setInitialMax(total).setUnit(" candidates", 1)
                        .startsFrom(Math.max(0, finished - 1), Duration.ofNanos(System.nanoTime() - start))
                        .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK).setUpdateIntervalMillis(250).build();
            }
            bar.maxHint(total);
            bar.stepTo(finished);
            bar.setExtraMessage(" " + r.candidate().stage() + " " + r.candidate().label() + ": "
                    + (r.ok() ? fmt(r.value()) : "FAILED"));
            return true;
        }

        @Override
        public void stage(String stage, int candidates, int done) {
            if (json) {
                CliProgress.emit(CliProgress.event("stage").put("stage", stage).put("candidates", candidates).put("scored_earlier", done));
            } else {
                close();
                System.err.print(Plain.format("search: stage %s, %d candidate%s%s%n", stage, candidates, candidates == 1 ? "" : "s",
                        done > 0 ? " (" + done + " scored by an earlier run)" : ""));
            }
        }

        @Override
        public void candidate(Result r, int finished, int total) {
            if (!r.resumed()) {
                fresh++;
            }
            if (json) {
                ObjectNode e = CliProgress.event("candidate").put("stage", r.candidate().stage()).put("hash", r.candidate().hash())
                        .put("label", r.candidate().label());
                e.set("params", JSON.valueToTree(r.candidate().params()));
                if (r.ok()) {
                    e.put("score", r.value());
                    e.set("tasks", JSON.valueToTree(r.tasks()));
                } else {
                    e.put("failure", r.failure());
                    e.put("stderr_tail", r.stderrTail());
                }
                e.put("seconds", r.seconds()).put("resumed", r.resumed()).put("finished", finished).put("total", total);
                CliProgress.emit(e);
                return;
            }
            if (stepBar(r, finished, total) && r.ok()) {
                return;
            }
            close(); // a failure is told on a line of its own; the bar starts again below it
            double elapsed = (System.nanoTime() - start) / 1e9;
            String eta = fresh == 0 ? "" : Plain.format(", ETA %s", clock(elapsed / fresh * (total - finished)));
            String what = r.ok() ? "score " + fmt(r.value()) : "FAILED: " + r.failure();
            System.err.print(Plain.format("[%3d/%d] %-5s %-22s %s (%.1f s%s)%s%n", finished, total, r.candidate().stage(),
                    r.candidate().label(), what, r.seconds(), r.resumed() ? ", earlier run" : "", eta));
        }

        private static String clock(double secs) {
            long s = Math.round(secs);
            return s >= 3600 ? Plain.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                    : Plain.format("%d:%02d", s / 60, s % 60);
        }

        @Override
        public void note(String message) {
            if (json) {
                CliProgress.emit(CliProgress.event("notice").put("message", message));
            } else {
                close();
                System.err.println("search: " + message);
            }
        }

        @Override
        public void done(SearchOutcome o) {
            if (!json) {
                return;
            }
            ObjectNode e = CliProgress.event("search_done").put("best", o.best().toString()).put("score", o.winner().value())
                    .put("hash", o.winner().candidate().hash()).put("label", o.winner().candidate().label())
                    .put("recipe", o.winner().candidate().recipe()).put("recipe_file", o.recipe().toString())
                    .put("report", o.report().toString()).put("failures", o.failures().size());
            e.set("chosen", JSON.valueToTree(o.chosen()));
            CliProgress.emit(e);
        }
    }

    /** 90, 90s, 30m, 2h, 1h30m, or ISO-8601 (PT1H30M). */
    static final class Durations implements CommandLine.ITypeConverter<Duration> {
        private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h|d)?");

        @Override
        public Duration convert(String value) {
            String v = value.strip().toLowerCase(Locale.ROOT);
            if (v.startsWith("p")) {
                Duration d;
                try {
                    d = Duration.parse(value.strip());
                } catch (java.time.format.DateTimeParseException e) {
                    throw new CommandLine.TypeConversionException("'" + value + "' is not a duration (e.g. 90s, 30m, 2h, PT1H30M)");
                }
                return checked(value, d);
            }
            Matcher m = PART.matcher(v);
            double secs = 0;
            int at = 0;
            while (at < v.length() && m.find(at) && m.start() == at) {
                double n = Double.parseDouble(m.group(1));
                String unit = m.group(2) == null ? "s" : m.group(2);
                secs += switch (unit) {
                    case "ms" -> n / 1000;
                    case "m" -> n * 60;
                    case "h" -> n * 3600;
                    case "d" -> n * 86400;
                    default -> n;
                };
                at = m.end();
            }
            if (at != v.length() || v.isEmpty()) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a duration (e.g. 90s, 30m, 2h)");
            }
            return checked(value, secs > SearchOptions.MAX_EVAL_TIMEOUT.toSeconds() ? SearchOptions.MAX_EVAL_TIMEOUT.plusSeconds(1)
                    : Duration.ofMillis(Math.round(secs * 1000)));
        }

        private static Duration checked(String value, Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a positive duration");
            }
            if (d.compareTo(SearchOptions.MAX_EVAL_TIMEOUT) > 0) {
                throw new CommandLine.TypeConversionException("'" + value + "' is longer than " + SearchOptions.MAX_EVAL_TIMEOUT.toDays()
                        + " days; leave --eval-timeout out for no limit");
            }
            return d;
        }
    }
}
