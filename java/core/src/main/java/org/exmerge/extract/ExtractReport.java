package org.exmerge.extract;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * What an extraction kept, filled in as modules are decomposed (on any thread) and read once the
 * adapter is written: the ranks and how much of each module's ‖Δ‖² its rank captures, the number a
 * user needs to choose a rank. Sums run over modules in name order, so they are the same bits for
 * every thread count.
 */
public final class ExtractReport {
    /** One decomposed module: its rank, Σ s² kept, ‖Δ‖², and the subspace rounds it took (0: exact dense SVD). */
    public record Module(int rank, double kept, double total, int rounds) {
        public double captured() {
            return total == 0 ? 1 : Math.min(1, kept / total);
        }
    }

    private final Map<String, Module> modules = new ConcurrentSkipListMap<>();
    /** Modules whose every singular value --sv-epsilon dropped, with their ‖Δ‖². */
    private final Map<String, Double> dropped = new ConcurrentSkipListMap<>();
    private volatile List<String> unchanged = List.of();
    private volatile List<String> modulesToSave = List.of();
    private volatile Map<String, String> notCarried = Map.of();
    private volatile int savedTensors;
    private volatile boolean vocabDiffers;

    void decomposed(String module, Module m) {
        if (m.rank() > 0) {
            modules.put(module, m);
        } else {
            dropped.put(module, m.total());
        }
    }

    void planned(ExtractPlan plan) {
        unchanged = List.copyOf(plan.unchanged);
        modulesToSave = List.copyOf(plan.modulesToSave);
        notCarried = Collections.unmodifiableMap(new TreeMap<>(plan.notCarried));
        savedTensors = plan.saved.size();
        vocabDiffers = plan.vocabDiffers;
    }

    /** Decomposed modules by name (a pair written for each). */
    public Map<String, Module> modules() {
        return Map.copyOf(modules);
    }

    /** The smallest rank written; 0 when no module was decomposed. */
    public int minRank() {
        return modules.values().stream().mapToInt(Module::rank).min().orElse(0);
    }

    /** The largest rank written; 0 when no module was decomposed. */
    public int maxRank() {
        return modules.values().stream().mapToInt(Module::rank).max().orElse(0);
    }

    /**
     * Σ kept / Σ ‖Δ‖² over every module that changed and was decomposed, those --sv-epsilon dropped
     * whole counting with nothing kept; NaN when there are none (nothing to hold).
     */
    public double captured() {
        double kept = 0;
        double total = 0;
        for (Module m : modules.values()) {
            kept += m.kept();
            total += m.total();
        }
        for (double t : dropped.values()) {
            total += t;
        }
        if (modules.isEmpty() && dropped.isEmpty()) {
            return Double.NaN;
        }
        return total == 0 ? 1 : Math.min(1, kept / total);
    }

    /** The decomposed module whose rank captures the least of its ‖Δ‖² (the first by name among equals), or null. */
    public String worst() {
        String worst = null;
        double least = 2;
        for (Map.Entry<String, Module> e : modules.entrySet()) {
            if (e.getValue().captured() < least) {
                least = e.getValue().captured();
                worst = e.getKey();
            }
        }
        return worst;
    }

    /** Linear modules whose weight is the base's: no pair written. */
    public List<String> unchanged() {
        return unchanged;
    }

    /** Modules whose every singular value --sv-epsilon dropped: no pair written. */
    public List<String> dropped() {
        return List.copyOf(dropped.keySet());
    }

    /** The config's modules_to_save. */
    public List<String> modulesToSave() {
        return modulesToSave;
    }

    /** Changed tensors the adapter does not hold, by name, with why (not floating point; a parameter of a module holding others). */
    public Map<String, String> notCarried() {
        return notCarried;
    }

    /** Tensors saved whole. */
    public int savedTensors() {
        return savedTensors;
    }

    /** Whether the vocabularies differ (the embeddings are then saved whole, as mergekit does). */
    public boolean vocabDiffers() {
        return vocabDiffers;
    }
}
