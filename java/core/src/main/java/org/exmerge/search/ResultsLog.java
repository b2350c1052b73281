package org.exmerge.search;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.exmerge.engine.OutputException;

/**
 * {@code results.jsonl}: one JSON object per scored (or failed) candidate, appended and forced to
 * disk before the next candidate starts, so a crash loses at most the candidates in flight. A line
 * cut short by a crash is ignored on reading. Fields: {@code time, stage, label, hash, params,
 * recipe, score, tasks, evaluator, seconds, failure, stderr_tail} (score null on failure).
 */
public final class ResultsLog implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;
    private final FileChannel channel;
    private final Map<String, JsonNode> scored = new HashMap<>();

    private ResultsLog(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    /** Opens (creating) the log and reads the successful results already in it. */
    public static ResultsLog open(Path file) throws IOException {
        boolean needsNewline = false;
        Map<String, JsonNode> earlier = new LinkedHashMap<>();
        if (Files.exists(file)) {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            needsNewline = !text.isEmpty() && !text.endsWith("\n");
            for (JsonNode n : parse(text)) {
                if (n.hasNonNull("score") && n.hasNonNull("hash")) {
                    earlier.put(n.get("hash").asText(), n);
                }
            }
        }
        FileChannel c;
        try {
            c = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new OutputException(file, e);
        }
        ResultsLog log = new ResultsLog(file, c);
        log.scored.putAll(earlier);
        if (needsNewline) {
            log.writeLine(""); // end the line a crash cut short, so the next record starts clean
        }
        return log;
    }

    /** Every complete line of a log that parses as a JSON object. */
    public static List<JsonNode> parse(String text) {
        List<JsonNode> out = new java.util.ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            try {
                JsonNode n = JSON.readTree(line);
                if (n != null && n.isObject()) {
                    out.add(n);
                }
            } catch (IOException cutShort) {
                // a line a crash cut short: the candidate was in flight and is scored again
            }
        }
        return out;
    }

    public Path file() {
        return file;
    }

    /** The earlier successful result for this candidate, or null. */
    public synchronized Result earlier(Candidate c) {
        JsonNode n = scored.get(c.hash());
        if (n == null) {
            return null;
        }
        Map<String, Double> tasks = new LinkedHashMap<>();
        JsonNode t = n.get("tasks");
        if (t != null && t.isObject()) {
            t.properties().forEach(e -> tasks.put(e.getKey(), e.getValue().asDouble()));
        }
        return new Result(c, new Score(n.get("score").asDouble(), tasks), n.path("evaluator").asText(),
                n.path("seconds").asDouble(), null, null, true);
    }

    /** Appends one result and forces it to disk. */
    public synchronized void append(Result r) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("time", Instant.now().toString());
        n.put("stage", r.candidate().stage());
        n.put("label", r.candidate().label());
        n.put("hash", r.candidate().hash());
        n.set("params", JSON.valueToTree(r.candidate().params()));
        n.put("recipe", r.candidate().recipe());
        if (r.ok()) {
            n.put("score", r.score().score());
            n.set("tasks", JSON.valueToTree(r.score().tasks()));
        } else {
            n.putNull("score");
            n.putNull("tasks");
        }
        n.put("evaluator", r.evaluator());
        n.put("seconds", Math.round(r.seconds() * 1000) / 1000.0);
        n.put("failure", r.failure());
        n.put("stderr_tail", r.stderrTail());
        writeLine(JSON.writeValueAsString(n));
        if (r.ok()) {
            scored.put(r.candidate().hash(), n);
        }
    }

    /** A failure (a full disk) is an output error naming the log. */
    private void writeLine(String line) throws IOException {
        ByteBuffer b = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
        try {
            while (b.hasRemaining()) {
                channel.write(b);
            }
            channel.force(false);
        } catch (IOException e) {
            throw new OutputException(file, e);
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
