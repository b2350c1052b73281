package org.exmerge.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.DType;
import org.exmerge.format.TensorInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "inspect", mixinStandardHelpOptions = true, description = "List a model's tensors, dtypes, shapes, sizes and metadata (validates every header).")
final class InspectCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL", description = "A .safetensors file or a model directory (single or sharded).")
    Path model;

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    boolean json;

    @Option(names = "--summary", description = "Totals only, no per-tensor lines.")
    boolean summary;

    @Override
    public Integer call() throws Exception {
        try (Checkpoint c = Checkpoint.open(model)) {
            Map<DType, long[]> byType = new TreeMap<>();
            long params = 0;
            for (TensorInfo t : c.tensors()) {
                long[] acc = byType.computeIfAbsent(t.dtype(), k -> new long[2]);
                acc[0] += t.elementCount();
                acc[1] += t.byteSize();
                params += t.elementCount();
            }
            if (json) {
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
                CliProgress.emit(root);
                return ExitCodes.OK;
            }
            if (!summary) {
                for (TensorInfo t : c.tensors()) {
                    System.out.printf("%-60s %-8s %-20s %s%n", t.name(), t.dtype(), Arrays.toString(t.shape()), Sizes.human(t.byteSize()));
                }
            }
            System.out.printf("%s: %d tensors, %,d parameters, %s%n", c.path(), c.tensors().size(), params, Sizes.human(c.totalBytes()));
            byType.forEach((t, acc) -> System.out.printf("  %-8s %,d parameters, %s%n", t, acc[0], Sizes.human(acc[1])));
            c.metadata().forEach((k, v) -> System.out.printf("  metadata %s = %s%n", k,
                    v.length() > 120 ? v.substring(0, 117).replace('\n', ' ') + "..." : v.replace('\n', ' ')));
            return ExitCodes.OK;
        }
    }
}
