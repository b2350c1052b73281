package org.exmerge.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.Operand;
import org.exmerge.method.ModelScopeTrim;
import org.exmerge.method.ParameterException;
import org.exmerge.method.TensorPlan;
import org.exmerge.numeric.MagnitudeSelect;

/**
 * numerics §3 {@code scope: model} (the TIES paper's global trim): before any output is written, finds
 * each model's exact k-th largest {@code |τ_i|} over all tensors whose plan is a
 * {@link ModelScopeTrim}, and replaces those plans by their resolved form.
 *
 * <p>Cost: {@link MagnitudeSelect}'s two histogram passes, each one read of every such tensor of the
 * base and the models, cut into fixed pieces on {@code threads} threads. Counts are integers, so
 * the thresholds do not depend on threads or piece size; nothing is sorted or copied. The per-tensor
 * selects these plans would otherwise do at bind time are skipped, so a model-scope TIES reads its
 * inputs as often as a per-tensor one, only earlier.
 */
final class ModelScopeSurvey {
    /** Elements per piece of work: large enough to amortise a task, small enough to balance threads. */
    static final long ITEM = 1 << 20;

    private ModelScopeSurvey() {}

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
        List<PlannedTensor> surveyed = new ArrayList<>();
        long total = 0;
        for (int t : trims) {
            PlannedTensor pt = tensors.get(t);
            double[] d = ((ModelScopeTrim) pt.plan()).modelDensities();
            if (!Arrays.equals(d, density)) {
                throw new ParameterException("density: scope: model keeps one fraction of each model as a whole, but tensor '"
                        + pt.name() + "' has density " + Arrays.toString(d) + " and '" + first.name() + "' has "
                        + Arrays.toString(density));
            }
            if (!Arrays.equals(sourceNames(pt), sourceNames(first))) {
                // With slices, model i of one slice may be another checkpoint than model i of the next.
                throw new ParameterException("scope: model takes each model's threshold over all its tensors, so every "
                        + "slice must merge the same models in the same order; tensor '" + pt.name() + "' merges "
                        + Arrays.toString(sourceNames(pt)) + " and '" + first.name() + "' " + Arrays.toString(sourceNames(first)));
            }
            surveyed.add(pt);
            total = Math.addExact(total, pt.elements());
        }
        int m = density.length;
        long[] keys = new long[m];
        long[] kth = new long[m];
        boolean[] select = new boolean[m];
        boolean any = false;
        for (int i = 0; i < m; i++) {
            kth[i] = density[i] >= 1 ? total : (long) Math.floor(density[i] * (double) total);
            if (density[i] >= 1 || kth[i] > total) {
                keys[i] = 0;
            } else if (kth[i] == 0) {
                keys[i] = MagnitudeSelect.NONE;
            } else {
                select[i] = true;
                any = true;
            }
        }
        if (!any) {
            return keys;
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread th = new Thread(r, "exmerge-survey");
            th.setDaemon(true);
            return th;
        });
        try {
            long[][] high = histograms(surveyed, select, null, kernels, pool, threads, cancel);
            int[] bucket = new int[m];
            for (int i = 0; i < m; i++) {
                if (select[i]) {
                    bucket[i] = MagnitudeSelect.selectBucket(high[i], kth[i]);
                }
            }
            long[][] low = histograms(surveyed, select, bucket, kernels, pool, threads, cancel);
            for (int i = 0; i < m; i++) {
                if (select[i]) {
                    long rest = kth[i] - MagnitudeSelect.countAbove(high[i], bucket[i]);
                    keys[i] = MagnitudeSelect.combine(bucket[i], MagnitudeSelect.selectBucket(low[i], rest));
                }
            }
            return keys;
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * One histogram pass over every surveyed tensor for the selected models (the high part when
     * {@code bucket} is null). Each tensor's mapped pages are released when it is counted, as the
     * executor does, so resident memory stays at one tensor's inputs; within a tensor, {@code threads}
     * workers take {@link #ITEM}-element pieces, each adding into its own histograms.
     */
    private static long[][] histograms(List<PlannedTensor> tensors, boolean[] select, int[] bucket, Kernels kernels,
                                       ExecutorService pool, int threads, CancelToken cancel) {
        int m = select.length;
        int size = bucket == null ? MagnitudeSelect.HIGH_BUCKETS : MagnitudeSelect.LOW_BUCKETS;
        long[][][] perWorker = new long[threads][m][];
        for (long[][] w : perWorker) {
            for (int i = 0; i < m; i++) {
                w[i] = select[i] ? new long[size] : null;
            }
        }
        for (PlannedTensor t : tensors) {
            cancel.check();
            long n = t.elements();
            if (n == 0) {
                continue;
            }
            try {
                Operand base = t.base().operand();
                Operand[] models = new Operand[m];
                for (int i = 0; i < m; i++) {
                    models[i] = t.models()[i].operand();
                }
                long pieces = (n + ITEM - 1) / ITEM;
                AtomicLong next = new AtomicLong();
                List<Future<?>> running = new ArrayList<>();
                for (int w = 0; w < Math.min(threads, pieces); w++) {
                    long[][] h = perWorker[w];
                    running.add(pool.submit(() -> {
                        for (long piece = next.getAndIncrement(); piece < pieces; piece = next.getAndIncrement()) {
                            cancel.check();
                            long start = piece * ITEM;
                            long len = Math.min(ITEM, n - start);
                            for (int i = 0; i < m; i++) {
                                if (select[i]) {
                                    kernels.tauHistogram(models[i], base, start, len, bucket == null ? -1 : bucket[i], h[i]);
                                }
                            }
                        }
                    }));
                }
                joinAll(running);
            } finally {
                MergeExecutor.release(MergeExecutor.distinct(t)); // the pass touched every page of the tensor
            }
        }
        long[][] sum = perWorker[0];
        for (int w = 1; w < threads; w++) {
            for (int i = 0; i < m; i++) {
                if (select[i]) {
                    MagnitudeSelect.merge(sum[i], perWorker[w][i]);
                }
            }
        }
        return sum;
    }

    /** The base's and the models' names, in order. */
    private static String[] sourceNames(PlannedTensor t) {
        String[] names = new String[t.models().length + 1];
        names[0] = t.base().model();
        for (int i = 0; i < t.models().length; i++) {
            names[i + 1] = t.models()[i].model();
        }
        return names;
    }

    /** Waits for every future, then rethrows the first failure. */
    private static void joinAll(List<Future<?>> futures) {
        Throwable first = null;
        boolean interrupted = false;
        for (Future<?> f : futures) {
            while (true) {
                try {
                    f.get();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // keep waiting: workers still hold the mapped inputs
                } catch (ExecutionException e) {
                    first = first == null ? e.getCause() : first;
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
            throw new java.util.concurrent.CancellationException("interrupted");
        }
        if (first instanceof RuntimeException re) {
            throw re;
        }
        if (first instanceof Error err) {
            throw err;
        }
        if (first != null) {
            throw new IllegalStateException(first);
        }
    }
}
