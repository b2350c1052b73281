package org.exmerge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.exmerge.testing.Cli;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Holds the CLI's --json output to the protocol table in docs/json-events.md, field by field. */
class JsonEventsTest {
    static final Path DOC = Path.of("../../docs/json-events.md");
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static Map<String, Map<String, String>> protocol;

    @BeforeAll
    static void readTheProtocol() throws Exception {
        protocol = new LinkedHashMap<>();
        for (String line : Files.readAllLines(DOC)) {
            String[] cells = line.split("\\|", -1);
            if (cells.length == 6 && !cells[1].isBlank() && !cells[1].contains("---") && !cells[1].strip().equals("event")) {
                protocol.computeIfAbsent(cells[1].strip(), k -> new TreeMap<>()).put(cells[2].strip(), cells[3].strip());
            }
        }
        assertThat(protocol).containsKeys("start", "progress", "done", "error");
    }

    /** Every stdout line is a documented event with exactly the documented fields and types; returns the events. */
    static List<JsonNode> checkedEvents(Cli.Result r) throws Exception {
        List<JsonNode> events = new ArrayList<>();
        for (String line : r.out().lines().toList()) {
            JsonNode e = JSON.readTree(line);
            assertThat(e.isObject()).as("not a JSON object: %s", line).isTrue();
            String name = e.path("event").asText();
            assertThat(protocol).as("undocumented event in %s", line).containsKey(name);
            Map<String, String> fields = protocol.get(name);
            List<String> seen = new ArrayList<>();
            for (Iterator<String> it = e.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (f.equals("event")) {
                    continue;
                }
                seen.add(f);
                assertThat(fields).as("undocumented field %s of %s", f, name).containsKey(f);
                JsonNode v = e.get(f);
                switch (fields.get(f).replace("?", "")) {
                    case "object" -> assertThat(v.isObject()).as("%s.%s object: %s", name, f, v).isTrue();
                    case "array" -> assertThat(v.isArray()).as("%s.%s array: %s", name, f, v).isTrue();
                    case "boolean" -> assertThat(v.isBoolean()).as("%s.%s boolean: %s", name, f, v).isTrue();
                    case "integer" -> assertThat(v.isIntegralNumber()).as("%s.%s integer: %s", name, f, v).isTrue();
                    case "number" -> assertThat(v.isNumber()).as("%s.%s number: %s", name, f, v).isTrue();
                    case "string" -> assertThat(v.isTextual()).as("%s.%s string: %s", name, f, v).isTrue();
                    default -> throw new AssertionError("unknown type in the doc: " + fields.get(f));
                }
            }
            List<String> required = fields.entrySet().stream().filter(x -> !x.getValue().endsWith("?")).map(Map.Entry::getKey).toList();
            assertThat(seen).as("fields of %s", name).containsAll(required);
            events.add(e);
        }
        return events;
    }

    @Test
    void aMergeAndASynthSpeakTheDocumentedProtocol() throws Exception {
        Path models = dir.resolve("models");
        Cli.Result synth = Cli.run("synth", models.toString(), "--size", "1MB", "--finetunes", "1", "--json");
        assertThat(synth.exit()).as(synth.err()).isZero();
        List<JsonNode> s = checkedEvents(synth);
        assertThat(s.stream().filter(e -> e.get("event").asText().equals("done"))).hasSize(2);

        Cli.Result merge = Cli.run("exme", "--base", models.resolve("base").toString(), "--sft",
                models.resolve("sft-1").toString(), "--alpha", "0.5", "--json", dir.resolve("out").toString());
        assertThat(merge.exit()).as(merge.err()).isZero();
        List<JsonNode> m = checkedEvents(merge);
        assertThat(m.getFirst().get("event").asText()).isEqualTo("start");
        assertThat(m.getFirst().get("protocol").asInt()).isEqualTo(CliProgress.PROTOCOL);
        JsonNode done = m.getLast();
        assertThat(done.get("event").asText()).isEqualTo("done");
        assertThat(done.get("output").asText()).isEqualTo(dir.resolve("out").toString());
        assertThat(m.stream().filter(e -> e.get("event").asText().equals("progress")).map(e -> e.get("bytes").asLong()).toList())
                .isSorted().last().isEqualTo(done.get("output_bytes").asLong());
    }

    @Test
    void aChainOfMergesSaysWhichDocumentEachEventBelongsTo() throws Exception {
        Path models = dir.resolve("multi-models");
        assertThat(Cli.run("synth", models.toString(), "--size", "1MB", "--finetunes", "1").exit()).isZero();
        Path config = Files.writeString(dir.resolve("multi.yaml"), """
                name: e
                merge_method: expo
                base_model: %s
                models: [{model: %s, parameters: {alpha: 0.5}}]
                ---
                merge_method: linear
                models: [{model: e}, {model: %s}]
                """.formatted(models.resolve("base"), models.resolve("sft-1"), models.resolve("sft-1")));
        String[] args = {"multi", config.toString(), "-I", dir.resolve("multi-i").toString(), dir.resolve("multi-out").toString(), "--json"};
        Cli.Result r = Cli.run(args);
        assertThat(r.exit()).as(r.err()).isZero();
        List<JsonNode> events = checkedEvents(r);
        assertThat(events).extracting(e -> e.get("event").asText()).containsSubsequence("document", "start", "done", "document", "start", "done");
        assertThat(events.getFirst().get("name").asText()).isEqualTo("e");
        assertThat(events.getLast().get("output").asText()).isEqualTo(dir.resolve("multi-out").toString());

        Cli.Result again = Cli.run(CliTest.concat(args, "--overwrite"));
        assertThat(again.exit()).as(again.err()).isZero();
        JsonNode skipped = checkedEvents(again).getFirst();
        assertThat(skipped.get("action").asText()).isEqualTo("skip");
        assertThat(skipped.get("reason").asText()).isEqualTo("up to date");
    }

    @Test
    void anExtractionSpeaksTheDocumentedProtocol() throws Exception {
        Path models = dir.resolve("extract-models");
        assertThat(Cli.run("synth", models.toString(), "--size", "1MB", "--finetunes", "1", "--no-sync").exit()).isZero();
        Cli.Result r = Cli.run("extract-lora", "--base", models.resolve("base").toString(), "--model", models.resolve("sft-1").toString(),
                dir.resolve("adapter").toString(), "--max-rank", "2", "--json", "--no-sync");
        assertThat(r.exit()).as(r.err()).isZero();
        List<JsonNode> e = checkedEvents(r);
        assertThat(e.getFirst().get("task").asText()).isEqualTo("extract-lora");
        JsonNode done = e.getLast();
        assertThat(done.get("event").asText()).isEqualTo("done");
        assertThat(done.get("rank_max").asInt()).isEqualTo(2);
        assertThat(done.get("captured").asDouble()).isBetween(0.0, 1.0);
        assertThat(done.get("worst_captured").asDouble()).isLessThanOrEqualTo(done.get("captured").asDouble());
        assertThat(done.get("modules_to_save").toString()).contains("embed_tokens");

        Cli.Result dry = Cli.run("extract-lora", "--base", models.resolve("base").toString(), "--model", models.resolve("sft-1").toString(),
                dir.resolve("adapter-2").toString(), "--max-rank", "2", "--json", "--dry-run");
        assertThat(dry.exit()).as(dry.err()).isZero();
        JsonNode plan = checkedEvents(dry).getLast();
        assertThat(plan.get("event").asText()).isEqualTo("plan");
        assertThat(plan.get("task").asText()).isEqualTo("extract-lora");
        assertThat(plan.get("modules").asInt()).isEqualTo(done.get("modules").asInt());
        assertThat(plan.get("tensors").asInt()).isEqualTo(done.get("tensors").asInt());
        assertThat(plan.get("output_bytes").asLong()).isEqualTo(done.get("output_bytes").asLong());
        assertThat(plan.get("file_bytes").asLong()).isEqualTo(Files.size(dir.resolve("adapter/adapter_model.safetensors")));
        assertThat(plan.get("unchanged").asInt()).isEqualTo(done.get("unchanged").asInt());
        Cli.Result bounds = Cli.run("extract-lora", "--base", models.resolve("base").toString(), "--model", models.resolve("sft-1").toString(),
                dir.resolve("adapter-3").toString(), "--max-rank", "2", "--json", "--dry-run", "--sv-epsilon", "1e-3");
        assertThat(bounds.exit()).as(bounds.err()).isZero();
        assertThat(checkedEvents(bounds).getLast().get("upper_bounds").asBoolean()).isTrue();
        assertThat(dir.resolve("adapter-2")).doesNotExist();
    }

    @Test
    void aSearchSpeaksTheDocumentedProtocolToo() throws Exception {
        Path models = dir.resolve("search-models");
        assertThat(Cli.run("synth", models.toString(), "--size", "1MB", "--target").exit()).isZero();
        Path fail = Files.writeString(dir.resolve("eval.sh"), """
                case "$1" in */sft-2) echo broken >&2; exit 1;; esac
                echo '{"score": 0.5, "tasks": {"a": 0.5}}'
                """);
        Cli.Result r = Cli.run("search", "exme", "--base", models.resolve("base").toString(), "--checkpoints",
                models.resolve("sft-1").toString(), models.resolve("sft-2").toString(), "--alphas", "0.1,0.2", "--betas", "0.5",
                "--evaluator", "command:sh " + fail + " {model}", "--workdir", dir.resolve("w").toString(), "--json");
        List<JsonNode> events = checkedEvents(r);
        assertThat(events).extracting(e -> e.get("event").asText()).contains("stage", "candidate", "notice");
        assertThat(events.stream().filter(e -> e.get("event").asText().equals("candidate")))
                .anyMatch(e -> e.has("failure") && e.has("stderr_tail")).anyMatch(e -> e.has("score") && e.has("tasks"));
        assertThat(events.getLast().get("event").asText()).as(r.err()).isEqualTo("search_done");
        assertThat(r.exit()).isZero();
    }

    /** --dry-run and --print-config keep stdout JSON too: one plan or config event, and nothing written. */
    @Test
    void aDryRunAndAPrintedConfigAreOneEventEach() throws Exception {
        Path models = dir.resolve("plan-models");
        assertThat(Cli.run("synth", models.toString(), "--size", "1MB", "--finetunes", "1").exit()).isZero();
        String[] exme = {"exme", "--base", models.resolve("base").toString(), "--sft", models.resolve("sft-1").toString(), "--alpha", "0.5",
            "--json"};
        Path out = dir.resolve("planned");
        Cli.Result plan = Cli.run(CliTest.concat(exme, "--dry-run", out.toString()));
        assertThat(plan.exit()).as(plan.err()).isZero();
        JsonNode p = checkedEvents(plan).getLast();
        assertThat(p.get("event").asText()).isEqualTo("plan");
        assertThat(p.get("method").asText()).isEqualTo("expo");
        assertThat(p.get("output").asText()).isEqualTo(out.toString());
        assertThat(p.get("file_bytes").asLong()).isGreaterThan(p.get("output_bytes").asLong());
        assertThat(out).doesNotExist();

        Cli.Result config = Cli.run(CliTest.concat(exme, "--print-config"));
        assertThat(config.exit()).as(config.err()).isZero();
        assertThat(checkedEvents(config)).singleElement().satisfies(e -> assertThat(e.get("recipe").asText())
                .isEqualTo(Cli.run(CliTest.concat(java.util.Arrays.copyOf(exme, exme.length - 1), "--print-config")).out()));
    }

    @Test
    void failuresEndWithAnErrorEventCarryingTheExitCode() throws Exception {
        Path recipe = Files.writeString(dir.resolve("bad.yaml"), "merge_method: no_such_method\nmodels: [{model: x}]\n");
        Cli.Result config = Cli.run("merge", recipe.toString(), dir.resolve("o1").toString(), "--json");
        Cli.Result input = Cli.run("exme", "--base", dir.resolve("absent").toString(), "--sft", dir.resolve("absent2").toString(),
                "--alpha", "0.5", "--json", dir.resolve("o2").toString());
        Cli.Result option = Cli.run("merge", recipe.toString(), dir.resolve("o3").toString(), "--json", "--out-shard-size", "0");
        assertThat(option.exit()).isEqualTo(2);
        for (Cli.Result r : List.of(config, input, option)) {
            JsonNode last = checkedEvents(r).getLast();
            assertThat(last.get("event").asText()).isEqualTo("error");
            assertThat(last.get("exit").asInt()).isEqualTo(r.exit()).isNotZero();
            assertThat(r.err()).contains(last.get("message").asText());
        }
        assertThat(config.exit()).isEqualTo(2);
        assertThat(input.exit()).isEqualTo(3);
    }
}
