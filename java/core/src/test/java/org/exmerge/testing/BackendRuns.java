package org.exmerge.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SplittableRandom;
import org.exmerge.MergeOptions;
import org.exmerge.engine.RunOptions;
import org.exmerge.format.DType;
import org.exmerge.kernel.Backends;
import org.exmerge.testing.TestModels.T;

/**
 * Whole merges of one recipe on every backend this build can run, several thread counts and chunk
 * sizes: every run must write the bytes of the java backend's one-thread run (numerics §1).
 */
public final class BackendRuns {
    private BackendRuns() {}

    /**
     * A base (BF16) and fine-tunes {@code sft1} (F16), {@code sft2} (F32), {@code sft3} (BF16) close to
     * it (the base plus noise of {@code spread}), with the tail shapes, a tensor past one numerics §4
     * block (70,001 elements) and an integer tensor.
     */
    public static void writeModels(Path dir, float spread) throws IOException {
        String[] names = {"base", "sft1", "sft2", "sft3"};
        DType[] types = {DType.BF16, DType.F16, DType.F32, DType.BF16};
        for (int m = 0; m < names.length; m++) {
            List<T> ts = new ArrayList<>();
            int i = 0;
            var shapes = new LinkedHashMap<>(TestModels.tailShapes());
            shapes.put("big.weight", new long[] {70_001});
            for (var e : shapes.entrySet()) {
                int n = (int) TestModels.count(e.getValue());
                float[] v = TestModels.random(100 + i++, n, 0.02f);
                SplittableRandom r = new SplittableRandom(1000L * m + i);
                for (int k = 0; m > 0 && k < n; k++) {
                    v[k] += (float) (r.nextGaussian() * spread);
                }
                ts.add(new T(e.getKey(), types[m], e.getValue(), v));
            }
            ts.add(new T("position_ids", DType.I64, new long[] {3}, new float[] {0, 1, 2}));
            TestModels.write(dir.resolve(names[m]), ts.toArray(T[]::new));
        }
    }

    /** Merges {@code recipe} on java (1, 2, 7 threads; chunks of 1000 bytes and 4 MB) and native if built; all must agree. */
    public static void assertSameBytes(Path dir, String recipe, String tag) throws Exception {
        byte[] reference = bytes(dir, recipe, tag + "-ref", "java", 1, 4 << 20);
        List<String> backends = new ArrayList<>(List.of("java"));
        if (Backends.available().contains("native")) {
            backends.add("native");
        }
        for (String backend : backends) {
            for (int threads : new int[] {1, 2, 7}) {
                for (long chunk : new long[] {1000, 4 << 20}) {
                    String out = tag + "-" + backend + "-t" + threads + "-c" + chunk;
                    assertThat(bytes(dir, recipe, out, backend, threads, chunk))
                            .as("%s on %s, %d threads, chunks of %d bytes", tag, backend, threads, chunk).isEqualTo(reference);
                }
            }
        }
    }

    private static byte[] bytes(Path dir, String recipe, String out, String backend, int threads, long chunk) throws Exception {
        MergeOptions o = MergeOptions.defaults().withModelsDir(dir).withBackend(backend)
                .withRun(RunOptions.defaults().withThreads(threads).withChunkBytes(chunk));
        return Files.readAllBytes(EngineRuns.merge(dir, recipe, out, o).resolve("model.safetensors"));
    }
}
