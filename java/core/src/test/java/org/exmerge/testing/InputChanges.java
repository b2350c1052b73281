package org.exmerge.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.exmerge.Exmerge;
import org.exmerge.MergeOptions;
import org.exmerge.engine.CancelToken;
import org.exmerge.engine.MergeExecutor;
import org.exmerge.engine.MergePlan;
import org.exmerge.engine.MergePlanner;
import org.exmerge.engine.ModelLocator;
import org.exmerge.engine.ModelSet;
import org.exmerge.engine.ProgressListener;
import org.exmerge.engine.RunOptions;
import org.exmerge.error.InputChangedException;
import org.exmerge.format.DType;
import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.LinearOp;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.SparseOp;
import org.exmerge.kernel.VectorLinearOp;
import org.exmerge.kernel.VectorSpan;
import org.exmerge.testing.TestModels.T;

/**
 * Inputs that change under a running merge (issue 15): models to merge, ways to change a file at a
 * chosen moment of the run (a progress hook, or a kernel call), and the checks every such run must
 * pass: an {@link InputChangedException} naming the file, and nothing left next to the output.
 */
public final class InputChanges {
    /** Tensors per model and their shape: 128 KiB of BF16 each, so 8 KiB chunks give 16 per tensor. */
    public static final int TENSORS = 6;
    static final long[] SHAPE = {256, 256};
    /** Small chunks: a truncation at the first chunk leaves most reads of the tensor still to come. */
    public static final long CHUNK = 8 << 10;

    public static final String EXME = """
        merge_method: exme
        base_model: base
        models:
          - model: sft1
            parameters: {alpha: 0.5}
          - model: sft2
            parameters: {alpha: 0.1}
        parameters:
          beta: 0.1
        """;
    public static final String TIES = """
        merge_method: ties
        base_model: base
        models:
          - {model: sft1, parameters: {density: 0.5, weight: 0.7}}
          - {model: sft2, parameters: {density: 0.3, weight: 0.5}}
        """;
    public static final String TIES_MODEL_SCOPE = """
        merge_method: ties
        base_model: base
        models: [{model: sft1}, {model: sft2}]
        parameters: {density: 0.2, scope: model}
        """;

    /** {@link #EXME} with sft1 adapted by {@link #writeAdapter}'s adapter. */
    public static final String EXME_ADAPTED = EXME.replace("model: sft1", "model: sft1+lora");

    private InputChanges() {}

    /** {@code dir/lora}: a rank-2 LoRA adapter on every tensor of {@link #writeModels}' models. */
    public static void writeAdapter(Path dir) throws IOException {
        List<T> factors = new ArrayList<>();
        for (int t = 0; t < TENSORS; t++) {
            factors.add(new T("model.layers." + t + ".lora_A.weight", DType.BF16, new long[] {2, SHAPE[1]},
                    TestModels.random(100 + t, (int) (2 * SHAPE[1]), 0.1f)));
            factors.add(new T("model.layers." + t + ".lora_B.weight", DType.BF16, new long[] {SHAPE[0], 2},
                    TestModels.random(200 + t, (int) (2 * SHAPE[0]), 0.1f)));
        }
        LoraAdapters.write(dir.resolve("lora"), "\"r\": 2, \"lora_alpha\": 4", factors.toArray(T[]::new));
    }

    /** base, sft1 and sft2 under {@code dir}, every file the same size, last modified an hour ago. */
    public static void writeModels(Path dir) throws IOException {
        int seed = 0;
        for (String model : List.of("base", "sft1", "sft2")) {
            List<T> ts = new ArrayList<>();
            for (int t = 0; t < TENSORS; t++) {
                ts.add(new T("model.layers." + t + ".weight", DType.BF16, SHAPE,
                        TestModels.random(++seed, (int) TestModels.count(SHAPE), 0.02f)));
            }
            TestModels.write(dir.resolve(model), ts.toArray(T[]::new));
            // A rewrite in the same clock tick as the writing would keep the time: keep them apart.
            Files.setLastModifiedTime(file(dir, model), FileTime.from(Instant.now().minusSeconds(3600)));
        }
    }

    public static Path file(Path dir, String model) {
        return dir.resolve(model).resolve("model.safetensors").toAbsolutePath().normalize();
    }

    /** As {@link #writeModels}, as PyTorch checkpoints ({@code pytorch_model.bin}, storages mapped as they are). */
    public static void writeTorchModels(Path dir) throws IOException {
        int seed = 0;
        for (String model : List.of("base", "sft1", "sft2")) {
            List<T> ts = new ArrayList<>();
            for (int t = 0; t < TENSORS; t++) {
                ts.add(new T("model.layers." + t + ".weight", DType.BF16, SHAPE,
                        TestModels.random(++seed, (int) TestModels.count(SHAPE), 0.02f)));
            }
            Path f = TorchFiles.write(dir.resolve(model), ts.toArray(T[]::new));
            Files.setLastModifiedTime(f, FileTime.from(Instant.now().minusSeconds(3600)));
        }
    }

    public static Path torchFile(Path dir, String model) {
        return dir.resolve(model).resolve("pytorch_model.bin").toAbsolutePath().normalize();
    }

    public static void truncate(Path file, long size) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Overwrites {@code file} in place with {@code from}'s bytes (same size: no fault, new bytes). */
    public static void rewriteInPlace(Path file, Path from) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            byte[] bytes = Files.readAllBytes(from);
            assertThat((long) bytes.length).isEqualTo(ch.size());
            ch.write(ByteBuffer.wrap(bytes), 0);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Runs {@code action} once, at the first chunk retired after tensor {@code tensor} began. */
    public static ProgressListener at(int tensor, Runnable action) {
        return new ProgressListener() {
            volatile boolean armed;
            final AtomicBoolean done = new AtomicBoolean();

            @Override
            public void tensor(int index, String name) {
                armed |= index == tensor;
            }

            @Override
            public void progress(long outputBytesDone) {
                if (armed && done.compareAndSet(false, true)) {
                    action.run();
                }
            }
        };
    }

    public static MergeOptions opts(Path dir, String backend) {
        return MergeOptions.defaults().withModelsDir(dir).withBackend(backend)
                .withRun(RunOptions.defaults().withThreads(2).withChunkBytes(CHUNK));
    }

    /** Merges {@code yaml} into {@code dir/out}, which must fail with the input that changed. */
    public static InputChangedException mergeFails(Path dir, String yaml, String out, String backend,
                                                   ProgressListener listener) {
        InputChangedException e = catchThrowableOfType(InputChangedException.class,
                () -> Exmerge.merge(Exmerge.Source.parse(yaml, out), dir.resolve(out), opts(dir, backend), listener));
        assertThat(e).as("the merge fails with InputChangedException").isNotNull();
        assertNothingLeft(dir, out);
        return e;
    }

    /** As {@link #mergeFails}, through the executor with {@code kernels} (e.g. {@link #hooked}). */
    public static InputChangedException executeFails(Path dir, String yaml, String out, Kernels kernels)
            throws Exception {
        try (ModelSet models = new ModelSet(new ModelLocator(dir, null))) {
            MergePlan plan = MergePlanner.plan(Exmerge.Source.parse(yaml, out).recipe(), yaml, models, null, null);
            InputChangedException e = catchThrowableOfType(InputChangedException.class,
                    () -> MergeExecutor.run(plan, dir.resolve(out), opts(dir, "java").run(), kernels,
                            ProgressListener.NONE, new CancelToken()));
            assertThat(e).as("the merge fails with InputChangedException").isNotNull();
            assertNothingLeft(dir, out);
            return e;
        }
    }

    /** No output, no temp sibling ({@code .out.tmp-*}). */
    public static void assertNothingLeft(Path dir, String out) {
        assertThat(dir.resolve(out)).doesNotExist();
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("." + out + ".tmp"));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** The one-line message: the file, then what happened to it. */
    public static void assertNames(InputChangedException e, Path file) {
        assertThat(e.file()).isEqualTo(file);
        assertThat(e.getMessage()).startsWith(file + ": changed while it was being read").doesNotContain("\n");
    }

    /** {@code k}, running {@code before} once just before its first magnitude read (a histogram or a band). */
    public static Kernels hooked(Kernels k, Runnable before) {
        AtomicBoolean done = new AtomicBoolean();
        return new Kernels() {
            @Override
            public String name() {
                return k.name();
            }

            @Override
            public java.util.Map<String, Long> fallbacks() {
                return k.fallbacks();
            }

            @Override
            public long linear(LinearOp op, Operand[] inputs, Operand base, Operand out, long n) {
                return k.linear(op, inputs, base, out, n);
            }

            @Override
            public void linearPerVector(VectorLinearOp op, Operand[] inputs, Operand base, Operand out,
                                        long start, long n) {
                k.linearPerVector(op, inputs, base, out, start, n);
            }

            @Override
            public void convert(Operand in, Operand out, long n) {
                k.convert(in, out, n);
            }

            @Override
            public void pairSums(Operand[] inputs, Operand base, int[][] pairs, VectorSpan span,
                                 double[] out) {
                k.pairSums(inputs, base, pairs, span, out);
            }

            @Override
            public void tauHistogram(Operand x, Operand base, long start, long n, int high, long[] hist) {
                if (done.compareAndSet(false, true)) {
                    before.run();
                }
                k.tauHistogram(x, base, start, n, high, hist);
            }

            @Override
            public long tauBand(Operand x, Operand base, long start, long n, int lo, int hi, long[] counts, int[] band) {
                if (done.compareAndSet(false, true)) {
                    before.run();
                }
                return k.tauBand(x, base, start, n, lo, hi, counts, band);
            }

            @Override
            public void tauKeys(Operand x, Operand base, long n, int first, int runs, int of, int run, int[] keys) {
                if (done.compareAndSet(false, true)) {
                    before.run();
                }
                k.tauKeys(x, base, n, first, runs, of, run, keys);
            }

            @Override
            public int kthLargestKey(int[] keys, int count, long rank) {
                return k.kthLargestKey(keys, count, rank);
            }

            @Override
            public void sparseNorms(SparseOp op, int norm, Operand[] inputs, Operand base, long blockStart, long total,
                                    double[] out) {
                k.sparseNorms(op, norm, inputs, base, blockStart, total, out);
            }

            @Override
            public long sparseMerge(SparseOp op, Operand[] inputs, Operand base, Operand out, long start, long n) {
                return k.sparseMerge(op, inputs, base, out, start, n);
            }

            @Override
            public void keptCounts(SparseOp op, Operand[] inputs, Operand base, long start, long n, long[] counts) {
                if (done.compareAndSet(false, true)) {
                    before.run();
                }
                k.keptCounts(op, inputs, base, start, n, counts);
            }

            @Override
            public void nearswap(double t, Operand base, Operand x, Operand out, long n) {
                k.nearswap(t, base, x, out, n);
            }

            @Override
            public void sceHistogram(Operand[] inputs, Operand base, long start, long n, int high, long[] hist) {
                k.sceHistogram(inputs, base, start, n, high, hist);
            }

            @Override
            public void sceSquares(org.exmerge.kernel.SceOp op, Operand[] inputs, Operand base, long blockStart,
                                   long total, double[] out) {
                k.sceSquares(op, inputs, base, blockStart, total, out);
            }

            @Override
            public void sceMerge(org.exmerge.kernel.SceOp op, Operand[] inputs, Operand base, Operand out, long start,
                                 long n) {
                k.sceMerge(op, inputs, base, out, start, n);
            }

            @Override
            public void fusionHistogram(org.exmerge.kernel.FusionOp op, Operand x, Operand base, long start, long n,
                                        int high, long[] hist) {
                k.fusionHistogram(op, x, base, start, n, high, hist);
            }

            @Override
            public void fusionMerge(org.exmerge.kernel.FusionOp op, Operand x, Operand base, Operand out, long start,
                                    long n) {
                k.fusionMerge(op, x, base, out, start, n);
            }

            @Override
            public void loraRows(Operand w, java.lang.foreign.MemorySegment left, java.lang.foreign.MemorySegment right,
                                 int rank, long columns, int count, double scaling, Operand out) {
                k.loraRows(w, left, right, rank, columns, count, scaling, out);
            }

            @Override
            public void svdTimes(float[] d, int m, int n, double[] x, int rank, int from, int to, double[] y) {
                k.svdTimes(d, m, n, x, rank, from, to, y);
            }

            @Override
            public void svdTransposeTimes(float[] d, int m, int n, double[] q, int rank, int from, int to, double[] z) {
                k.svdTransposeTimes(d, m, n, q, rank, from, to, z);
            }

            @Override
            public long firstNonFinite(Operand data, long n) {
                return k.firstNonFinite(data, n);
            }
        };
    }
}
