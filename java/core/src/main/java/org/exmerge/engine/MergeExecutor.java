package org.exmerge.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import org.exmerge.error.BudgetException;
import org.exmerge.error.ExmergeException;
import org.exmerge.format.DType;
import org.exmerge.format.TensorSpec;
import org.exmerge.kernel.Fallbacks;
import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.NonFinite;
import org.exmerge.kernel.Operand;
import org.exmerge.method.CheckedMerge;
import org.exmerge.method.ModelPass;
import org.exmerge.method.Parallel;
import org.exmerge.method.ParameterException;
import org.exmerge.method.PassPlan;
import org.exmerge.method.RunMetadata;
import org.exmerge.method.TensorInputs;
import org.exmerge.method.TensorMerge;
import org.exmerge.method.TensorPlan;
import org.exmerge.numeric.Fnv1a;

/**
 * Runs a {@link MergePlan}: resolves run-wide work (model passes, plan metadata) before any
 * output exists, then binds each tensor to its mapped inputs and streams it to the output.
 */
public final class MergeExecutor {
    private MergeExecutor() {}

    public static MergeStats run(MergePlan plan, Path out, RunOptions opts, Kernels kernels,
                                 ProgressListener listener, CancelToken cancel) throws IOException {
        return run(plan, out, opts, kernels, listener, cancel, null);
    }

    /** As above, with {@code card} (null: none) written beside the model. */
    public static MergeStats run(MergePlan plan, Path out, RunOptions opts, Kernels kernels,
                                 ProgressListener listener, CancelToken cancel, ModelCard card) throws IOException {
        if (plan.vocab() != null) {
            listener.notice(plan.vocab().describe());
        }
        plan.adapters().forEach(listener::notice);
        plan.tiedReads().forEach(listener::notice);
        plan.ignored().forEach(i -> listener.notice(i.notice()));
        // Too small a memory budget stops here (fit), before the derived inputs are written; the
        // copies stay in memory when they take at most half of what the merge leaves spare.
        InputWatch inputs = InputWatch.of(plan);
        // Calls this run hands to the Java spec (numerics §1: same bytes, slower) go into its stats,
        // the LoRA deltas worked out before the merge included.
        Map<String, Long> fallbacksBefore = kernels.fallbacks();
        DerivedInputs scratch;
        try {
            MemoryBudget.Fit fit = fit(plan, opts);
            scratch = DerivedInputs.write(plan, out, fit.threads(), (fit.budgetBytes() - fit.needBytes()) / 2, cancel,
                    kernels);
        } catch (ExmergeException | CancellationException e) {
            throw e;
        } catch (IOException e) {
            throw new OutputException(out, e);
        } catch (RuntimeException | Error e) {
            ExmergeException changed = inputs.explain(e);
            if (changed != null) {
                throw changed;
            }
            throw e;
        }
        try (scratch) {
            return run(scratch.plan(), inputs, out, opts, kernels, fallbacksBefore, listener, cancel, card);
        }
    }

    private static MergeStats run(MergePlan plan, InputWatch inputs, Path out, RunOptions opts, Kernels kernels,
                                  Map<String, Long> fallbacksBefore, ProgressListener listener, CancelToken cancel,
                                  ModelCard card) throws IOException {
        List<TensorSpec> specs = new ArrayList<>();
        DType configType = null;
        for (PlannedTensor t : plan.tensors()) {
            specs.add(t.spec());
            if (configType == null && t.type().isFloat()) {
                configType = t.type();
            }
        }
        DType dtype = configType;
        // Threads and chunks fitted to the memory budget before any work; too small a budget stops here.
        MemoryBudget.Fit fit = fit(plan, opts);
        fit.notices().forEach(listener::notice);
        RunOptions run = fit.apply(opts);
        // Inputs are slices of each file's one mapping (a file named many times is mapped once). A
        // worker releases the pages a chunk read as soon as it has computed it, and a tensor's whole
        // ranges once it is written, so resident input pages follow the chunks being computed (and a
        // bind-time pass's tensor until its chunks have read it), not the model size nor the number
        // of models.
        Map<Integer, MemorySegment[]> bound = new ConcurrentHashMap<>();
        // One pool for the whole run: model passes first (before any output exists, so a pass's
        // error leaves nothing behind), then bind-time passes and chunks.
        try (Workers workers = new Workers(run.threads()); AdaptedCopies copies = new AdaptedCopies()) {
            List<TensorPlan> plans = ModelPassRunner.resolve(plan.tensors(), kernels, workers, cancel);
            Map<String, String> metadata = withRunMetadata(plan.metadata(), plans, plan.seed());
            return OutputRun.write(out, specs, (i, parallel) -> bind(copies.bind(plan.tensors().get(i), i, parallel, kernels), plans.get(i),
                            kernels, plan.seed(), bound, i, parallel, run.allowNonfinite()),
                    i -> {
                        release(bound.remove(i));
                        copies.release(i);
                    }, metadata,
                    dir -> {
                        AuxFiles.copy(plan.configSource(), plan.tokenizerSource(), dir, dtype, plan.layerCount(), plan.vocab());
                        if (plan.chatTemplate() != null) {
                            ChatTemplate.apply(plan.chatTemplate(), dir);
                        }
                        if (card != null) {
                            card.write(dir);
                        }
                        inputs.requireUnchanged(); // every byte is read: a rewrite that did not fault shows here
                    },
                    run, listener, cancel, kernels.name(),
                    () -> Fallbacks.since(fallbacksBefore, kernels.fallbacks()), plan.inputBytes(), workers, fit.bindAhead());
        } catch (CancellationException e) {
            throw e;
        } catch (RuntimeException | Error e) {
            // A mapped read of a truncated input faults wherever it happens (a worker, a bind-time
            // pass, this thread); OutputRun has removed the temp directory by now.
            ExmergeException changed = inputs.explain(e);
            if (changed != null) {
                throw changed;
            }
            throw e;
        }
    }

    /** The threads and chunk size {@link #run} uses for this plan: {@code opts} fitted to its memory budget. */
    public static MemoryBudget.Fit fit(MergePlan plan, RunOptions opts) throws BudgetException {
        return MemoryBudget.fit(MemoryBudget.budgetOf(opts), opts.threads(), opts.chunkBytes(),
                Runtime.getRuntime().availableProcessors(), demand(plan.tensors()));
    }

    /**
     * What the plan's tensors need in memory: see {@link MemoryBudget}. A tensor whose plan waits
     * for a model pass counts as read at bind time (the resolved plan may be), and the pass holds,
     * per worker, one piece's state and the input pages the piece reads, plus the running total.
     * Binding a tensor ahead ({@link ChunkPipeline}) runs a tensor's pass while the tensor before it
     * may still hold what its own pass mapped: {@code aheadBytes} counts the two together.
     */
    static MemoryBudget.Demand demand(List<PlannedTensor> tensors) {
        double ratio = 0;
        int ranges = 0;
        long pass = 0;
        String passTensor = null;
        long ahead = 0;
        long passHeap = 0;
        long before = 0; // the input pages the previous tensor's pass left mapped (0 when it had none)
        long copyMax = 0;
        String copyTensor = null;
        for (PlannedTensor t : tensors) {
            MemorySegment[] distinct = distinct(t);
            long bytes = 0;
            for (MemorySegment s : distinct) {
                bytes += s.byteSize();
            }
            long perElement = distinctElementBytes(t);
            ratio = Math.max(ratio, (double) perElement / t.type().size());
            ranges = Math.max(ranges, distinct.length);
            long copies = AdaptedCopies.bytes(t);
            if (copies > copyMax) {
                copyMax = copies;
                copyTensor = t.name();
            }
            if (!t.plan().readsAtBind()) {
                before = 0;
                continue;
            }
            long held = bytes;
            long heap = MemoryBudget.HISTOGRAM_BYTES;
            if (t.plan() instanceof PassPlan<?> pp) {
                ModelPass<?> mp = pp.pass();
                long pieceBytes = Math.min(mp.pieceElements(), t.elements())
                        * ModelPassRunner.Ranges.readBy(t, mp).bytesPerElement();
                heap = Math.max(heap, mp.stateBytes() + pieceBytes);
                held = bytes + mp.stateBytes();
            }
            if (held > pass) {
                pass = held;
                passTensor = t.name();
            }
            ahead = Math.max(ahead, before + held);
            passHeap = Math.max(passHeap, heap);
            before = bytes;
        }
        if (copyMax > 0) {
            // Copies are held whole until their tensor's last chunk is written: the oldest tensor with
            // chunks in flight and the one handing them out (those between are in the window's input
            // pages, counted per chunk), and the one bound ahead.
            passTensor = copyMax * 2 > pass ? copyTensor : passTensor;
            pass += 2 * copyMax;
            ahead += 3 * copyMax;
        }
        return new MemoryBudget.Demand(ratio, ranges, pass, passTensor, passHeap, ahead);
    }

    private static List<TensorSource> sources(PlannedTensor t) {
        List<TensorSource> all = new ArrayList<>(t.models().length + 1);
        if (t.base() != null) {
            all.add(t.base());
        }
        all.addAll(List.of(t.models()));
        return all;
    }

    /** The tensor's input ranges, each once: a model named several times is one mapping, read once per chunk. */
    static MemorySegment[] distinct(PlannedTensor t) {
        Map<Object, MemorySegment> byAddress = new LinkedHashMap<>();
        for (TensorSource s : sources(t)) {
            MemorySegment seg = segmentOf(s);
            byAddress.merge(rangeKey(s), seg, (a, b) -> a.byteSize() >= b.byteSize() ? a : b);
        }
        return byAddress.values().toArray(MemorySegment[]::new);
    }

    /** Inputs read in place share a range by address; a derived input is a copy of its own (a model and its adapted self are two). */
    static Object rangeKey(TensorSource s) {
        return s.derived() ? s.model() + "\0" + s.info().name() : segmentOf(s).address();
    }

    /**
     * The source's mapped bytes; before a run has derived an input ({@link DerivedInputs}), the model's
     * own tensor, which stands in for its copy (the same size, or a few rows apart) in the memory estimate.
     */
    static MemorySegment segmentOf(TensorSource s) {
        return s.derived() ? s.checkpoint().data(s.info().name()) : s.operand().segment();
    }

    /** Σ element bytes of the distinct inputs: what one output element reads. */
    private static long distinctElementBytes(PlannedTensor t) {
        Map<Object, Integer> byAddress = new LinkedHashMap<>();
        for (TensorSource s : sources(t)) {
            byAddress.put(rangeKey(s), s.info().dtype().size());
        }
        long sum = 0;
        for (int size : byAddress.values()) {
            sum += size;
        }
        return sum;
    }

    /** Drops the resident pages of mapped ranges (they are read again from the page cache if needed). */
    static void release(MemorySegment[] ranges) {
        if (ranges == null) {
            return;
        }
        for (MemorySegment s : ranges) {
            if (s.isMapped() && s.byteSize() > 0) {
                s.unload();
            }
        }
    }

    /** The plan's metadata plus what plans record for the run (M3's λ); tensors must agree on each key. */
    public static Map<String, String> withRunMetadata(Map<String, String> base, List<TensorPlan> plans, long seed) {
        Map<String, String> meta = new LinkedHashMap<>(base);
        Map<String, String> added = new LinkedHashMap<>();
        for (TensorPlan p : plans) {
            if (p instanceof RunMetadata rm) {
                for (Map.Entry<String, String> e : rm.metadata(seed).entrySet()) {
                    String prev = added.putIfAbsent(e.getKey(), e.getValue());
                    if (prev != null && !prev.equals(e.getValue())) {
                        throw new ParameterException(e.getKey() + ": tensors disagree (" + prev + " vs " + e.getValue()
                                + "); give the parameters behind it one value for the whole model");
                    }
                }
            }
        }
        meta.putAll(added);
        return meta;
    }

    private static TensorMerge bind(PlannedTensor t, TensorPlan plan, Kernels kernels, long seed,
                                    Map<Integer, MemorySegment[]> bound, int index, Parallel parallel, boolean allowNonfinite) {
        MemorySegment[] ranges = distinct(t);
        bound.put(index, ranges);
        Operand base = t.base() == null ? null : t.base().operand();
        Operand[] models = new Operand[t.models().length];
        for (int i = 0; i < models.length; i++) {
            models[i] = t.models()[i].operand();
        }
        TensorMerge computed = plan.bind(new TensorInputs(t.name(), base, models, t.elements(), t.shape(), kernels, seed,
                Fnv1a.hash32(t.name()), parallel));
        // A bind-time pass leaves the pages it mapped for the chunks to read (each chunk releases its
        // own): dropping them here made every chunk fault them in again, 0.3 s of a 3 s TIES merge.
        TensorMerge merge = allowNonfinite || !t.type().isFloat() ? computed : finiteOnly(t.name(), computed, kernels);
        long[] elementBytes = new long[ranges.length];
        for (int r = 0; r < ranges.length; r++) {
            elementBytes[r] = ranges[r].byteSize() / Math.max(1, t.elements());
        }
        return (start, n, out) -> {
            merge.compute(start, n, out);
            for (int r = 0; r < ranges.length; r++) {
                Operand.release(ranges[r], elementBytes[r], start, n);
            }
        };
    }

    /**
     * Fails the run on the first chunk holding an infinity or NaN. A {@link CheckedMerge}'s kernel
     * says so as it writes (the native kernels test the values in registers or in L1; reading a
     * streamed chunk back from memory was 8 % of an exme's wall time); any other merge's chunk is
     * read again on the worker right after compute() with the backend's {@link Kernels#firstNonFinite}
     * op (the spec is {@link NonFinite}: one branch-free pass of 8 bytes at a time; native: the same
     * test in SIMD). Where the value came from (weights out of range, or an input's own NaN passed
     * through) is not told apart: both make an unusable model.
     */
    static TensorMerge finiteOnly(String name, TensorMerge merge, Kernels kernels) {
        return (start, n, out) -> {
            long at;
            if (merge instanceof CheckedMerge checked) {
                at = checked.computeChecked(start, n, out);
            } else {
                merge.compute(start, n, out);
                at = kernels.firstNonFinite(out, n);
            }
            if (at >= 0) {
                String value = NonFinite.describe(out.type(), NonFinite.bits(out.segment(), out.type().size(), at));
                throw new UncheckedIOException(new NonFiniteException(name, start + at, value, out.type().name()));
            }
        };
    }
}
