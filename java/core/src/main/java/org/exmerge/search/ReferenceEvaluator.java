package org.exmerge.search;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.exmerge.engine.CancelToken;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.TensorInfo;
import org.exmerge.numeric.Widen;

/**
 * {@code reference:TARGET}, built in: the score is minus the mean squared error between the
 * candidate and a target model over every float tensor (or those whose name contains one of the
 * {@code tensors} filters), summed in float64 in one streaming pass over both mapped files. Per-task
 * scores are the same measure per part of the model: {@code embed} (embeddings and lm_head),
 * {@code attn}, {@code mlp}, {@code norm} and {@code other}. A tensor the target lacks, or with
 * another shape, fails the evaluation.
 */
public final class ReferenceEvaluator implements Evaluator {
    private static final int BLOCK = 1 << 16;
    private final Path target;
    private final String[] filters;

    /** @param filters substrings of the tensor names to compare (empty or null: every float tensor) */
    public ReferenceEvaluator(Path target, String[] filters) {
        this.target = target.toAbsolutePath().normalize();
        this.filters = filters == null ? new String[0] : filters.clone();
    }

    @Override
    public java.util.List<Path> inputs() {
        return java.util.List.of(target);
    }

    @Override
    public String describe() {
        return "reference:" + target + (filters.length == 0 ? "" : " tensors=" + String.join(",", filters));
    }

    @Override
    public Score evaluate(Path model, Request req) throws EvaluationException {
        try (Checkpoint cand = Checkpoint.open(model); Checkpoint ref = Checkpoint.open(target)) {
            return compare(cand, ref, req.cancel());
        } catch (IOException e) {
            throw new EvaluationException("reference: " + e.getMessage(), "");
        }
    }

    Score compare(Checkpoint cand, Checkpoint ref, CancelToken cancel) throws EvaluationException {
        Map<String, double[]> parts = new TreeMap<>(); // part -> {sum of squares, count}
        double[] a = new double[BLOCK];
        double[] b = new double[BLOCK];
        double total = 0;
        long count = 0;
        for (TensorInfo t : cand.tensors()) {
            if (!t.dtype().isFloat() || !selected(t.name())) {
                continue;
            }
            TensorInfo r = ref.tensor(t.name());
            if (r == null) {
                throw new EvaluationException("reference: target " + target + " has no tensor " + t.name(), "");
            }
            if (!Arrays.equals(r.shape(), t.shape()) || !r.dtype().isFloat()) {
                throw new EvaluationException("reference: tensor " + t.name() + " is " + Arrays.toString(t.shape())
                        + " but the target's is " + r.dtype() + Arrays.toString(r.shape()), "");
            }
            MemorySegment x = cand.data(t.name());
            MemorySegment y = ref.data(t.name());
            double sum = 0;
            long n = t.elementCount();
            for (long at = 0; at < n; at += BLOCK) {
                if (cancel != null && cancel.isCancelled()) {
                    throw new java.util.concurrent.CancellationException("cancelled");
                }
                int len = (int) Math.min(BLOCK, n - at);
                Widen.toDoubles(x, t.dtype(), at, len, a);
                Widen.toDoubles(y, r.dtype(), at, len, b);
                for (int i = 0; i < len; i++) {
                    double d = a[i] - b[i];
                    sum += d * d;
                }
            }
            double[] p = parts.computeIfAbsent(part(t.name()), k -> new double[2]);
            p[0] += sum;
            p[1] += n;
            total += sum;
            count += n;
        }
        if (count == 0) {
            throw new EvaluationException("reference: no float tensor to compare"
                    + (filters.length == 0 ? "" : " matches " + String.join(",", filters)), "");
        }
        Map<String, Double> tasks = new LinkedHashMap<>();
        parts.forEach((k, v) -> tasks.put(k, -v[0] / v[1]));
        return new Score(-total / count, tasks);
    }

    private boolean selected(String name) {
        if (filters.length == 0) {
            return true;
        }
        for (String f : filters) {
            if (name.contains(f)) {
                return true;
            }
        }
        return false;
    }

    /** Which part of a transformer a tensor belongs to (the per-task breakdown). */
    static String part(String name) {
        if (name.contains("embed") || name.contains("lm_head") || name.contains("wte") || name.contains("wpe")) {
            return "embed";
        }
        if (name.contains("norm")) {
            return "norm";
        }
        if (name.contains("attn") || name.contains("attention")) {
            return "attn";
        }
        if (name.contains("mlp") || name.contains("ffn") || name.contains("feed_forward")) {
            return "mlp";
        }
        return "other";
    }
}
