package org.exmerge.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.exmerge.format.TestFiles.spec;

import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded mutations of a sharded model's index (through real files and {@link Checkpoint}): each must
 * open as a checkpoint holding exactly the shards' tensors, or fail with the format exception.
 */
class IndexFuzzTest {
    private static final long SEED = 0x1DE7_F022L;
    private static final int CASES = 1_500;
    private static final String[] EDITS = {"\"", "{", "}", "[", "]", ",", ":", "1", "-", "\\", " ", "null", "\u00e9"};

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS) // hang guard
    void mutatedIndexesOpenConsistentlyOrAreRefused() throws Exception {
        List<TensorSpec> specs = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            specs.add(spec("layers." + i + ".w", DType.F32, 4, i + 1));
        }
        Path model = dir.resolve("model");
        Map<String, byte[]> data = RoundTripTest.writeModel(model, specs, 64, Map.of(), SEED);
        Path index = model.resolve("model.safetensors.index.json");
        String good = Files.readString(index);
        List<String> shards = new ShardWriter(Files.createDirectory(dir.resolve("names")), specs, 64, Map.of())
                .fileNames();
        assertThat(shards).hasSizeGreaterThan(2);

        int valid = 0;
        int rejected = 0;
        List<String> failures = new ArrayList<>();
        for (int c = 0; c < CASES; c++) {
            Random r = new Random(SEED * 31 + c);
            byte[] mutated = mutate(good, shards, r);
            Files.write(index, mutated);
            try (Checkpoint cp = Checkpoint.open(model)) {
                assertThat(cp.tensors()).hasSize(specs.size());
                for (TensorSpec s : specs) {
                    assertThat(cp.data(s.name()).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(data.get(s.name()));
                }
                valid++;
            } catch (SafetensorsFormatException e) {
                assertThat(e.getMessage()).startsWith(e.file() + ": ").doesNotContain("\n");
                rejected++;
            } catch (Throwable t) {
                failures.add("case " + c + ": " + t + " for index " + new String(mutated, StandardCharsets.UTF_8));
            }
        }
        System.out.printf("%nindex fuzz, seed %#x: %d cases, %d valid, %d rejected%n", SEED, CASES, valid, rejected);
        assertThat(failures).isEmpty();
        assertThat(valid).isGreaterThan(CASES / 20);
        assertThat(rejected).isGreaterThan(CASES / 4);
    }

    private static byte[] mutate(String good, List<String> shards, Random r) {
        String s = good;
        switch (r.nextInt(7)) {
            case 0 -> { // point one tensor at another shard, an absent file or a path outside
                String[] targets = {shards.get(r.nextInt(shards.size())), "absent.safetensors", "../model.safetensors",
                    "/etc/passwd", "", "model.safetensors.index.json"};
                String from = shards.get(r.nextInt(shards.size()));
                int at = s.indexOf("\"" + from + "\"");
                s = s.substring(0, at) + "\"" + targets[r.nextInt(targets.length)] + "\"" + s.substring(at + from.length() + 2);
            }
            case 1 -> { // drop one weight_map line
                List<String> lines = new ArrayList<>(Arrays.asList(s.split("\n")));
                List<Integer> entries = new ArrayList<>();
                for (int i = 0; i < lines.size(); i++) {
                    if (lines.get(i).contains(".safetensors")) {
                        entries.add(i);
                    }
                }
                lines.remove((int) entries.get(r.nextInt(entries.size())));
                s = String.join("\n", lines).replace(",\n  }", "\n  }");
            }
            case 2 -> { // add an entry for a tensor no shard holds, or repeat one
                String name = r.nextBoolean() ? "ghost" : "layers." + r.nextInt(7) + ".w";
                s = s.replace("\"weight_map\" : {", "\"weight_map\" : {\"" + name + "\" : \""
                        + shards.get(r.nextInt(shards.size())) + "\",");
            }
            case 3 -> { // replace a value with another JSON type
                String[] values = {"1", "null", "[]", "{}", "true", "\"x\""};
                s = s.replaceFirst("\"total_size\" : \\d+", "\"total_size\" : " + values[r.nextInt(values.length)]);
                if (r.nextBoolean()) {
                    s = s.replaceFirst("\"model-0000\\d-of-0000\\d.safetensors\"", values[r.nextInt(values.length)]);
                }
            }
            case 4 -> { // raw text edit
                int p = r.nextInt(s.length());
                s = s.substring(0, p) + EDITS[r.nextInt(EDITS.length)] + s.substring(p + (r.nextBoolean() ? 1 : 0));
            }
            case 5 -> { // bad UTF-8 somewhere
                byte[] b = s.getBytes(StandardCharsets.UTF_8);
                b[r.nextInt(b.length)] = (byte) (0x80 | r.nextInt(0x80));
                return b;
            }
            default -> { // unchanged, or harmless additions
                if (r.nextBoolean()) {
                    s = s.replace("\"metadata\" : {", "\"metadata\" : {\"extra\": {\"deep\": [1, {\"x\": null}]},");
                }
            }
        }
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
