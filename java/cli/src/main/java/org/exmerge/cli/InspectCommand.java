package org.exmerge.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.exmerge.engine.ModelLocator;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.DType;
import org.exmerge.format.TensorInfo;
import org.exmerge.lora.LoraAdapter;
import org.exmerge.lora.LoraConfig;
import org.exmerge.text.Plain;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

final class InspectCommand implements Callable<Integer> {
    private final PositionalParamSpec model = Specs.positional(0, "MODEL", Path.class,
            "A .safetensors or PyTorch .bin file, a model directory (single or sharded), a PEFT LoRA adapter directory,"
                    + " or a hub name (org/name[@revision]) the Hugging Face cache holds.").build();
    private final OptionSpec json = Specs.flag("--json", "Print one JSON object instead of a table.");
    private final OptionSpec summary = Specs.flag("--summary", "Totals only, no per-tensor lines.");
    private final OptionSpec hubCache = Specs.option("--hub-cache", "DIR", Path.class, null,
            "Hugging Face cache a hub name resolves in; nothing is downloaded (default: $HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub).")
            .build();

    CommandSpec spec() {
        return Specs.add(Specs.command(this, "inspect",
                "List a model's tensors, dtypes, shapes, sizes and metadata (validates every header)."), model, json, summary, hubCache);
    }

    @Override
    public Integer call() throws Exception {
        Path path = model.getValue();
        if (Files.notExists(path)) { // a hub name (org/name[@revision]) in the Hugging Face cache
            Path cache = hubCache.getValue() != null ? hubCache.getValue() : ModelLocator.defaultHubCache();
            path = new ModelLocator(Path.of(""), cache).locate("model", path.toString());
        }
        LoraConfig lora = LoraAdapter.isAdapter(path) ? LoraConfig.read(path) : null;
        try (Checkpoint c = Checkpoint.open(lora != null ? LoraAdapter.weights(path) : path)) {
            Map<DType, long[]> byType = new TreeMap<>();
            long params = 0;
            for (TensorInfo t : c.tensors()) {
                long[] acc = byType.computeIfAbsent(t.dtype(), k -> new long[2]);
                acc[0] += t.elementCount();
                acc[1] += t.byteSize();
                params += t.elementCount();
            }
            if (json.<Boolean>getValue()) {
                ObjectNode root = CliProgress.event("inspect").put("path", c.path().toString())
                        .put("tensors", c.tensors().size()).put("params", params).put("bytes", c.totalBytes());
                ArrayNode list = root.putArray("tensor_list");
                for (TensorInfo t : c.tensors()) {
                    ObjectNode n = list.addObject().put("name", t.name()).put("dtype", t.dtype().name()).put("bytes", t.byteSize());
                    ArrayNode shape = n.putArray("shape");
                    for (long d : t.shape()) {
                        shape.add(d);
                    }
                    n.put("file", c.fileOf(t.name()).getFileName().toString());
                }
                ObjectNode meta = root.putObject("metadata");
                c.metadata().forEach(meta::put);
                if (lora != null) {
                    root.putObject("lora").put("config", lora.file().toString()).put("r", lora.r()).put("lora_alpha", lora.alpha())
                            .put("use_rslora", lora.rslora()).put("rank_pattern", lora.rankPattern().size())
                            .put("alpha_pattern", lora.alphaPattern().size());
                }
                CliProgress.emit(root);
                return ExitCodes.OK;
            }
            if (!summary.<Boolean>getValue()) {
                for (TensorInfo t : c.tensors()) {
                    System.out.print(Plain.format("%-60s %-8s %-20s %s%n", printable(t.name()), t.dtype(), Arrays.toString(t.shape()), Sizes.human(t.byteSize())));
                }
            }
            System.out.print(Plain.format("%s: %d tensors, %,d parameters, %s%n", c.path(), c.tensors().size(), params, Sizes.human(c.totalBytes())));
            byType.forEach((t, acc) -> System.out.print(Plain.format("  %-8s %,d parameters, %s%n", t, acc[0], Sizes.human(acc[1]))));
            if (lora != null) {
                System.out.print(Plain.format("  LoRA adapter (%s): r=%d, lora_alpha=%s%s%s%n", lora.file().getFileName(), lora.r(),
                        lora.alpha() == Math.rint(lora.alpha()) ? Long.toString((long) lora.alpha()) : Double.toString(lora.alpha()), lora.rslora() ? ", rsLoRA" : "",
                        lora.rankPattern().isEmpty() && lora.alphaPattern().isEmpty() ? ""
                                : Plain.format(", %d rank_pattern and %d alpha_pattern keys", lora.rankPattern().size(), lora.alphaPattern().size())));
            }
            c.metadata().forEach((k, v) -> System.out.print(Plain.format("  metadata %s = %s%n", printable(k),
                    v.length() > 120 ? printable(v.substring(0, 117).replace('\n', ' ')) + "..." : printable(v.replace('\n', ' ')))));
            return ExitCodes.OK;
        }
    }

    /**
     * Names come from the file's header and may hold line breaks or terminal escapes; in the table
     * each name stays on its line, escaped as \n, \t or \\uXXXX (the JSON output escapes by itself).
     */
    static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(c -> {
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (Character.isISOControl(c) || c == 0x2028 || c == 0x2029) {
                        b.append(Plain.format("\\u%04x", c));
                    } else {
                        b.appendCodePoint(c);
                    }
                }
            }
        });
        return b.toString();
    }
}
