package org.exmerge.engine;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.exmerge.format.TensorInfo;
import org.exmerge.kernel.Kernels;
import org.exmerge.lora.AdaptedRows;
import org.exmerge.method.Parallel;
import org.exmerge.method.PassPlan;

/**
 * A tensor's adapted inputs (its model's tensor with the model's LoRA adapter applied, {@link
 * AdaptedRows}) worked out when the tensor is bound, on the run's workers, into buffers that go back
 * to a pool once the tensor is written. What is held at once is the copies of the tensors bound and
 * not yet written (two when binding ahead), not every adapted tensor of the model: a 70B merge with
 * an adapter on every linear weight held the adapted model in scratch files beside the output
 * before. An input a model pass reads (before any tensor is bound) is still worked out before the
 * merge by {@link DerivedInputs}, as token-indexed ones are.
 */
final class AdaptedCopies implements AutoCloseable {
    /** The most bytes of an adapted tensor one piece works out. */
    private static final long PIECE_BYTES = 4L << 20;
    /** Free buffers kept for reuse: a Llama layer's adapted weights come in three or four sizes. */
    private static final int KEPT = 4;

    /** Buffers not in use, each in an arena of its own so that one can be freed alone. */
    private final List<Buffer> free = new ArrayList<>();
    private final Map<Integer, List<Buffer>> held = new ConcurrentHashMap<>();
    private boolean closed;

    private record Buffer(Arena arena, MemorySegment segment) {}

    /** Whether {@code s}, an input of {@code t}, is worked out when {@code t} is bound rather than before the merge. */
    static boolean atBind(TensorSource s, PlannedTensor t) {
        return s.edit() != null && s.vocab() == null && !(t.plan() instanceof PassPlan<?>);
    }

    /** Bytes of the copies binding {@code t} holds: each distinct adapted input once. */
    static long bytes(PlannedTensor t) {
        long sum = 0;
        for (TensorSource s : adapted(t).values()) {
            sum += s.info().byteSize();
        }
        return sum;
    }

    /**
     * {@code t} with each adapted input read from a copy worked out now (t itself when it has none);
     * the copies are held for {@code index} until {@link #release(int)}.
     */
    PlannedTensor bind(PlannedTensor t, int index, Parallel parallel, Kernels kernels) {
        Map<String, TensorSource> adapted = adapted(t);
        if (adapted.isEmpty()) {
            return t;
        }
        Map<String, TensorSource> copies = new LinkedHashMap<>();
        List<Buffer> mine = new ArrayList<>();
        held.put(index, mine);
        for (Map.Entry<String, TensorSource> e : adapted.entrySet()) {
            TensorSource s = e.getValue();
            TensorInfo info = s.info();
            Buffer b = take(info.byteSize());
            mine.add(b);
            MemorySegment copy = b.segment().asSlice(0, info.byteSize());
            work(s, copy, parallel, kernels);
            copies.put(e.getKey(), new TensorSource(s.model(), s.checkpoint(),
                    new TensorInfo(info.name(), info.dtype(), info.shape(), 0, info.byteSize()), null, null, copy));
        }
        TensorSource[] models = t.models().clone();
        for (int i = 0; i < models.length; i++) {
            models[i] = copies.getOrDefault(key(models[i]), models[i]);
        }
        TensorSource base = t.base() == null ? null : copies.getOrDefault(key(t.base()), t.base());
        return new PlannedTensor(t.name(), t.type(), t.shape(), base, models, t.plan());
    }

    /** Gives the copies held for {@code index} back to the pool (none: nothing). */
    void release(int index) {
        List<Buffer> mine = held.remove(index);
        if (mine != null) {
            synchronized (free) {
                if (closed) {
                    mine.forEach(b -> b.arena().close());
                } else {
                    free.addAll(mine);
                    trim();
                }
            }
        }
    }

    /** Rows in pieces of about {@link #PIECE_BYTES}; every element is computed on its own, so the bytes do not depend on the split. */
    private static void work(TensorSource s, MemorySegment copy, Parallel parallel, Kernels kernels) {
        TensorInfo info = s.info();
        long rows = info.rank() == 0 ? 1 : info.dim(0);
        long rowBytes = rows == 0 ? 0 : info.byteSize() / rows;
        long perPiece = Math.max(1, PIECE_BYTES / Math.max(1, rowBytes));
        int pieces = (int) Math.max(1, (rows + perPiece - 1) / perPiece);
        parallel.run(pieces, p -> {
            long first = p * perPiece;
            int n = (int) Math.min(perPiece, rows - first);
            if (n <= 0) {
                return;
            }
            try (AdaptedRows a = AdaptedRows.of(s.checkpoint(), info.name(), s.edit(), kernels)) {
                a.read(first, n, copy, first * rowBytes);
                a.release(first, n);
            }
        });
    }

    /**
     * The smallest free buffer of at least {@code bytes} and at most twice that (a large buffer
     * lent to a small tensor would make the next large one allocate again), else a new one.
     */
    private Buffer take(long bytes) {
        synchronized (free) {
            Buffer best = null;
            for (Buffer b : free) {
                long size = b.segment().byteSize();
                if (size >= bytes && size / 2 <= bytes && (best == null || size < best.segment().byteSize())) {
                    best = b;
                }
            }
            if (best != null) {
                free.remove(best);
                return best;
            }
        }
        Arena arena = Arena.ofShared();
        return new Buffer(arena, arena.allocate(Math.max(1, bytes), 64));
    }

    /** Keeps the {@link #KEPT} largest free buffers (a layer's few sizes come round again); frees the rest. */
    private void trim() {
        free.sort((a, b) -> Long.compare(b.segment().byteSize(), a.segment().byteSize()));
        while (free.size() > KEPT) {
            free.removeLast().arena().close();
        }
    }

    /** Each input of {@code t} worked out at bind, by model and name. */
    private static Map<String, TensorSource> adapted(PlannedTensor t) {
        Map<String, TensorSource> out = new LinkedHashMap<>();
        if (t.base() != null && atBind(t.base(), t)) {
            out.put(key(t.base()), t.base());
        }
        for (TensorSource s : t.models()) {
            if (atBind(s, t)) {
                out.putIfAbsent(key(s), s);
            }
        }
        return out;
    }

    private static String key(TensorSource s) {
        return s.model() + "\0" + s.info().name();
    }

    /** Frees every buffer; ones still held are freed as they come back. */
    @Override
    public void close() {
        synchronized (free) {
            closed = true;
            free.forEach(b -> b.arena().close());
            free.clear();
        }
        for (Integer index : List.copyOf(held.keySet())) {
            release(index);
        }
    }
}
