package org.exmerge.kernel;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Chooses the kernel backend from the {@link KernelProvider}s on the class path (Lucene's
 * VectorizationProvider shape). {@code auto} takes the available one of highest priority, saying
 * once in the log why a better one that is {@linkplain KernelProvider#present() present} could not
 * run; naming a backend forces it and fails loudly,
 * with the cause, when it cannot run. The system property {@code exmerge.backend} gives the name
 * when the caller passes none.
 */
public final class Backends {
    private static final Kernels JAVA = new JavaKernels();
    private static final List<KernelProvider> PROVIDERS = load();
    /** What {@code --backend} accepts: auto and every provider's name, best first. */
    public static final List<String> NAMES = names();
    private static final System.Logger LOG = System.getLogger(Backends.class.getName());
    private static final AtomicBoolean FALLBACK_LOGGED = new AtomicBoolean();

    private Backends() {}

    private static List<KernelProvider> load() {
        List<KernelProvider> out = new ArrayList<>();
        // This class's loader: the providers ship in the same jar (or beside it on the class path).
        ServiceLoader.load(KernelProvider.class, Backends.class.getClassLoader()).forEach(out::add);
        if (out.stream().noneMatch(p -> p.name().equals("java"))) {
            out.add(new JavaProvider()); // a repackaged jar that lost META-INF/services still runs
        }
        out.sort(Comparator.comparingInt(KernelProvider::priority).reversed());
        return List.copyOf(out);
    }

    private static List<String> names() {
        List<String> out = new ArrayList<>();
        out.add("auto");
        PROVIDERS.forEach(p -> out.add(p.name()));
        return List.copyOf(out);
    }

    /** Every backend this build has, available or not, best first. */
    public static List<KernelProvider> providers() {
        return PROVIDERS;
    }

    /** The backend for a name; an unavailable forced backend is an IllegalArgumentException saying why. */
    public static Kernels select(String name) {
        String n = name == null ? System.getProperty("exmerge.backend", "auto") : name;
        if (n.equals("auto")) {
            return auto();
        }
        for (KernelProvider p : PROVIDERS) {
            if (p.name().equals(n)) {
                if (!p.available()) {
                    throw new IllegalArgumentException("backend '" + n + "' is unavailable: " + oneLine(p.unavailableReason())
                            + " ('exmerge doctor' shows every attempt)", p.unavailableCause());
                }
                return p.kernels();
            }
        }
        throw new IllegalArgumentException("unknown backend '" + n + "' (one of " + NAMES + "; available: "
                + available() + ")");
    }

    public static Kernels java() {
        return JAVA;
    }

    /** The names of the backends that can run here, best first. */
    public static List<String> available() {
        return PROVIDERS.stream().filter(KernelProvider::available).map(KernelProvider::name).toList();
    }

    /** The provider {@code auto} takes: the first available one. */
    public static KernelProvider auto(List<KernelProvider> providers) {
        return providers.stream().filter(KernelProvider::available).findFirst()
                .orElseThrow(() -> new IllegalStateException("no kernel backend can run"));
    }

    private static Kernels auto() {
        KernelProvider chosen = auto(PROVIDERS);
        String note = passedOver(PROVIDERS, chosen);
        if (note != null && FALLBACK_LOGGED.compareAndSet(false, true)) {
            LOG.log(System.Logger.Level.INFO, note);
        }
        return chosen.kernels();
    }

    /**
     * The line {@code auto} logs when it takes {@code chosen} over better backends that are present
     * but cannot run, each with its reason; null when there are none (absent ones go unmentioned).
     */
    public static String passedOver(List<KernelProvider> providers, KernelProvider chosen) {
        List<KernelProvider> better = providers.subList(0, providers.indexOf(chosen)).stream()
                .filter(KernelProvider::present).toList();
        if (better.isEmpty()) {
            return null;
        }
        StringBuilder why = new StringBuilder("exmerge: ");
        for (KernelProvider p : better) {
            why.append(p.name()).append(" kernels unavailable: ").append(oneLine(p.unavailableReason())).append("; ");
        }
        return why + "using the " + chosen.name() + " kernels ('exmerge doctor' shows every attempt)";
    }

    private static String oneLine(String m) {
        return m == null ? "unknown" : m.replace('\n', ' ');
    }
}
