package org.exmerge.extract;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.exmerge.engine.AdapterOutput;
import org.exmerge.engine.MemoryBudget;
import org.exmerge.engine.MergeStats;
import org.exmerge.engine.ModelLocator;
import org.exmerge.engine.OutputRun;
import org.exmerge.engine.PlanException;
import org.exmerge.engine.ProgressListener;
import org.exmerge.engine.RunOptions;
import org.exmerge.engine.VocabTensors;
import org.exmerge.error.BudgetException;
import org.exmerge.error.ExmergeException;
import org.exmerge.error.InputChangedException;
import org.exmerge.error.InputException;
import org.exmerge.error.UsageException;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.DType;
import org.exmerge.format.TensorInfo;
import org.exmerge.format.TensorSpec;
import org.exmerge.format.Version;
import org.exmerge.kernel.Backends;
import org.exmerge.kernel.Fallbacks;
import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.Operand;
import org.exmerge.method.Parallel;
import org.exmerge.method.TensorMerge;
import org.exmerge.numeric.Fnv1a;
import org.exmerge.numeric.Narrow;
import org.exmerge.numeric.Widen;
import org.exmerge.text.Plain;

/**
 * {@code exmerge extract-lora}: a PEFT LoRA adapter holding a fine-tune's changes to its base, as
 * mergekit-extract-lora makes one. Each decomposed module's Δ = FT − BASE (float32) is factored by
 * {@link TruncatedSvd} by the time its {@code lora_A} is bound (up to a window of modules ahead,
 * {@link DecomposeAhead}, sized by the threads and the memory budget) and the factors are kept until
 * its {@code lora_B} is (with {@code --sv-epsilon},
 * whose ranks are known only after the decompositions, every module is decomposed first, across
 * tensors on the run's threads, and the factors are kept until written). The adapter goes through
 * {@link AdapterOutput}: a temporary sibling renamed into place, the output refusals, --overwrite's rules.
 */
public final class LoraExtraction {
    /** The start blocks' seed: fixed, so the same models give the same adapter. */
    private static final long SEED = 0;
    private static final int BLOCK = 4096;

    /** One module's factors, each value in double until it is written. */
    private record Factors(int rank, double[] scaleA, double[] scaleB, double[] u, double[] v) {}

    private final ExtractPlan plan;
    private final ExtractOptions opts;
    private final ExtractReport report;
    private final Map<String, Factors> factors = new ConcurrentHashMap<>();
    private final Kernels kernels;
    private final TruncatedSvd.Products products;
    /** Decompositions running ahead of the writer; null when they run one at a time, at bind, across the run's threads. */
    private DecomposeAhead<Factors> ahead;

    private LoraExtraction(ExtractPlan plan, ExtractOptions opts, ExtractReport report, Kernels kernels) {
        this.plan = plan;
        this.opts = opts;
        this.report = report;
        this.kernels = kernels;
        this.products = SvdKernels.on(kernels);
    }

    /**
     * Extracts the adapter of {@code modelName} against {@code baseName} into {@code out}, each named as
     * a recipe names a model (a path, or a Hugging Face hub name {@code org/name[@revision]}) and found
     * by {@code locator}; the adapter's config names the base as it was given, so peft finds a hub base
     * by its name. {@code report} fills in as modules are decomposed (a listener may read it when the run finishes).
     */
    public static MergeStats run(String baseName, String modelName, ModelLocator locator, Path out, ExtractOptions opts,
                                 ProgressListener listener, ExtractReport report) throws IOException {
        return opened(baseName, modelName, locator, out, opts, report, (x, b, m) -> {
            Path name = out.toAbsolutePath().normalize().getFileName();
            AdapterCard card = opts.modelCard() ? new AdapterCard(name == null ? "extracted LoRA adapter" : name.toString(),
                    out.toString(), baseName, modelName, locator.hubNames(), VocabTensors.rows(b), VocabTensors.rows(m)) : null;
            return x.write(out, baseName, card, listener);
        });
    }

    /**
     * What {@link #run} would write, worked out without decomposing anything; every refusal {@link #run}
     * makes before its first decomposition is made here (not those only a decomposition finds: a
     * non-finite change, {@code --sv-epsilon} dropping every module). With {@code --sv-epsilon} each pair is
     * counted at its largest rank: what a module keeps is known only once it is decomposed.
     *
     * @param tensors      the adapter's tensors, in the order they are written
     * @param outputBytes  the weights file's size
     * @param inputBytes   the bytes read from both models
     * @param threads      the threads the memory budget allows (capped at the processors)
     * @param window       how many modules are decomposed at once ({@link DecomposeAhead})
     * @param budgetBytes  the memory budget
     * @param largest      the module whose decomposition needs the most memory (null when none is decomposed)
     * @param largestBytes what it needs
     */
    public record Outline(List<TensorSpec> tensors, long outputBytes, long inputBytes, int threads, int window, long budgetBytes,
                          String largest, long largestBytes) {}

    /** Plans {@link #run}'s extraction without writing; {@code report} holds the plan's modules as a run's would. */
    public static Outline outline(String baseName, String modelName, ModelLocator locator, Path out, ExtractOptions opts,
                                  ProgressListener listener, ExtractReport report) throws IOException {
        return opened(baseName, modelName, locator, out, opts, report, (x, b, m) -> x.outline(listener));
    }

    private interface Opened<T> {
        T use(LoraExtraction x, Checkpoint base, Checkpoint model) throws IOException;
    }

    private static <T> T opened(String baseName, String modelName, ModelLocator locator, Path out, ExtractOptions opts,
                                ExtractReport report, Opened<T> use) throws IOException {
        Path base = locator.locate("base model", baseName);
        Path model = locator.locate("model", modelName);
        OutputRun.checkTarget(out, opts.run().overwrite(), List.of(base, model));
        Kernels kernels = Backends.select(opts.backend());
        try (Checkpoint b = Checkpoint.open(base); Checkpoint m = Checkpoint.open(model)) {
            ExtractPlan plan = ExtractPlan.of(b, m, opts);
            report.planned(plan);
            return use.use(new LoraExtraction(plan, opts, report, kernels), b, m);
        }
    }

    private Outline outline(ProgressListener listener) throws IOException {
        RunOptions run = fit(plan.modules, listener);
        Items items = items(plan.modules);
        if (items.byName().isEmpty()) {
            throw nothingToWrite();
        }
        List<TensorSpec> specs = items.byName().values().stream().map(Item::spec).toList();
        ExtractPlan.Module largest = largest(plan.modules);
        int window = opts.svEpsilon() > 0 ? run.threads() : DecomposeAhead.window(plan.modules, run);
        return new Outline(specs, OutputRun.fileBytes(specs, run.withShardBytes(Long.MAX_VALUE), metadata()), items.inputBytes(),
                run.threads(), window, MemoryBudget.budgetOf(run), largest == null ? null : largest.module(),
                largest == null ? 0 : DecomposeAhead.need(largest));
    }

    /** The adapter's tensors by name (the order they are written), and the bytes their computation reads. */
    private record Items(Map<String, Item> byName, long inputBytes) {}

    private Items items(List<ExtractPlan.Module> modules) {
        Map<String, Item> items = new TreeMap<>();
        long inputBytes = 0;
        for (ExtractPlan.Module mod : modules) {
            TensorInfo w = mod.weight();
            DType type = ExtractPlan.outType(w, opts);
            items.put(mod.aName(), new Item(new TensorSpec(mod.aName(), type, new long[] {mod.rank(), mod.n()}), p -> a(mod, p)));
            items.put(mod.bName(), new Item(new TensorSpec(mod.bName(), type, new long[] {mod.m(), mod.rank()}), p -> b(mod, p)));
            inputBytes += 2 * w.byteSize();
            if (mod.bias() != null) {
                TensorInfo t = mod.bias();
                items.put(mod.biasName(), new Item(new TensorSpec(mod.biasName(), ExtractPlan.outType(t, opts), t.shape()),
                        p -> delta(t)));
                inputBytes += 2 * t.byteSize();
            }
        }
        for (TensorInfo t : plan.saved) {
            String name = ExtractPlan.PREFIX + t.name();
            items.put(name, new Item(new TensorSpec(name, ExtractPlan.outType(t, opts), t.shape()), p -> whole(t)));
            inputBytes += t.byteSize();
        }
        return new Items(items, inputBytes);
    }

    private static Map<String, String> metadata() {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("exmerge.version", Version.VERSION);
        return meta;
    }

    private MergeStats write(Path out, String baseName, AdapterCard card, ProgressListener listener) throws IOException {
        RunOptions run = fit(plan.modules, listener);
        List<ExtractPlan.Module> modules = plan.modules;
        if (opts.svEpsilon() > 0) {
            modules = decomposeAll(modules, run);
        }
        Items items = items(modules);
        if (items.byName().isEmpty()) {
            throw nothingToWrite();
        }
        List<Item> list = List.copyOf(items.byName().values());
        List<TensorSpec> specs = list.stream().map(Item::spec).toList();
        List<ExtractPlan.Module> written = modules;
        long inputBytes = items.inputBytes();
        Map<String, String> meta = metadata();
        Map<String, Long> fallbacksBefore = kernels.fallbacks();
        int window = opts.svEpsilon() > 0 ? 1 : DecomposeAhead.window(modules, run);
        ahead = window > 1 ? new DecomposeAhead<>(modules, window, mod -> decompose(mod, Parallel.SERIAL)) : null;
        try (DecomposeAhead<Factors> running = ahead) {
            return write(out, baseName, card, specs, list, written, meta, fallbacksBefore, inputBytes, run, listener);
        }
    }

    /**
     * The run's threads and chunks fitted to its memory budget as a merge's are ({@link MemoryBudget}):
     * threads capped at the processors, each with a notice. A module's decomposition is the run's
     * whole-tensor pass; a budget below the largest one's (one thread, the smallest chunk) is refused
     * before any module is decomposed, as a merge refuses one.
     */
    private RunOptions fit(List<ExtractPlan.Module> modules, ProgressListener listener) throws BudgetException {
        ExtractPlan.Module largest = largest(modules);
        double perOutputByte = 0; // a saved tensor's chunk reads the fine-tune's bytes, a bias's both models'
        for (TensorInfo t : plan.saved) {
            perOutputByte = Math.max(perOutputByte, (double) t.dtype().size() / ExtractPlan.outType(t, opts).size());
        }
        for (ExtractPlan.Module mod : modules) {
            if (mod.bias() != null) {
                perOutputByte = Math.max(perOutputByte, 2.0 * mod.bias().dtype().size() / ExtractPlan.outType(mod.bias(), opts).size());
            }
        }
        long pass = largest == null ? 0 : DecomposeAhead.need(largest);
        MemoryBudget.Demand demand = new MemoryBudget.Demand(perOutputByte, 2, pass, largest == null ? null : largest.weight().name(), 0);
        RunOptions run = opts.run();
        long budget = MemoryBudget.budgetOf(run);
        long chunk = Math.min(run.chunkBytes(), MemoryBudget.MIN_CHUNK_BYTES);
        long least = MemoryBudget.need(1, chunk, demand);
        if (least > budget) {
            throw new BudgetException(Plain.format("memory budget %s (--memory) is too small: this extraction needs at least %s (%s)",
                    size(budget), size(least), largest == null ? "1 thread, " + size(chunk) + " chunks"
                            : Plain.format("decomposing '%s', %d × %d: its Δ and the SVD's work arrays, %s", largest.module(), largest.m(),
                                    largest.n(), size(pass))), budget, least);
        }
        MemoryBudget.Fit fit = MemoryBudget.fit(budget, run.threads(), run.chunkBytes(), Runtime.getRuntime().availableProcessors(),
                demand);
        fit.notices().forEach(listener::notice);
        return fit.apply(run);
    }

    /** The module whose decomposition needs the most memory; null when there is none. */
    private static ExtractPlan.Module largest(List<ExtractPlan.Module> modules) {
        ExtractPlan.Module largest = null;
        for (ExtractPlan.Module mod : modules) {
            if (largest == null || DecomposeAhead.need(mod) > DecomposeAhead.need(largest)) {
                largest = mod;
            }
        }
        return largest;
    }

    private static String size(long bytes) {
        return bytes < 1_000_000 ? Plain.format("%.1f kB", bytes / 1e3) : Plain.format("%.1f MB", bytes / 1e6);
    }

    /**
     * Why the adapter would be empty: the options left out every change (a recipe error, exit 2), or
     * the only changes are tensors no adapter holds, or the models are the same (input errors, exit 3).
     */
    private ExmergeException nothingToWrite() {
        List<String> why = new ArrayList<>();
        List<String> dropped = report.dropped();
        if (!dropped.isEmpty()) {
            why.add(Plain.format("--sv-epsilon %s drops every singular value of the %d changed modules (%s)", opts.svEpsilon(),
                    dropped.size(), Plain.firstFew(dropped)));
        }
        List<String> notIncluded = new ArrayList<>();
        List<String> excluded = new ArrayList<>();
        for (String module : plan.filtered) {
            if (plan.changed(module)) {
                boolean in = opts.include().isEmpty() || opts.include().stream().anyMatch(p -> p.matcher(module).find());
                (in ? excluded : notIncluded).add(module);
            }
        }
        if (!notIncluded.isEmpty()) {
            why.add(Plain.format("--include-regex matches none of the %d changed modules (%s)", notIncluded.size(),
                    Plain.firstFew(notIncluded)));
        }
        if (!excluded.isEmpty()) {
            why.add(Plain.format("--exclude-regex leaves out %d changed modules (%s)", excluded.size(), Plain.firstFew(excluded)));
        }
        boolean byOptions = !why.isEmpty();
        if (!plan.notCarried.isEmpty()) {
            why.add(Plain.format("%d changed tensors cannot go into an adapter (%s)", plan.notCarried.size(),
                    Plain.firstFew(List.copyOf(plan.notCarried.keySet()))));
        }
        if (why.isEmpty()) {
            return new PlanException(plan.model.path() + ": no tensor differs from the base model (" + plan.base.path()
                    + "); an adapter would be empty");
        }
        String message = plan.model.path() + " differs from the base model (" + plan.base.path() + "), but the adapter would be empty: "
                + String.join("; ", why);
        return byOptions ? new UsageException(message) : new InputException(message);
    }


    private MergeStats write(Path out, String baseName, AdapterCard card, List<TensorSpec> specs, List<Item> list, List<ExtractPlan.Module> written,
                             Map<String, String> meta, Map<String, Long> fallbacksBefore, long inputBytes, RunOptions run,
                             ProgressListener listener) throws IOException {
        return AdapterOutput.write(out, specs, (i, parallel) -> list.get(i).bind().apply(parallel), i -> { }, meta,
                () -> config(baseName, written), card == null ? null : () -> card.text(opts), run, listener, opts.cancel(), kernels.name(),
                () -> Fallbacks.since(fallbacksBefore, kernels.fallbacks()), inputBytes);
    }

    private record Item(TensorSpec spec, java.util.function.Function<Parallel, TensorMerge> bind) {}

    /** Every module decomposed first (--sv-epsilon): across modules on the run's threads, each module's arithmetic serial. */
    private List<ExtractPlan.Module> decomposeAll(List<ExtractPlan.Module> modules, RunOptions run) throws IOException {
        ExecutorService pool = Executors.newFixedThreadPool(run.threads(), r -> {
            Thread t = new Thread(r, "exmerge-extract");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Factors>> done = new ArrayList<>();
            for (ExtractPlan.Module mod : modules) {
                done.add(pool.submit(() -> decompose(mod, Parallel.SERIAL)));
            }
            List<ExtractPlan.Module> kept = new ArrayList<>();
            for (int i = 0; i < modules.size(); i++) {
                ExtractPlan.Module mod = modules.get(i);
                Factors f = DecomposeAhead.await(done.get(i));
                if (f.rank() == 0) { // the report has it as dropped
                    if (mod.bias() != null) {
                        plan.saved.add(mod.bias()); // a changed bias with no pair to go beside: saved whole
                        plan.modulesToSave.add(mod.module());
                    }
                    continue;
                }
                factors.put(mod.module(), f);
                kept.add(new ExtractPlan.Module(mod.module(), mod.weight(), mod.embedding(), mod.m(), mod.n(), f.rank(), mod.bias()));
            }
            report.planned(plan);
            return kept;
        } finally {
            pool.shutdownNow();
        }
    }

    private TensorMerge a(ExtractPlan.Module mod, Parallel parallel) {
        Factors f = factors.computeIfAbsent(mod.module(), k -> decomposeUnchecked(mod, parallel));

        int r = f.rank();
        int n = mod.n();
        return (start, len, out) -> fill(start, len, out, e -> f.scaleA()[(int) (e / n)] * f.v()[(int) (e % n) * r + (int) (e / n)]);
    }

    private TensorMerge b(ExtractPlan.Module mod, Parallel parallel) {
        Factors f = factors.remove(mod.module()); // its lora_A, bound before it in name order, decomposed it
        int r = f.rank();
        return (start, len, out) -> fill(start, len, out, e -> f.u()[(int) e] * f.scaleB()[(int) (e % r)]);
    }

    private Factors decomposeUnchecked(ExtractPlan.Module mod, Parallel parallel) {
        try {
            return ahead != null ? ahead.take(mod) : decompose(mod, parallel);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Factors decompose(ExtractPlan.Module mod, Parallel parallel) throws IOException {
        int m = mod.m();
        int n = mod.n();
        if ((long) m * n > Integer.MAX_VALUE - 8) {
            throw new InputException(plan.model.fileOf(mod.weight().name()) + ": tensor '" + mod.weight().name()
                    + "' has more than 2^31 elements; exmerge cannot decompose a matrix that large");
        }
        float[] d = delta(mod);
        TruncatedSvd.Result res = TruncatedSvd.of(d, m, n, mod.rank(), opts.svEpsilon(), SEED, Fnv1a.hash32(mod.module()), parallel,
                products, () -> {
                    if (opts.cancel().isCancelled() || Thread.currentThread().isInterrupted()) {
                        throw new java.util.concurrent.CancellationException("cancelled");
                    }
                });
        int r = res.rank();
        double[] scaleA = new double[r];
        double[] scaleB = new double[r];
        for (int c = 0; c < r; c++) {
            double s = res.s()[c];
            scaleA[c] = opts.distributeScale() ? Math.sqrt(s) : s;
            scaleB[c] = opts.distributeScale() ? Math.sqrt(s) : 1;
        }
        report.decomposed(mod.module(), new ExtractReport.Module(r, res.kept(), res.total(), res.rounds()));
        return new Factors(r, scaleA, scaleB, res.u(), res.v());
    }

    /** Δ = FT − BASE as float32, m × n row-major (the weight's transpose for an embedding); a non-finite Δ is the input's fault. */
    private float[] delta(ExtractPlan.Module mod) throws InputException {
        TensorInfo w = mod.weight();
        MemorySegment ft = plan.model.data(w.name());
        MemorySegment bs = plan.base.data(w.name());
        int rows = Math.toIntExact(w.dim(0));
        int cols = Math.toIntExact(w.dim(1));
        float[] d = new float[rows * cols];
        double[] x = new double[cols];
        double[] y = new double[cols];
        for (int i = 0; i < rows; i++) {
            Widen.toDoubles(ft, w.dtype(), (long) i * cols, cols, x);
            Widen.toDoubles(bs, w.dtype(), (long) i * cols, cols, y);
            for (int j = 0; j < cols; j++) {
                float v = (float) (x[j] - y[j]);
                if (!Float.isFinite(v)) {
                    throw new InputException(plan.model.fileOf(w.name()) + ": tensor '" + w.name() + "': element " + ((long) i * cols + j)
                            + " of the difference from the base is " + v + " (fine-tune " + x[j] + ", base " + y[j]
                            + "); only finite weights can be decomposed");
                }
                if (mod.embedding()) {
                    d[j * rows + i] = v; // Δᵀ: peft's lora_embedding_B·lora_embedding_A is the embedding's transpose
                } else {
                    d[i * cols + j] = v;
                }
            }
        }
        unload(ft);
        unload(bs);
        return d;
    }

    /** A changed bias's Δ, which peft adds as lora_B.bias. */
    private TensorMerge delta(TensorInfo t) {
        MemorySegment ft = plan.model.data(t.name());
        MemorySegment bs = plan.base.data(t.name());
        return (start, len, out) -> {
            double[] x = new double[BLOCK];
            double[] y = new double[BLOCK];
            for (long e0 = 0; e0 < len; e0 += BLOCK) {
                int cnt = (int) Math.min(BLOCK, len - e0);
                Widen.toDoubles(ft, t.dtype(), start + e0, cnt, x);
                Widen.toDoubles(bs, t.dtype(), start + e0, cnt, y);
                for (int i = 0; i < cnt; i++) {
                    x[i] = (float) (x[i] - y[i]);
                }
                Narrow.store(x, cnt, out.type(), out.segment(), e0 * out.type().size());
            }
            Operand.release(ft, t.dtype().size(), start, len);
            Operand.release(bs, t.dtype().size(), start, len);
        };
    }

    /** A fine-tune tensor saved whole (modules_to_save). */
    private TensorMerge whole(TensorInfo t) {
        MemorySegment ft = plan.model.data(t.name());
        return (start, len, out) -> {
            double[] x = new double[BLOCK];
            for (long e0 = 0; e0 < len; e0 += BLOCK) {
                int cnt = (int) Math.min(BLOCK, len - e0);
                Widen.toDoubles(ft, t.dtype(), start + e0, cnt, x);
                Narrow.store(x, cnt, out.type(), out.segment(), e0 * out.type().size());
            }
            Operand.release(ft, t.dtype().size(), start, len);
        };
    }

    /**
     * Drops a read input range's pages from this process's memory (the page cache keeps them): the
     * models are mapped, and without this every page read would count in the run's resident memory
     * until the end, the whole of both models at 7B.
     */
    static void unload(MemorySegment s) {
        if (s.isMapped() && s.byteSize() > 0) {
            s.unload();
        }
    }

    private interface Value {
        double at(long element);
    }

    private static void fill(long start, long len, org.exmerge.kernel.Operand out, Value v) {
        double[] buf = new double[(int) Math.min(BLOCK, len)];
        for (long e0 = 0; e0 < len; e0 += BLOCK) {
            int cnt = (int) Math.min(BLOCK, len - e0);
            for (int i = 0; i < cnt; i++) {
                buf[i] = v.at(start + e0 + i);
            }
            Narrow.store(buf, cnt, out.type(), out.segment(), e0 * out.type().size());
        }
    }

    /**
     * adapter_config.json as mergekit writes it (its keys, in its order, indent 4): r the largest rank
     * and lora_alpha = r, each smaller-ranked module in rank_pattern and alpha_pattern with alpha = its
     * rank, so every module's scaling is 1. {@code lora_bias} is added when a lora_B.bias is saved, since
     * peft loads those only then.
     */
    private String config(String baseName, List<ExtractPlan.Module> modules) throws IOException {
        requireInputsUnchanged();
        int r = modules.stream().mapToInt(ExtractPlan.Module::rank).max().orElse(opts.maxRank());
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode();
        root.put("base_model_name_or_path", baseName);
        root.put("peft_type", "LORA");
        root.put("use_rslora", false);
        ArrayNode targets = root.putArray("target_modules");
        modules.stream().map(mod -> ExtractPlan.leaf(mod.module())).distinct().sorted().forEach(targets::add);
        ArrayNode save = root.putArray("modules_to_save");
        plan.modulesToSave.forEach(save::add);
        root.put("task_type", "CAUSAL_LM");
        root.put("r", r);
        root.put("lora_alpha", r);
        ObjectNode ranks = root.putObject("rank_pattern");
        ObjectNode alphas = root.putObject("alpha_pattern");
        for (ExtractPlan.Module mod : modules) {
            if (mod.rank() != r) {
                ranks.put(mod.module(), mod.rank());
                alphas.put(mod.module(), mod.rank());
            }
        }
        root.put("lora_dropout", 0.0);
        root.put("fan_in_fan_out", false);
        root.put("inference_mode", true);
        if (modules.stream().anyMatch(mod -> mod.bias() != null)) {
            root.put("lora_bias", true);
        }
        try {
            return json.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An input rewritten while it was read would leave a wrong adapter: checked before it is put in place. */
    private void requireInputsUnchanged() throws InputChangedException {
        for (Checkpoint c : List.of(plan.base, plan.model)) {
            InputChangedException changed = c.firstChangedFile(null);
            if (changed != null) {
                throw changed;
            }
        }
    }
}
