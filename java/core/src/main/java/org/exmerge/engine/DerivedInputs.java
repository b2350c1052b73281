package org.exmerge.engine;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.OutputDirectory;
import org.exmerge.format.SafetensorsHeader;
import org.exmerge.format.TensorInfo;
import org.exmerge.format.TensorSpec;
import org.exmerge.tokenizer.VocabPlan;

/**
 * Each model's token-indexed tensors reordered into the output vocabulary ({@link VocabPlan}) before
 * the merge, which then reads them as that model's tensors. The copies are held in memory when they
 * fit in what the run's memory budget leaves spare; otherwise they are written to one scratch
 * safetensors file per model in a locked temporary sibling of the output (as the output's own
 * temporary directory is, so a run that dies leaves nothing the next run does not remove), read back
 * through the page cache and deleted when the run ends. Either way the input pages read are dropped
 * as the rows go ({@link VocabRows}), so resident input stays about one 4 MB buffer per thread.
 */
final class VocabScratch implements AutoCloseable {
    private final MergePlan plan;
    private final OutputDirectory dir;
    private final List<Checkpoint> opened;
    private final Arena memory;

    private VocabScratch(MergePlan plan, OutputDirectory dir, List<Checkpoint> opened, Arena memory) {
        this.plan = plan;
        this.dir = dir;
        this.opened = opened;
        this.memory = memory;
    }

    /** The plan with every reordered input read from its scratch file (the plan itself when it reorders nothing). */
    MergePlan plan() {
        return plan;
    }

    /**
     * Reorders what the plan's token-indexed inputs need, on up to {@code threads} threads (a model's
     * tensors each), in memory when the copies take at most {@code spareBytes}. An input whose output rows are its own first rows in order (a model with rows past
     * the output vocabulary and nothing else to move) needs no copy: it is read in place.
     */
    static VocabScratch write(MergePlan plan, Path out, int threads, long spareBytes, CancelToken cancel) throws IOException {
        Map<String, Map<String, TensorSource>> byModel = new LinkedHashMap<>();
        Map<String, TensorSource> replaced = new HashMap<>();
        for (PlannedTensor t : plan.tensors()) {
            for (TensorSource s : sources(t)) {
                if (s.vocab() != null && !replaced.containsKey(key(s))) {
                    TensorSource view = prefixView(s);
                    if (view != null) {
                        replaced.put(key(s), view);
                    } else {
                        byModel.computeIfAbsent(s.model(), k -> new LinkedHashMap<>()).putIfAbsent(s.info().name(), s);
                    }
                }
            }
        }
        long copyBytes = 0;
        for (Map<String, TensorSource> m : byModel.values()) {
            for (TensorSource s : m.values()) {
                copyBytes += reorderedBytes(s);
            }
        }
        boolean inMemory = !byModel.isEmpty() && copyBytes <= spareBytes;
        Arena memory = inMemory ? Arena.ofShared() : null;
        OutputDirectory dir = byModel.isEmpty() || inMemory ? null : OutputDirectory.create(out);
        List<Checkpoint> opened = new ArrayList<>();
        try {
            if (memory != null) {
                replaced.putAll(reorderInMemory(byModel, memory, threads, cancel));
            } else if (dir != null) {
                List<Path> files = new ArrayList<>();
                List<Callable<Void>> jobs = new ArrayList<>();
                for (Map.Entry<String, Map<String, TensorSource>> e : byModel.entrySet()) {
                    Path file = dir.path().resolve(files.size() + ".safetensors");
                    files.add(file);
                    jobs.add(() -> {
                        writeModel(file, e.getKey(), e.getValue().values(), cancel);
                        return null;
                    });
                }
                runAll(jobs, threads);
                int i = 0;
                for (Map.Entry<String, Map<String, TensorSource>> e : byModel.entrySet()) {
                    Checkpoint c = Checkpoint.open(files.get(i++));
                    opened.add(c);
                    for (TensorSource s : e.getValue().values()) {
                        replaced.put(key(s), new TensorSource(s.model(), c, c.tensor(s.info().name())));
                    }
                }
            }
            List<PlannedTensor> tensors = new ArrayList<>();
            for (PlannedTensor t : plan.tensors()) {
                TensorSource[] models = t.models().clone();
                for (int j = 0; j < models.length; j++) {
                    models[j] = replaced.getOrDefault(key(models[j]), models[j]);
                }
                TensorSource base = t.base() == null ? null : replaced.getOrDefault(key(t.base()), t.base());
                tensors.add(new PlannedTensor(t.name(), t.type(), t.shape(), base, models, t.plan()));
            }
            MergePlan p = new MergePlan(plan.method(), tensors, plan.metadata(), plan.configSource(), plan.tokenizerSource(),
                    plan.layerCount(), plan.seed(), plan.chatTemplate(), plan.vocab());
            return new VocabScratch(p, dir, opened, memory);
        } catch (IOException | RuntimeException e) {
            opened.forEach(Checkpoint::close);
            if (dir != null) {
                dir.abort();
            }
            if (memory != null) {
                memory.close();
            }
            throw e;
        }
    }

    private static Map<String, TensorSource> reorderInMemory(Map<String, Map<String, TensorSource>> byModel, Arena memory,
                                                             int threads, CancelToken cancel) throws IOException {
        Map<String, TensorSource> done = new ConcurrentHashMap<>();
        List<Callable<Void>> jobs = new ArrayList<>();
        for (Map.Entry<String, Map<String, TensorSource>> e : byModel.entrySet()) {
            for (TensorSource s : e.getValue().values()) {
                jobs.add(() -> {
                    // Allocated (and so zeroed, page by page) on the worker: the first touch is not serial.
                    long bytes = reorderedBytes(s);
                    MemorySegment copy = memory.allocate(bytes, 64);
                    try (Arena buffers = Arena.ofConfined()) {
                        VocabRows.reorder(s, e.getKey(), copy, (rows, at) -> MemorySegment.copy(rows, 0, copy, at, rows.byteSize()), 0, buffers, cancel);
                    }
                    long[] shape = s.info().shape();
                    shape[0] = s.vocab().plan().rows();
                    done.put(key(s), new TensorSource(s.model(), s.checkpoint(),
                            new TensorInfo(s.info().name(), s.info().dtype(), shape, 0, bytes), null, copy));
                    return null;
                });
            }
        }
        runAll(jobs, threads);
        return done;
    }

    private static long reorderedBytes(TensorSource s) {
        return VocabRows.rowElements(s.info()) * s.info().dtype().size() * s.vocab().plan().rows();
    }

    private static void runAll(List<Callable<Void>> jobs, int threads) throws IOException {
        List<Future<Void>> done = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(threads, jobs.size())))) {
            for (Callable<Void> j : jobs) {
                done.add(pool.submit(j));
            }
            for (Future<Void> f : done) {
                try {
                    f.get();
                } catch (ExecutionException x) {
                    done.forEach(d -> d.cancel(true));
                    switch (x.getCause()) {
                        case IOException io -> throw io;
                        case RuntimeException re -> throw re;
                        case Error er -> throw er;
                        default -> throw new IOException(x.getCause());
                    }
                } catch (InterruptedException x) {
                    Thread.currentThread().interrupt();
                    throw new CancellationException("interrupted");
                }
            }
        }
    }

    /** The input itself, cut to the output's rows, when those are its first rows in order; else null. */
    private static TensorSource prefixView(TensorSource s) {
        int[] from = s.vocab().plan().rowsOf(s.model());
        TensorInfo info = s.info();
        if (from.length > info.dim(0)) {
            return null;
        }
        for (int r = 0; r < from.length; r++) {
            if (from[r] != r) {
                return null;
            }
        }
        long[] shape = info.shape();
        shape[0] = from.length;
        long bytes = VocabRows.rowElements(info) * info.dtype().size() * from.length;
        return new TensorSource(s.model(), s.checkpoint(), new TensorInfo(info.name(), info.dtype(), shape, info.begin(), info.begin() + bytes));
    }

    private static String key(TensorSource s) {
        return s.model() + "\0" + s.info().name();
    }

    private static List<TensorSource> sources(PlannedTensor t) {
        List<TensorSource> all = new ArrayList<>(List.of(t.models()));
        if (t.base() != null) {
            all.add(t.base());
        }
        return all;
    }

    private static void writeModel(Path file, String model, Iterable<TensorSource> sources, CancelToken cancel) throws IOException {
        List<TensorSpec> specs = new ArrayList<>();
        List<TensorSource> srcs = new ArrayList<>();
        for (TensorSource s : sources) {
            long[] shape = s.info().shape();
            shape[0] = s.vocab().plan().rows();
            specs.add(new TensorSpec(s.info().name(), s.info().dtype(), shape));
            srcs.add(s);
        }
        byte[] header = SafetensorsHeader.encode(specs, Map.of());
        // Not forced to disk: it is read back through the page cache and deleted with the run.
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             Arena arena = Arena.ofConfined()) {
            ByteBuffer prefix = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
            prefix.putLong(header.length).put(header).flip();
            write(ch, prefix, 0);
            long offset = 8L + header.length;
            for (int i = 0; i < srcs.size(); i++) {
                VocabRows.reorder(srcs.get(i), model, null, (rows, at) -> write(ch, rows.asByteBuffer(), at), offset, arena, cancel);
                offset += specs.get(i).byteSize();
            }
        }
    }

    private static void write(FileChannel ch, ByteBuffer b, long position) throws IOException {
        while (b.hasRemaining()) {
            position += ch.write(b, position);
        }
    }

    @Override
    public void close() {
        opened.forEach(Checkpoint::close);
        if (dir != null) {
            dir.abort();
        }
        if (memory != null) {
            memory.close();
        }
    }
}
