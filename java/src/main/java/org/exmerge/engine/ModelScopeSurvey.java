package org.exmerge.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.Operand;
import org.exmerge.method.ModelScopeTrim;
import org.exmerge.method.ParameterException;
import org.exmerge.method.TensorPlan;
import org.exmerge.numeric.MagnitudeSelect;

/**
 * SPEC §3 {@code scope: model} (the TIES paper's global trim): before any output is written, finds
 * each model's exact k-th largest {@code |τ_i|} over all tensors whose plan is a
 * {@link ModelScopeTrim}, and replaces those plans by their resolved form.
 *
 * <p>Cost: {@link MagnitudeSelect}'s two histogram passes, each one read of every such tensor of the
 * base and the models, cut into fixed work items on {@code threads} threads. Counts are integers,
 * so the thresholds do not depend on threads or item size; nothing is sorted or copied. The per-tensor
 * selects these plans would otherwise do at bind time are skipped, so a model-scope TIES reads its
 * inputs as often as a per-tensor one, only earlier.
 */
final class ModelScopeSurvey {
    /** Elements per work item: large enough to amortise a task, small enough to balance threads. */
    static final long ITEM = 1 << 20;

    private ModelScopeSurvey() {}

    private record Item(Operand base, Operand[] models, long start, long n) {}

    /** The plan to bind for each tensor, in order: model-scope trims resolved, everything else as planned. */
    static List<TensorPlan> resolve(List<PlannedTensor> tensors, Kernels kernels, int threads, CancelToken cancel) {
        List<TensorPlan> plans = new ArrayList<>();
        List<Integer> trims = new ArrayList<>();
        for (int t = 0; t < tensors.size(); t++) {
            TensorPlan p = tensors.get(t).plan();
            plans.add(p);
            if (p instanceof ModelScopeTrim) {
                trims.add(t);
            }
        }
        if (trims.isEmpty()) {
            return plans;
        }
        long[] keys = thresholds(tensors, trims, kernels, threads, cancel);
        for (int t : trims) {
            plans.set(t, ((ModelScopeTrim) plans.get(t)).withThresholds(keys));
        }
        return plans;
    }

    private static long[] thresholds(List<PlannedTensor> tensors, List<Integer> trims, Kernels kernels, int threads,
                                     CancelToken cancel) {
        PlannedTensor first = tensors.get(trims.getFirst());
        double[] density = ((ModelScopeTrim) first.plan()).modelDensities();
        long total = 0;
        List<Item> items = new ArrayList<>();
        for (int t : trims) {
            PlannedTensor pt = tensors.get(t);
            double[] d = ((ModelScopeTrim) pt.plan()).modelDensities();
            if (!Arrays.equals(d, density)) {
                throw new ParameterException("density: scope: model keeps one fraction of each model as a whole, but tensor '"
                        + pt.name() + "' has density " + Arrays.toString(d) + " and '" + first.name() + "' has "
                        + Arrays.toString(density));
            }
            Operand base = pt.base().operand();
            Operand[] models = new Operand[pt.models().length];
            for (int i = 0; i < models.length; i++) {
                models[i] = pt.models()[i].operand();
            }
            long n = pt.elements();
            for (long s = 0; s < n; s += ITEM) {
                items.add(new Item(base, models, s, Math.min(ITEM, n - s)));
            }
            total = Math.addExact(total, n);
        }
        int m = density.length;
        long[] keys = new long[m];
        long[] kth = new long[m];
        boolean[] select = new boolean[m];
        for (int i = 0; i < m; i++) {
            kth[i] = density[i] >= 1 ? total : (long) Math.floor(density[i] * (double) total);
            if (density[i] >= 1 || kth[i] > total) {
                keys[i] = 0;
            } else if (kth[i] == 0) {
                keys[i] = MagnitudeSelect.NONE;
            } else {
                select[i] = true;
            }
        }
        boolean any = false;
        for (boolean b : select) {
            any |= b;
        }
        if (!any) {
            return keys;
        }
        long[][] high = histograms(items, select, null, kernels, threads, cancel);
        int[] bucket = new int[m];
        for (int i = 0; i < m; i++) {
            if (select[i]) {
                bucket[i] = MagnitudeSelect.selectBucket(high[i], kth[i]);
            }
        }
        long[][] low = histograms(items, select, bucket, kernels, threads, cancel);
        for (int i = 0; i < m; i++) {
            if (select[i]) {
                long rest = kth[i] - MagnitudeSelect.countAbove(high[i], bucket[i]);
                keys[i] = MagnitudeSelect.combine(bucket[i], MagnitudeSelect.selectBucket(low[i], rest));
            }
        }
        return keys;
    }

    /** One histogram pass over all items for the selected models: high part when {@code bucket} is null. */
    private static long[][] histograms(List<Item> items, boolean[] select, int[] bucket, Kernels kernels, int threads,
                                       CancelToken cancel) {
        int m = select.length;
        int size = bucket == null ? MagnitudeSelect.HIGH_BUCKETS : MagnitudeSelect.LOW_BUCKETS;
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "exmerge-survey");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<long[][]>> parts = new ArrayList<>();
            for (int w = 0; w < threads; w++) {
                parts.add(pool.submit(() -> {
                    long[][] h = new long[m][];
                    for (int i = 0; i < m; i++) {
                        h[i] = select[i] ? new long[size] : null;
                    }
                    for (int it = next.getAndIncrement(); it < items.size(); it = next.getAndIncrement()) {
                        cancel.check();
                        Item item = items.get(it);
                        for (int i = 0; i < m; i++) {
                            if (select[i]) {
                                kernels.tauHistogram(item.models()[i], item.base(), item.start(), item.n(),
                                        bucket == null ? -1 : bucket[i], h[i]);
                            }
                        }
                    }
                    return h;
                }));
            }
            long[][] sum = new long[m][];
            for (int i = 0; i < m; i++) {
                sum[i] = select[i] ? new long[size] : null;
            }
            for (Future<long[][]> f : parts) {
                long[][] h = join(f);
                for (int i = 0; i < m; i++) {
                    if (select[i]) {
                        MagnitudeSelect.merge(sum[i], h[i]);
                    }
                }
            }
            return sum;
        } finally {
            pool.shutdownNow();
        }
    }

    private static long[][] join(Future<long[][]> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.util.concurrent.CancellationException("interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        }
    }
}
