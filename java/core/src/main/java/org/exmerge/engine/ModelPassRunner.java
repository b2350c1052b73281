package org.exmerge.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.Operand;
import org.exmerge.method.ModelPass;
import org.exmerge.method.PassPlan;
import org.exmerge.method.PassTensor;
import org.exmerge.method.TensorPlan;

/**
 * Runs the {@link ModelPass}es that plans declare, before any output exists, and hands each
 * {@link PassPlan} its result. Knows no method: plans whose passes share a key are one group, run
 * by the first plan's pass over the group's tensors in plan order.
 *
 * <p>Each round cuts every tensor into the pass's fixed pieces and submits them, in order, to the
 * run's {@link Workers}; at most one piece per thread is in flight, and finished pieces are folded
 * into the total strictly in submission order, so the result does not depend on threads. A worker
 * releases the pages a piece read as soon as it is counted, as chunks do, so resident input follows
 * the pieces in flight. The cancel token is checked before every piece.
 */
final class ModelPassRunner {
    private ModelPassRunner() {}

    /** The plan to bind for each tensor, in order: plans that need a pass resolved, the others as planned. */
    static List<TensorPlan> resolve(List<PlannedTensor> tensors, Kernels kernels, Workers workers, CancelToken cancel) {
        List<TensorPlan> plans = new ArrayList<>(tensors.size());
        Map<String, List<Integer>> groups = new LinkedHashMap<>();
        for (int t = 0; t < tensors.size(); t++) {
            TensorPlan p = tensors.get(t).plan();
            plans.add(p);
            if (p instanceof PassPlan<?> pp) {
                groups.computeIfAbsent(pp.pass().key(), k -> new ArrayList<>()).add(t);
            }
        }
        for (List<Integer> members : groups.values()) {
            resolveGroup(tensors, members, plans, kernels, workers, cancel);
        }
        return plans;
    }

    private static <R> void resolveGroup(List<PlannedTensor> tensors, List<Integer> members, List<TensorPlan> plans,
                                         Kernels kernels, Workers workers, CancelToken cancel) {
        List<PassPlan<R>> group = new ArrayList<>();
        List<PlannedTensor> surveyed = new ArrayList<>();
        List<PassTensor> inputs = new ArrayList<>();
        for (int t : members) {
            PassPlan<R> p = sameResult(plans.get(t));
            group.add(p);
            surveyed.add(tensors.get(t));
            inputs.add(passTensor(tensors.get(t), p.pass(), kernels));
        }
        ModelPass<R> pass = group.getFirst().pass();
        if (pass.pieceElements() < 1) {
            throw new IllegalStateException(pass.key() + ": pieceElements must be ≥ 1, was " + pass.pieceElements());
        }
        R result = run(pass.start(inputs), pass, surveyed, inputs, workers, cancel);
        for (int k = 0; k < members.size(); k++) {
            plans.set(members.get(k), group.get(k).resolve(result));
        }
    }

    /** A plan of a group: plans whose passes share a key share the result type (ModelPass's contract). */
    @SuppressWarnings("unchecked")
    private static <R> PassPlan<R> sameResult(TensorPlan plan) {
        return (PassPlan<R>) plan;
    }

    private static <S, R> R run(ModelPass.Run<S, R> run, ModelPass<?> pass, List<PlannedTensor> tensors,
                                List<PassTensor> inputs, Workers workers, CancelToken cancel) {
        long piece = pass.pieceElements();
        List<Ranges> read = new ArrayList<>();
        for (PlannedTensor t : tensors) {
            read.add(Ranges.readBy(t, pass));
        }
        for (int r = 0; r < run.rounds(); r++) {
            cancel.check();
            int round = r;
            S total = run.newState(round);
            ArrayDeque<Future<S>> inFlight = new ArrayDeque<>();
            AtomicBoolean aborted = new AtomicBoolean();
            try {
                for (int t = 0; t < inputs.size(); t++) {
                    PassTensor tensor = inputs.get(t);
                    Ranges ranges = read.get(t);
                    for (long start = 0; start < tensor.elements(); start += piece) {
                        cancel.check();
                        if (inFlight.size() >= workers.threads()) {
                            total = run.combine(round, total, await(inFlight.poll()));
                        }
                        long from = start;
                        long n = Math.min(piece, tensor.elements() - start);
                        inFlight.add(workers.submit(() -> {
                            if (aborted.get()) {
                                return null; // the pass has failed: skip the work, just finish
                            }
                            cancel.check();
                            S state = run.newState(round);
                            run.accumulate(round, state, tensor, from, n);
                            ranges.release(from, n);
                            return state;
                        }));
                    }
                }
                while (!inFlight.isEmpty()) {
                    total = run.combine(round, total, await(inFlight.poll()));
                }
            } finally {
                if (!inFlight.isEmpty()) {
                    // Pieces not started return at once; running ones finish, so none reads a mapped
                    // input once the run reports the failure.
                    aborted.set(true);
                    Workers.awaitAll(inFlight);
                }
            }
            run.endRound(round, total);
        }
        return run.result();
    }

    private static <S> S await(Future<S> piece) {
        try {
            return Workers.await(piece);
        } catch (IOException e) {
            throw new UncheckedIOException("a model pass does no I/O", e);
        }
    }

    private static PassTensor passTensor(PlannedTensor t, ModelPass<?> pass, Kernels kernels) {
        int m = t.models().length;
        Operand[] models = new Operand[m];
        String[] sources = new String[m + 1];
        sources[0] = t.base() == null ? null : t.base().model();
        for (int i = 0; i < m; i++) {
            models[i] = t.models()[i].operand();
            sources[i + 1] = t.models()[i].model();
        }
        return new PassTensor(t.name(), t.elements(), t.shape().clone(), t.base() == null ? null : t.base().operand(),
                models, sources, kernels, pass);
    }

    /** The distinct mapped ranges a pass reads of one tensor, with their element sizes. */
    record Ranges(MemorySegment[] segments, int[] elementBytes) {

        /** Before the run has derived an input (the memory estimate), the model's own tensor stands in for its copy. */
        static Ranges readBy(PlannedTensor t, ModelPass<?> pass) {
            Map<Object, TensorSource> byRange = new LinkedHashMap<>();
            if (t.base() != null && pass.reads(0)) {
                byRange.put(MergeExecutor.rangeKey(t.base()), t.base());
            }
            for (int i = 0; i < t.models().length; i++) {
                if (pass.reads(i + 1)) {
                    byRange.putIfAbsent(MergeExecutor.rangeKey(t.models()[i]), t.models()[i]);
                }
            }
            MemorySegment[] segments = new MemorySegment[byRange.size()];
            int[] sizes = new int[byRange.size()];
            int k = 0;
            for (TensorSource s : byRange.values()) {
                segments[k] = MergeExecutor.segmentOf(s);
                sizes[k++] = s.info().dtype().size();
            }
            return new Ranges(segments, sizes);
        }

        /** The bytes this piece read, each input's element range; they are read again from the page cache if needed. */
        void release(long start, long n) {
            for (int r = 0; r < segments.length; r++) {
                Operand.release(segments[r], elementBytes[r], start, n);
            }
        }

        /** Σ element bytes of the ranges: what one element of a piece reads. */
        long bytesPerElement() {
            long b = 0;
            for (int size : elementBytes) {
                b += size;
            }
            return b;
        }
    }
}
