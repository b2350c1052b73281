package org.exmerge.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import org.exmerge.error.ExmergeException;
import org.exmerge.format.DType;
import org.exmerge.format.TensorSpec;
import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.Operand;
import org.exmerge.method.Parallel;
import org.exmerge.method.ParameterException;
import org.exmerge.method.RunMetadata;
import org.exmerge.method.TensorInputs;
import org.exmerge.method.TensorMerge;
import org.exmerge.method.TensorPlan;
import org.exmerge.numeric.Fnv1a;

/**
 * Runs a {@link MergePlan}: resolves run-wide work (model-scope trims, plan metadata) before any
 * output exists, then binds each tensor to its mapped inputs and streams it to the output.
 */
public final class MergeExecutor {
    private MergeExecutor() {}

    public static MergeStats run(MergePlan plan, Path out, RunOptions opts, Kernels kernels,
                                 ProgressListener listener, CancelToken cancel) throws IOException {
        List<TensorSpec> specs = new ArrayList<>();
        DType configType = null;
        for (PlannedTensor t : plan.tensors()) {
            specs.add(t.spec());
            if (configType == null && t.type().isFloat()) {
                configType = t.type();
            }
        }
        DType dtype = configType;
        InputWatch inputs = InputWatch.of(plan);
        // Each tensor's inputs are mapped on their own and unmapped once it is written, so resident
        // memory follows the tensors in flight, not the model size.
        Map<Integer, Arena> mapped = new ConcurrentHashMap<>();
        try {
            List<TensorPlan> plans = ModelScopeSurvey.resolve(plan.tensors(), kernels, opts.threads(), cancel);
            Map<String, String> metadata = withRunMetadata(plan.metadata(), plans, plan.seed());
            return OutputRun.write(out, specs, (i, parallel) -> bind(plan.tensors().get(i), plans.get(i), kernels, plan.seed(), mapped, i, parallel),
                    i -> mapped.remove(i).close(), metadata,
                    dir -> {
                        AuxFiles.copy(plan.auxSource(), dir, dtype, plan.layerCount());
                        inputs.requireUnchanged(); // every byte is read: a rewrite that did not fault shows here
                    },
                    opts, listener, cancel, kernels.name(), plan.inputBytes());
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
        } finally {
            mapped.values().forEach(Arena::close);
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
                                    Map<Integer, Arena> mapped, int index, Parallel parallel) {
        Arena arena = Arena.ofShared();
        mapped.put(index, arena);
        try {
            Operand base = t.base() == null ? null : t.base().map(arena);
            Operand[] models = new Operand[t.models().length];
            for (int i = 0; i < models.length; i++) {
                models[i] = t.models()[i].map(arena);
            }
            return plan.bind(new TensorInputs(t.name(), base, models, t.elements(), t.shape(), kernels, seed,
                    Fnv1a.hash32(t.name()), parallel));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
