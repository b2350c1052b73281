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
import org.exmerge.kernel.Kernels;
import org.exmerge.lora.AdaptedRows;
import org.exmerge.tokenizer.VocabPlan;

/**
 * The input tensors a run works out from a model's own before the merge, which then reads them as
 * that model's tensors: token-indexed tensors reordered into the output vocabulary ({@link VocabPlan},
 * {@link VocabRows}) and tensors a LoRA adapter changes ({@link AdaptedRows}) that a model pass reads
 * before any tensor is bound (every other adapted tensor is worked out as it is bound, {@link
 * AdaptedCopies}); every other tensor is read in place. The copies are held in memory when they fit in what the run's memory budget leaves
 * spare; otherwise they are written to one scratch safetensors file per model in a locked temporary
 * sibling of the output (as the output's own temporary directory is, so a run that dies leaves
 * nothing the next run does not remove), read back through the page cache and deleted when the run
 * ends. Either way the input pages read are dropped as the rows go, so resident input stays about one
 * 4 MB block per thread. Adapted tensors are worked out in blocks of rows on all the run's threads;
 * every element is computed on its own, so the bytes do not depend on the thread count.
 */
final class DerivedInputs implements AutoCloseable {
    /** The most bytes of an adapted tensor one job works out: its rows go out in blocks, so memory stays bounded. */
    private static final long BLOCK_BYTES = 4L << 20;

    private final MergePlan plan;
    private final OutputDirectory dir;
    private final List<Checkpoint> opened;
    private final Arena memory;

    private DerivedInputs(MergePlan plan, OutputDirectory dir, List<Checkpoint> opened, Arena memory) {
        this.plan = plan;
        this.dir = dir;
        this.opened = opened;
        this.memory = memory;
    }

    /** The plan with every derived input read from its copy (the plan itself when it derives nothing). */
    MergePlan plan() {
        return plan;
    }

    /**
     * Works out what the plan's derived inputs need, on up to {@code threads} threads, in memory when
     * the copies take at most {@code spareBytes}. A token-indexed input whose output rows are its own
     * first rows in order (a model with rows past the output vocabulary and nothing else to move or
     * adapt) needs no copy: it is read in place. A LoRA delta is worked out by {@code kernels}
     * ({@link Kernels#loraRows}), the run's backend.
     */
    static DerivedInputs write(MergePlan plan, Path out, int threads, long spareBytes, CancelToken cancel, Kernels kernels)
            throws IOException {
        Map<String, Map<String, TensorSource>> byModel = new LinkedHashMap<>();
        Map<String, TensorSource> replaced = new HashMap<>();
        for (PlannedTensor t : plan.tensors()) {
            for (TensorSource s : sources(t)) {
                if (s.derived() && !AdaptedCopies.atBind(s, t) && !replaced.containsKey(key(s))) {
                    TensorSource view = s.edit() == null ? prefixView(s) : null;
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
                copyBytes += derivedBytes(s);
            }
        }
        boolean inMemory = !byModel.isEmpty() && copyBytes <= spareBytes;
        Arena memory = inMemory ? Arena.ofShared() : null;
        OutputDirectory dir = byModel.isEmpty() || inMemory ? null : OutputDirectory.create(out);
        List<Checkpoint> opened = new ArrayList<>();
        try {
            if (!byModel.isEmpty()) {
                replaced.putAll(derive(byModel, memory, dir, threads, cancel, opened, kernels));
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
                    plan.layerCount(), plan.seed(), plan.chatTemplate(), plan.vocab(), plan.ignored());
            return new DerivedInputs(p, dir, opened, memory);
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

    /** Writes every copy (into {@code memory}, else one file per model in {@code dir}) and returns the sources reading them. */
    private static Map<String, TensorSource> derive(Map<String, Map<String, TensorSource>> byModel, Arena memory,
                                                    OutputDirectory dir, int threads, CancelToken cancel, List<Checkpoint> opened,
                                                    Kernels kernels) throws IOException {
        Map<String, Target> targets = new LinkedHashMap<>();
        List<Callable<Void>> jobs = new ArrayList<>();
        List<FileChannel> channels = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        try {
            for (Map<String, TensorSource> tensors : byModel.values()) {
                FileChannel ch = null;
                long offset = 0;
                if (memory == null) {
                    Path file = dir.path().resolve(files.size() + ".safetensors");
                    files.add(file);
                    // Not forced to disk: it is read back through the page cache and deleted with the run.
                    ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                    channels.add(ch);
                    offset = writeHeader(ch, tensors.values());
                }
                for (TensorSource s : tensors.values()) {
                    Target target = new Target(derivedBytes(s), memory, ch, offset);
                    targets.put(key(s), target);
                    jobs.addAll(s.vocab() != null ? List.of(reorder(s, target, cancel, kernels)) : adapt(s, target, cancel, kernels));
                    offset += target.bytes;
                }
            }
            runAll(jobs, threads);
        } finally {
            for (FileChannel ch : channels) {
                ch.close();
            }
        }
        Map<String, TensorSource> done = new HashMap<>();
        int file = 0;
        for (Map<String, TensorSource> tensors : byModel.values()) {
            Checkpoint c = null;
            if (memory == null) {
                c = Checkpoint.open(files.get(file++));
                opened.add(c);
            }
            for (TensorSource s : tensors.values()) {
                String name = s.info().name();
                done.put(key(s), c != null ? new TensorSource(s.model(), c, c.tensor(name))
                        : new TensorSource(s.model(), s.checkpoint(), new TensorInfo(name, s.info().dtype(), shape(s), 0,
                                targets.get(key(s)).bytes), null, null, targets.get(key(s)).copy()));
            }
        }
        return done;
    }

    /** The job reordering a token-indexed input's rows (one job: a padding mean reads all its token rows). */
    private static Callable<Void> reorder(TensorSource s, Target target, CancelToken cancel, Kernels kernels) {
        return () -> {
            try (Arena buffers = Arena.ofConfined()) {
                VocabRows.reorder(s, s.model(), target.direct(), target::put, 0, buffers, cancel, kernels);
            }
            return null;
        };
    }

    /** The jobs working out an adapted input, a block of rows each. */
    private static List<Callable<Void>> adapt(TensorSource s, Target target, CancelToken cancel, Kernels kernels) {
        TensorInfo info = s.info();
        long rows = info.rank() == 0 ? 1 : info.dim(0);
        long rowBytes = rows == 0 ? 0 : info.byteSize() / rows;
        long perBlock = Math.max(1, BLOCK_BYTES / Math.max(1, rowBytes));
        List<Callable<Void>> jobs = new ArrayList<>();
        for (long start = 0; start == 0 || start < rows; start += perBlock) {
            long first = start;
            int n = (int) Math.min(perBlock, rows - start);
            jobs.add(() -> {
                // Each job widens the factor it shares with the others (rank × columns, a small part of its
                // work), so no more than the running jobs' copies are held at once.
                try (AdaptedRows adapted = AdaptedRows.of(s.checkpoint(), info.name(), s.edit(), kernels)) {
                    MemorySegment direct = target.direct();
                    if (direct != null) {
                        adapted.read(first, n, direct, first * rowBytes);
                    } else {
                        try (Arena buffer = Arena.ofConfined()) {
                            MemorySegment rowsOut = buffer.allocate(Math.max(1, n * rowBytes), 8).asSlice(0, n * rowBytes);
                            adapted.read(first, n, rowsOut, 0);
                            target.put(rowsOut, first * rowBytes);
                        }
                    }
                    adapted.release(first, n);
                }
                cancel.check();
                return null;
            });
        }
        return jobs;
    }

    /**
     * Where one derived tensor's bytes go: a copy in memory, allocated (and so zeroed, page by page) by
     * the first job that writes it, on a worker, so the first touch is not serial; or its span of its
     * model's scratch file, which jobs write at their own positions.
     */
    private static final class Target {
        final long bytes;
        private final Arena memory;
        private final FileChannel file;
        private final long at;
        private MemorySegment copy;

        Target(long bytes, Arena memory, FileChannel file, long at) {
            this.bytes = bytes;
            this.memory = memory;
            this.file = file;
            this.at = at;
        }

        synchronized MemorySegment copy() {
            if (copy == null) {
                copy = memory.allocate(bytes, 64);
            }
            return copy;
        }

        /** The copy to write into directly, or null for a file. */
        MemorySegment direct() {
            return memory == null ? null : copy();
        }

        /** Puts {@code rows} at byte {@code offset} of the tensor. */
        void put(MemorySegment rows, long offset) throws IOException {
            if (memory != null) {
                MemorySegment.copy(rows, 0, copy(), offset, rows.byteSize());
            } else {
                ByteBuffer b = rows.asByteBuffer();
                long position = at + offset;
                while (b.hasRemaining()) {
                    position += file.write(b, position);
                }
            }
        }
    }

    /** Writes the safetensors header for {@code sources}' copies; returns where the first one's bytes go. */
    private static long writeHeader(FileChannel ch, Iterable<TensorSource> sources) throws IOException {
        List<TensorSpec> specs = new ArrayList<>();
        for (TensorSource s : sources) {
            specs.add(new TensorSpec(s.info().name(), s.info().dtype(), shape(s)));
        }
        byte[] header = SafetensorsHeader.encode(specs, Map.of());
        ByteBuffer prefix = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
        prefix.putLong(header.length).put(header).flip();
        long position = 0;
        while (prefix.hasRemaining()) {
            position += ch.write(prefix, position);
        }
        return 8L + header.length;
    }

    /** A copy's shape: the output vocabulary's rows for a reordered input, else the model's own. */
    private static long[] shape(TensorSource s) {
        long[] shape = s.info().shape();
        if (s.vocab() != null) {
            shape[0] = s.vocab().plan().rows();
        }
        return shape;
    }

    private static long derivedBytes(TensorSource s) {
        return s.vocab() == null ? s.info().byteSize()
                : VocabRows.rowElements(s.info()) * s.info().dtype().size() * s.vocab().plan().rows();
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
