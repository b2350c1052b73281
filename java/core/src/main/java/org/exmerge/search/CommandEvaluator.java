package org.exmerge.search;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code command:TEMPLATE}: runs the template with {@code sh -c}, after replacing {@code {model}},
 * {@code {workdir}}, {@code {out}} (each shell-quoted) and {@code {slot}}. The score is the JSON
 * object {@code {"score": number, "tasks": {name: number, …}}} ({@code tasks} optional) in the file
 * {@code {out}} when the template names it, else on the last non-empty line of standard output.
 * A non-zero exit, a timeout or anything else is a failed evaluation.
 */
public final class CommandEvaluator implements Evaluator {
    /** Strict: one object and nothing after it, each key once (a second "score" would silently win). */
    private static final ObjectReader JSON = JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build().readerFor(JsonNode.class);
    private final String template;

    public CommandEvaluator(String template) {
        if (template == null || template.isBlank()) {
            throw new IllegalArgumentException("command: needs a command template, e.g. command:'./eval.sh {model}'");
        }
        this.template = template;
    }

    @Override
    public String describe() {
        return "command:" + template;
    }

    /** The template with its placeholders filled in. */
    String expand(Path model, Request req) {
        return template.replace("{model}", Processes.shellQuote(model.toString()))
                .replace("{workdir}", Processes.shellQuote(req.workdir().toString()))
                .replace("{out}", Processes.shellQuote(req.scratch().toString()))
                .replace("{slot}", Integer.toString(req.slot()));
    }

    @Override
    public Score evaluate(Path model, Request req) throws EvaluationException {
        boolean toFile = template.contains("{out}");
        try {
            Files.deleteIfExists(req.scratch());
        } catch (IOException e) {
            throw new EvaluationException("cannot clear " + req.scratch() + ": " + e.getMessage(), "");
        }
        Processes.Outcome o = Processes.run(List.of("sh", "-c", expand(model, req)), req);
        if (o.exit() != 0) {
            throw new EvaluationException("evaluator exited with status " + o.exit(), o.stderrTail());
        }
        String text;
        try {
            if (toFile) {
                if (!Files.exists(req.scratch())) {
                    throw new EvaluationException("evaluator exited 0 but wrote no " + req.scratch(), o.stderrTail());
                }
                text = Files.readString(req.scratch());
            } else {
                text = lastLine(o.stdoutText());
            }
        } catch (IOException e) {
            throw new EvaluationException("cannot read the evaluator's output: " + e.getMessage(), o.stderrTail());
        }
        try {
            return parse(text);
        } catch (IllegalArgumentException e) {
            throw new EvaluationException(e.getMessage(), o.stderrTail());
        }
    }

    static String lastLine(String s) {
        String[] lines = s.strip().split("\\R");
        return lines.length == 0 ? "" : lines[lines.length - 1].strip();
    }

    /** Reads {@code {"score": x, "tasks": {…}}}; anything else is an IllegalArgumentException saying what is wrong. */
    static Score parse(String text) {
        JsonNode n;
        try {
            n = JSON.readValue(text);
        } catch (IOException e) {
            String why = e instanceof JsonProcessingException j ? j.getOriginalMessage() : "";
            throw new IllegalArgumentException("evaluator output is " + (why.startsWith("Trailing token") ? "more than one JSON value"
                    : why.startsWith("Duplicate field") ? "JSON with a key given twice" : "not JSON") + ": " + abbreviate(text));
        }
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException("evaluator output is not a JSON object: " + abbreviate(text));
        }
        JsonNode s = n.get("score");
        if (s == null || !s.isNumber() || !Double.isFinite(s.asDouble())) {
            throw new IllegalArgumentException("evaluator output has no finite number \"score\": " + abbreviate(text));
        }
        Map<String, Double> tasks = new LinkedHashMap<>();
        JsonNode t = n.get("tasks");
        if (t != null && !t.isNull()) {
            if (!t.isObject()) {
                throw new IllegalArgumentException("\"tasks\" must be an object of numbers: " + abbreviate(text));
            }
            for (Map.Entry<String, JsonNode> e : t.properties()) {
                if (!e.getValue().isNumber() || !Double.isFinite(e.getValue().asDouble())) {
                    throw new IllegalArgumentException("task \"" + e.getKey() + "\" is not a finite number: " + abbreviate(text));
                }
                tasks.put(e.getKey(), e.getValue().asDouble());
            }
        }
        return new Score(s.asDouble(), tasks);
    }

    static String abbreviate(String s) {
        String t = s.strip();
        return t.isEmpty() ? "(nothing)" : t.length() > 200 ? t.substring(0, 200) + "…" : t;
    }
}
