package org.exmerge.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Map;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.exmerge.engine.MergeStats;
import org.exmerge.engine.ProgressListener;
import org.exmerge.text.Plain;

/**
 * Shows a run's events: a progress bar on a terminal, plain lines when output is redirected, or
 * JSON lines with {@code --json} (for tools that drive the CLI).
 */
final class CliProgress implements ProgressListener {
    enum Mode { BAR, LINES, JSON }

    /** The version of the {@code --json} event protocol (docs/json-events.md). */
    static final int PROTOCOL = 1;

    /**
     * Events are written from their node tree by jackson-core's generator: an ObjectMapper (class
     * initialisation, serializers found by introspection) cost a --json merge ~0.18 s of its start.
     */
    private static final JsonFactory JSON = new JsonFactory();

    private final Mode mode;
    private final String task;
    private final PrintStream out;
    private ProgressBar bar;
    private long total;
    private long startNanos;
    private long lastReport;
    private int tensors;
    private int tensor;
    /** Adds a command's own fields to its {@code done} event (extract-lora: ranks and captured energy). */
    private java.util.function.Consumer<ObjectNode> doneFields = e -> { };

    CliProgress(String task, boolean json) {
        this.task = task;
        this.mode = json ? Mode.JSON : isTerminal() ? Mode.BAR : Mode.LINES;
        this.out = json ? System.out : System.err;
    }

    /** Has {@code fields} add to the {@code done} event, which is emitted when the output is in place. */
    CliProgress withDoneFields(java.util.function.Consumer<ObjectNode> fields) {
        doneFields = fields;
        return this;
    }

    static boolean isTerminal() {
        return System.console() != null && System.console().isTerminal();
    }

    @Override
    public void started(int tensors, long outputBytes, long inputBytes, String backend, int threads) {
        abandon(); // synth's models are finished only when all are in place: the previous one's bar ends here
        this.total = outputBytes;
        this.tensors = tensors;
        this.startNanos = System.nanoTime();
        this.lastReport = startNanos;
        switch (mode) {
            case JSON -> emit(event("start").put("protocol", PROTOCOL).put("task", task).put("tensors", tensors).put("output_bytes", outputBytes)
                    .put("input_bytes", inputBytes).put("backend", backend).put("threads", threads));
            case BAR -> bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(Math.max(1, outputBytes >> 20))
                    .setUnit(" MiB", 1).showSpeed().setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK)
                    .setUpdateIntervalMillis(250).build();
            case LINES -> out.print(Plain.format("%s: %d tensors, %s to write [%s, %d threads]%n", task, tensors,
                    Sizes.human(outputBytes), backend, threads));
        }
    }

    @Override
    public void notice(String message) {
        if (mode == Mode.JSON) {
            emit(event("notice").put("message", message));
        } else {
            System.err.println(task + ": " + message);
        }
    }

    @Override
    public void tensor(int index, String name) {
        tensor = index;
        if (mode == Mode.BAR) {
            bar.setExtraMessage(" " + (index + 1) + "/" + tensors);
        }
    }

    @Override
    public void progress(long done) {
        long now = System.nanoTime();
        switch (mode) {
            case BAR -> bar.stepTo(done >> 20);
            case JSON -> {
                if (now - lastReport > 500_000_000L || done == total) {
                    lastReport = now;
                    emit(event("progress").put("bytes", done).put("total", total).put("tensor", tensor + 1));
                }
            }
            case LINES -> {
                if (now - lastReport > 5_000_000_000L) {
                    lastReport = now;
                    double secs = (now - startNanos) / 1e9;
                    double rate = done / secs;
                    out.print(Plain.format("%s: %3.0f%% %s of %s, %s/s, ETA %.0f s%n", task, 100.0 * done / Math.max(1, total),
                            Sizes.human(done), Sizes.human(total), Sizes.human(rate), (total - done) / Math.max(1, rate)));
                }
            }
        }
    }

    @Override
    public void finished(MergeStats s) {
        if (bar != null) {
            bar.stepTo(bar.getMax());
            bar.close();
            bar = null;
        }
        if (mode == Mode.JSON) {
            ObjectNode done = event("done").put("task", task).put("output", s.output().toString()).put("tensors", s.tensors())
                    .put("output_bytes", s.outputBytes()).put("input_bytes", s.inputBytes())
                    .put("seconds", s.seconds()).put("traffic_gbps", s.trafficGBps());
            done.set("fallbacks", fallbacks(s.fallbacks()));
            doneFields.accept(done);
            emit(done);
        } else {
            System.out.print(Plain.format("%s: wrote %s (%d tensors, %s; read %s) in %.2f s, %.2f GB/s read+written [%s, %d threads]%n",
                    task, s.output(), s.tensors(), Sizes.human(s.outputBytes()), Sizes.human(s.inputBytes()), s.seconds(),
                    s.trafficGBps(), s.backend(), s.threads()));
            if (!s.fallbacks().isEmpty()) { // a slow path is never silent, but said only when taken
                System.out.print(Plain.format("%s: calls served by the Java spec instead of %s: %s%n", task, s.backend(),
                        s.fallbacks()));
            }
        }
    }

    private static ObjectNode fallbacks(Map<String, Long> counts) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        counts.forEach(o::put);
        return o;
    }

    /** Ends a bar that a failure interrupted, so the error line starts on a clean line. */
    void abandon() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }

    static ObjectNode event(String name) {
        return JsonNodeFactory.instance.objectNode().put("event", name);
    }

    static void emit(ObjectNode node) {
        System.out.println(json(node));
    }

    /** {@code node} as one line of JSON, as an ObjectMapper writes it. */
    static String json(JsonNode node) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            write(g, node);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return out.toString();
    }

    private static void write(JsonGenerator g, JsonNode n) throws IOException {
        switch (n.getNodeType()) {
            case OBJECT -> {
                g.writeStartObject();
                for (Map.Entry<String, JsonNode> e : n.properties()) {
                    g.writeFieldName(e.getKey());
                    write(g, e.getValue());
                }
                g.writeEndObject();
            }
            case ARRAY -> {
                g.writeStartArray();
                for (JsonNode c : n) {
                    write(g, c);
                }
                g.writeEndArray();
            }
            case STRING -> g.writeString(n.textValue());
            case BOOLEAN -> g.writeBoolean(n.booleanValue());
            case NULL, MISSING -> g.writeNull();
            case NUMBER -> {
                switch (n.numberType()) {
                    case INT -> g.writeNumber(n.intValue());
                    case LONG -> g.writeNumber(n.longValue());
                    case FLOAT -> g.writeNumber(n.floatValue());
                    case DOUBLE -> g.writeNumber(n.doubleValue());
                    case BIG_INTEGER -> g.writeNumber(n.bigIntegerValue());
                    case BIG_DECIMAL -> g.writeNumber(n.decimalValue());
                }
            }
            default -> throw new IllegalArgumentException("no JSON form for a " + n.getNodeType() + " node");
        }
    }
}
