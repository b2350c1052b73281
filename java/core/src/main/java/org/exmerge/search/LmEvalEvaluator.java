package org.exmerge.search;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.exmerge.format.FileTrees;

/**
 * {@code lm-eval:TASKS}: runs EleutherAI's harness,
 * {@code lm_eval --model hf --model_args pretrained=MODEL --tasks TASKS --output_path DIR}, and reads
 * the results file it writes under DIR ({@code results*.json}, the newest): its {@code "results"}
 * object maps each task to metrics such as {@code "acc,none"}, {@code "acc_stderr,none"},
 * {@code "acc_norm,none"} and {@code "alias"}. A task's score is the chosen metric: {@code metric}
 * when given (a bare name means its {@code ",none"} filter), else {@code acc,none}, else
 * {@code acc_norm,none}, else the first numeric field that is not a standard error. The score is the
 * average over the requested tasks (over every task in the file when none of them is named there, as
 * for a group; a file that names some of them but not all fails the evaluation). A used metric that is
 * NaN or infinite fails it too; elsewhere in the file such values (Python writes them) are read.
 * {@code {slot}} in the program words is replaced by the evaluation's slot (e.g.
 * {@code lm_eval --device cuda:{slot}}).
 */
public final class LmEvalEvaluator implements Evaluator {
    /** Python's json.dump writes NaN and Infinity (a NaN standard error is common): read them; a used one is refused below. */
    private static final ObjectMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();
    private final String tasks;
    private final List<String> program;
    private final String metric;

    /**
     * @param tasks   comma-separated task names, as lm_eval's --tasks takes them
     * @param program the program and any leading words (e.g. "srun --gres=gpu:1 lm_eval"); null: lm_eval
     * @param metric  the metric to read, or null for the default order above
     */
    public LmEvalEvaluator(String tasks, String program, String metric) {
        if (tasks == null || tasks.isBlank()) {
            throw new IllegalArgumentException("lm-eval: needs tasks, e.g. lm-eval:arc_easy,hellaswag");
        }
        this.tasks = tasks.strip();
        this.program = List.of((program == null || program.isBlank() ? "lm_eval" : program).strip().split("\\s+"));
        this.metric = metric == null || metric.isBlank() ? null : metric.strip();
    }

    @Override
    public String describe() {
        return "lm-eval:" + tasks + " program=" + String.join(" ", program) + (metric == null ? "" : " metric=" + metric);
    }

    @Override
    public Score evaluate(Path model, Request req) throws EvaluationException {
        Path dir = Path.of(req.scratch() + "-lm-eval");
        try {
            FileTrees.deleteTree(dir);
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new EvaluationException("cannot prepare " + dir + ": " + e.getMessage(), "");
        }
        List<String> cmd = new ArrayList<>();
        for (String word : program) {
            cmd.add(word.replace("{slot}", Integer.toString(req.slot())));
        }
        cmd.addAll(List.of("--model", "hf", "--model_args", "pretrained=" + model, "--tasks", tasks,
                "--output_path", dir.toString()));
        Processes.Outcome o = Processes.run(cmd, req);
        if (o.exit() != 0) {
            throw new EvaluationException(program.getLast() + " exited with status " + o.exit(), o.stderrTail());
        }
        Path results;
        try (Stream<Path> files = Files.walk(dir)) {
            results = files.filter(p -> p.getFileName().toString().startsWith("results") && p.toString().endsWith(".json"))
                    .max(Comparator.comparing((Path p) -> p.getFileName().toString())).orElse(null);
        } catch (IOException e) {
            throw new EvaluationException("cannot list " + dir + ": " + e.getMessage(), o.stderrTail());
        }
        if (results == null) {
            throw new EvaluationException(program.getLast() + " wrote no results*.json under " + dir, o.stderrTail());
        }
        try {
            return read(Files.readString(results), Arrays.asList(tasks.split(",")), metric);
        } catch (JsonProcessingException e) {
            throw new EvaluationException(results + ": not JSON: " + e.getOriginalMessage().lines().findFirst().orElse(""),
                    o.stderrTail());
        } catch (IOException | IllegalArgumentException e) {
            throw new EvaluationException(results + ": " + e.getMessage(), o.stderrTail());
        }
    }

    /** Scores one lm-eval results document (see the class comment). */
    static Score read(String json, List<String> requested, String metric) throws IOException {
        JsonNode root = JSON.readTree(json);
        JsonNode results = root == null ? null : root.get("results");
        if (results == null || !results.isObject() || results.isEmpty()) {
            throw new IllegalArgumentException("no \"results\" object");
        }
        List<String> names = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String t : requested) {
            (results.has(t.strip()) ? names : missing).add(t.strip());
        }
        if (names.isEmpty()) {
            results.fieldNames().forEachRemaining(names::add);
        } else if (!missing.isEmpty()) {
            // averaging the others would compare candidates over different task sets
            throw new IllegalArgumentException("no results for the requested task" + (missing.size() > 1 ? "s " : " ")
                    + String.join(", ", missing));
        }
        Map<String, Double> scores = new LinkedHashMap<>();
        double sum = 0;
        for (String task : names) {
            double v = metricOf(task, results.get(task), metric);
            scores.put(task, v);
            sum += v;
        }
        return new Score(sum / names.size(), scores);
    }

    static double metricOf(String task, JsonNode m, String metric) {
        if (m == null || !m.isObject()) {
            throw new IllegalArgumentException("task " + task + " has no metrics");
        }
        List<String> keys = metric != null ? List.of(metric, metric + ",none") : List.of("acc,none", "acc_norm,none", "acc", "acc_norm");
        for (String k : keys) {
            JsonNode v = m.get(k);
            if (v != null && v.isNumber()) {
                return finite(task, k, v);
            }
        }
        if (metric != null) {
            throw new IllegalArgumentException("task " + task + " has no numeric metric " + metric);
        }
        for (Map.Entry<String, JsonNode> e : m.properties()) {
            if (!e.getKey().contains("stderr") && e.getValue().isNumber()) {
                return finite(task, e.getKey(), e.getValue());
            }
        }
        throw new IllegalArgumentException("task " + task + " has no numeric metric");
    }

    private static double finite(String task, String key, JsonNode v) {
        double d = v.asDouble();
        if (!Double.isFinite(d)) {
            throw new IllegalArgumentException("task " + task + ": " + key + " is " + d + ", not a finite score");
        }
        return d;
    }
}
