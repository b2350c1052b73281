package org.exmerge.cuda;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import org.exmerge.format.DType;
import org.exmerge.kernel.Backends;
import org.exmerge.kernel.Fallbacks;
import org.exmerge.kernel.FusionOp;
import org.exmerge.kernel.JavaKernels;
import org.exmerge.kernel.KernelProvider;
import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.LinearOp;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.SceOp;
import org.exmerge.kernel.SparseOp;
import org.exmerge.kernel.VectorLinearOp;
import org.exmerge.kernel.VectorSpan;
import org.exmerge.numeric.MagnitudeSelect;

/**
 * The CUDA backend: every {@link Kernels} op as kernels of cuda/src on a {@link Device}, bit for bit
 * the bytes {@link JavaKernels} writes (numerics §1). Each call borrows a {@link Lane} (its own
 * streams and buffers), cuts its elements into sub-chunks ({@link ChunkPlan}) and pipelines them
 * through pinned staging ({@link Pipeline}).
 *
 * <p>Declared fallback ({@link #DECLARED_FALLBACKS}): a call the kernels do not take goes to the Java
 * spec and is counted in {@link #fallbacks()}; the spec also reports the errors for arguments it
 * refuses, so both backends refuse alike.
 */
public final class CudaKernels implements Kernels {
    /** When each op is served by the Java spec, for {@code exmerge doctor}. */
    public static final String DECLARED_FALLBACKS = "any op with more than " + CudaKernels.MAX_MODELS
            + " inputs; linear, linearPerVector, convert and nearswap narrowing F64 to a 16- or 8-bit type (the spec refuses);"
            + " tauHistogram and tauBand without a base or with an F64 operand, sparseMerge, sparseNorms, keptCounts and the sce and"
            + " arcee_fusion ops with an F64 operand or arguments the spec refuses (it reports them); loraRows, svdTimes and svdTransposeTimes always"
            + " (on the host: the native kernels where they load)";
    static final int MAX_MODELS = 16;
    private static final Kernels JAVA = new JavaKernels();

    private final Device device;
    private final LanePool lanes;
    private final Fallbacks fallbacks = new Fallbacks();

    /** Kernels on {@code device}, with lanes of {@code halfBytes} per half, as many as {@code budgetBytes} holds. */
    CudaKernels(Device device, long budgetBytes, long halfBytes) {
        this.device = device;
        this.lanes = new LanePool(device, budgetBytes, halfBytes);
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public Map<String, Long> fallbacks() {
        return fallbacks.snapshot();
    }

    Device device() {
        return device;
    }

    int lanes() {
        return lanes.maxLanes();
    }

    /** The output check is the host's, on the bytes the device wrote back ({@link #firstNonFinite}). */
    @Override
    public long linear(LinearOp op, Operand[] xs, Operand base, Operand out, long n) {
        computeLinear(op, xs, base, out, n);
        return firstNonFinite(out, n);
    }

    private void computeLinear(LinearOp op, Operand[] xs, Operand base, Operand out, long n) {
        if (xs.length != op.inputs() || op.hasBase() != (base != null) || n < 0 || xs.length > MAX_MODELS) {
            spec("linear", () -> JAVA.linear(op, xs, base, out, n));
            return;
        }
        boolean wide = out.type() == DType.F64 || (base != null && base.type() == DType.F64);
        boolean floats = CudaTypes.code(out.type()) != 0 && (base == null || CudaTypes.code(base.type()) != 0);
        for (Operand x : xs) {
            wide |= x.type() == DType.F64;
            floats &= CudaTypes.code(x.type()) != 0;
        }
        if (!floats || (wide && out.type() != DType.F64 && out.type() != DType.F32)) {
            spec("linear", () -> JAVA.linear(op, xs, base, out, n)); // the spec's refusal
            return;
        }
        if (n == 0) {
            return;
        }
        boolean w = wide;
        onDevice("linear", n + " elements, " + xs.length + " inputs, out " + out.type(),
                lane -> LinearLaunch.run(device, lane, op, xs, base, out, n, w));
    }

    @Override
    public void convert(Operand in, Operand out, long n) {
        if (in.type() == out.type()) {
            MemorySegment.copy(in.segment(), 0, out.segment(), 0, n * in.type().size()); // a copy computes nothing
            return;
        }
        boolean wide = in.type() == DType.F64 || out.type() == DType.F64;
        boolean narrowsWide = wide && out.type() != DType.F64 && out.type() != DType.F32;
        if (CudaTypes.code(in.type()) == 0 || CudaTypes.code(out.type()) == 0 || narrowsWide || n < 0) {
            spec("convert", () -> JAVA.convert(in, out, n));
            return;
        }
        if (n == 0) {
            return;
        }
        onDevice("convert", in.type() + " to " + out.type() + ", " + n + " elements",
                lane -> ConvertLaunch.run(device, lane, in, out, n));
    }

    @Override
    public void linearPerVector(VectorLinearOp op, Operand[] xs, Operand base, Operand out, long start, long n) {
        boolean wide = widens(xs, base, out);
        if (xs.length > MAX_MODELS || !floats(xs, base, out) || (wide && narrow(out))) {
            spec("linearPerVector", () -> JAVA.linearPerVector(op, xs, base, out, start, n));
            return;
        }
        op.check(xs, base, start, n);
        if (n == 0) {
            return;
        }
        onDevice("linearPerVector", "elements " + start + " + " + n + " of " + op.ops().length + " vectors, out "
                + out.type(), lane -> VectorLinearLaunch.run(device, lane, op, xs, base, out, start, n, wide));
    }

    @Override
    public void pairSums(Operand[] xs, Operand base, int[][] pairs, VectorSpan span, double[] out) {
        if (xs.length > MAX_MODELS || !floats(xs, base, null)) {
            spec("pairSums", () -> JAVA.pairSums(xs, base, pairs, span, out));
            return;
        }
        span.check(xs, base, pairs, out);
        if (pairs.length == 0) {
            return;
        }
        boolean wide = widens(xs, base, null);
        onDevice("pairSums", span + ", " + pairs.length + " pairs",
                lane -> PairSumsLaunch.run(device, lane, xs, base, pairs, span, out, wide));
    }

    @Override
    public void tauHistogram(Operand x, Operand base, long start, long n, int high, long[] hist) {
        int buckets = high < 0 ? 1 << 15 : 1 << 16;
        if (base == null || x.type() == DType.F64 || base.type() == DType.F64 || CudaTypes.code(x.type()) == 0
                || CudaTypes.code(base.type()) == 0 || high >= 1 << 15 || hist.length != buckets || start < 0 || n < 0) {
            spec("tauHistogram", () -> JAVA.tauHistogram(x, base, start, n, high, hist));
            return;
        }
        if (n == 0) {
            return;
        }
        onDevice("tauHistogram", "elements " + start + " + " + n + ", high " + high,
                lane -> HistogramLaunch.run(device, lane, x, base, start, n, high, hist));
    }

    @Override
    public long tauBand(Operand x, Operand base, long start, long n, int lo, int hi, long[] counts, int[] band) {
        long[] between = new long[1];
        if (base == null || x.type() == DType.F64 || base.type() == DType.F64 || CudaTypes.code(x.type()) == 0
                || CudaTypes.code(base.type()) == 0 || lo < 0 || lo > hi || hi > MagnitudeSelect.NAN_KEY
                || counts.length != 3 || start < 0 || n < 0) {
            spec("tauBand", () -> between[0] = JAVA.tauBand(x, base, start, n, lo, hi, counts, band));
            return between[0];
        }
        if (n == 0) {
            return 0;
        }
        onDevice("tauBand", "elements " + start + " + " + n + ", keys " + lo + " to " + hi + ", band " + band.length,
                lane -> between[0] = BandLaunch.run(device, lane, x, base, start, n, lo, hi, counts, band));
        return between[0];
    }

    /** A few thousand scattered reads of the host's mapped inputs: on the host ({@link Host}). */
    @Override
    public void tauKeys(Operand x, Operand base, long n, int first, int runs, int of, int run, int[] keys) {
        Host.KERNELS.tauKeys(x, base, n, first, runs, of, run, keys);
    }

    /** A select among a few hundred thousand keys already in host memory: on the host ({@link Host}). */
    @Override
    public int kthLargestKey(int[] keys, int count, long k) {
        return Host.KERNELS.kthLargestKey(keys, count, k);
    }

    @Override
    public void sparseNorms(SparseOp op, int norm, Operand[] xs, Operand base, long blockStart, long total,
                            double[] out) {
        if (!takes(op, xs, base) || norm < SparseOp.NORM_L1 || norm > SparseOp.NORM_LINF || blockStart < 0
                || blockStart >= total || blockStart % 65_536 != 0 || out.length < 2 * xs.length) {
            spec("sparseNorms", () -> JAVA.sparseNorms(op, norm, xs, base, blockStart, total, out));
            return;
        }
        if (xs.length == 0) {
            return; // no model, no norms: the spec writes nothing either
        }
        onDevice("sparseNorms", "block " + blockStart + " of " + total + ", tensor id " + op.tensorId(),
                lane -> SparseLaunch.norms(device, lane, op, norm, xs, base, blockStart, total, out));
    }

    /** The output check is the host's, as {@link #linear}'s. */
    @Override
    public long sparseMerge(SparseOp op, Operand[] xs, Operand base, Operand out, long start, long n) {
        computeSparseMerge(op, xs, base, out, start, n);
        return firstNonFinite(out, n);
    }

    private void computeSparseMerge(SparseOp op, Operand[] xs, Operand base, Operand out, long start, long n) {
        if (!takes(op, xs, base) || CudaTypes.code(out.type()) == 0 || start < 0 || n < 0) {
            spec("sparseMerge", () -> JAVA.sparseMerge(op, xs, base, out, start, n));
            return;
        }
        if (n == 0) {
            return;
        }
        onDevice("sparseMerge", "elements " + start + " + " + n + ", " + xs.length + " models, tensor id " + op.tensorId(),
                lane -> SparseLaunch.merge(device, lane, op, xs, base, out, start, n));
    }

    @Override
    public void keptCounts(SparseOp op, Operand[] xs, Operand base, long start, long n, long[] counts) {
        if (!takes(op, xs, base) || start < 0 || n < 0 || counts.length != 2 * xs.length) {
            spec("keptCounts", () -> JAVA.keptCounts(op, xs, base, start, n, counts));
            return;
        }
        if (n == 0 || xs.length == 0) {
            return;
        }
        onDevice("keptCounts", "elements " + start + " + " + n + ", " + xs.length + " models, tensor id " + op.tensorId(),
                lane -> SparseLaunch.keptCounts(device, lane, op, xs, base, start, n, counts));
    }

    @Override
    public void nearswap(double t, Operand base, Operand x, Operand out, long n) {
        Operand[] xs = {x};
        boolean wide = widens(xs, base, out);
        if (!floats(xs, base, out) || (wide && narrow(out)) || n < 0) {
            spec("nearswap", () -> JAVA.nearswap(t, base, x, out, n)); // the spec's refusal
            return;
        }
        if (n == 0) {
            return;
        }
        onDevice("nearswap", n + " elements, t " + t + ", out " + out.type(),
                lane -> NearswapLaunch.run(device, lane, t, base, x, out, n, wide));
    }

    @Override
    public void sceHistogram(Operand[] xs, Operand base, long start, long n, int high, long[] hist) {
        if (!takesFloat32(xs, base, null) || !histogramArgs(start, n, high, hist)) {
            spec("sceHistogram", () -> JAVA.sceHistogram(xs, base, start, n, high, hist)); // the spec's refusal
            return;
        }
        if (n == 0) {
            return;
        }
        onDevice("sceHistogram", "elements " + start + " + " + n + ", high " + high,
                lane -> SceLaunch.histogram(device, lane, xs, base, start, n, high, hist));
    }

    @Override
    public void sceSquares(SceOp op, Operand[] xs, Operand base, long blockStart, long total, double[] out) {
        if (xs.length != op.models() || !takesFloat32(xs, base, null) || blockStart < 0 || blockStart >= total
                || blockStart % 65_536 != 0 || out.length < xs.length) {
            spec("sceSquares", () -> JAVA.sceSquares(op, xs, base, blockStart, total, out)); // the spec's refusal
            return;
        }
        onDevice("sceSquares", "block " + blockStart + " of " + total,
                lane -> SceLaunch.squares(lane, op, xs, base, blockStart, total, out));
    }

    @Override
    public void sceMerge(SceOp op, Operand[] xs, Operand base, Operand out, long start, long n) {
        if (xs.length != op.models() || !takesFloat32(xs, base, out) || start < 0 || n < 0) {
            spec("sceMerge", () -> JAVA.sceMerge(op, xs, base, out, start, n)); // the spec's refusal
            return;
        }
        if (n == 0) {
            return;
        }
        onDevice("sceMerge", "elements " + start + " + " + n + ", " + xs.length + " models, out " + out.type(),
                lane -> SceLaunch.merge(device, lane, op, xs, base, out, start, n));
    }

    @Override
    public void fusionHistogram(FusionOp op, Operand x, Operand base, long start, long n, int high, long[] hist) {
        if (!takesFloat32(new Operand[] {x}, base, null) || !histogramArgs(start, n, high, hist) || !inRows(op, start, n)) {
            spec("fusionHistogram", () -> JAVA.fusionHistogram(op, x, base, start, n, high, hist)); // the spec's refusal
            return;
        }
        if (n == 0) {
            return;
        }
        onDevice("fusionHistogram", "elements " + start + " + " + n + ", high " + high,
                lane -> FusionLaunch.histogram(device, lane, op, x, base, start, n, high, hist));
    }

    @Override
    public void fusionMerge(FusionOp op, Operand x, Operand base, Operand out, long start, long n) {
        if (!takesFloat32(new Operand[] {x}, base, out) || start < 0 || n < 0 || !inRows(op, start, n)) {
            spec("fusionMerge", () -> JAVA.fusionMerge(op, x, base, out, start, n)); // the spec's refusal
            return;
        }
        if (n == 0) {
            return;
        }
        onDevice("fusionMerge", "elements " + start + " + " + n + ", out " + out.type(),
                lane -> FusionLaunch.merge(device, lane, op, x, base, out, start, n));
    }

    /**
     * Whether the float32 kernels of sce and arcee_fusion take these operands: a base, one to
     * {@value #MAX_MODELS} models, no F64 input (the spec refuses those), readable types.
     */
    private static boolean takesFloat32(Operand[] xs, Operand base, Operand out) {
        return base != null && xs.length > 0 && xs.length <= MAX_MODELS && floats(xs, base, out)
                && !widens(xs, base, null);
    }

    /** The histogram arguments the spec accepts: 32,768 buckets for the first pass, 65,536 for a second. */
    private static boolean histogramArgs(long start, long n, int high, long[] hist) {
        return hist.length == (high < 0 ? 1 << 15 : 1 << 16) && high < 1 << 15 && start >= 0 && n >= 0;
    }

    /** Whether elements {@code [start, start + n)} lie in the rows {@code op} has KL divergences for. */
    private static boolean inRows(FusionOp op, long start, long n) {
        return n == 0 || (start + n + op.rowLength() - 1) / op.rowLength() <= op.rowKl().length;
    }

    /** Whether every operand (out and base may be null) is a type the kernels read. */
    private static boolean floats(Operand[] xs, Operand base, Operand out) {
        boolean ok = (base == null || CudaTypes.code(base.type()) != 0) && (out == null || CudaTypes.code(out.type()) != 0);
        for (Operand x : xs) {
            ok &= CudaTypes.code(x.type()) != 0;
        }
        return ok;
    }

    /** Whether an operand (out and base may be null) is F64: numerics §1's float64 path. */
    private static boolean widens(Operand[] xs, Operand base, Operand out) {
        boolean wide = (base != null && base.type() == DType.F64) || (out != null && out.type() == DType.F64);
        for (Operand x : xs) {
            wide |= x.type() == DType.F64;
        }
        return wide;
    }

    /** A type float64 results may not be narrowed to (the spec refuses: it would round twice). */
    private static boolean narrow(Operand out) {
        return out.type() != DType.F64 && out.type() != DType.F32;
    }

    /**
     * On the host, counted as a fallback: the native kernels where they load, else the spec. A LoRA
     * delta is worked out once per adapted tensor before the merge; a device copy would cost more
     * transfers than its work (rank multiply-adds per element).
     */
    @Override
    public void loraRows(Operand w, MemorySegment left, MemorySegment right, int rank, long columns, int count,
                         double scaling, Operand out) {
        spec("loraRows", () -> Host.KERNELS.loraRows(w, left, right, rank, columns, count, scaling, out));
    }

    @Override
    public void svdTimes(float[] d, int m, int n, double[] x, int k, int from, int to, double[] y) {
        spec("svdTimes", () -> Host.KERNELS.svdTimes(d, m, n, x, k, from, to, y));
    }

    @Override
    public void svdTransposeTimes(float[] d, int m, int n, double[] q, int k, int from, int to, double[] z) {
        spec("svdTransposeTimes", () -> Host.KERNELS.svdTransposeTimes(d, m, n, q, k, from, to, z));
    }

    /**
     * On the host, not a fallback: the engine checks an output chunk once it is back in host memory
     * for the writer, so a device scan would cost a second upload of what was just downloaded.
     */
    @Override
    public long firstNonFinite(Operand data, long n) {
        return Host.KERNELS.firstNonFinite(data, n);
    }

    /**
     * The CPU kernels of the ops that stay on the host: native where it loads, else the spec (same
     * bytes either way). On an H200 node the spec's scan of what the device wrote back took 70 % of
     * the engine threads' time in a cuda merge (docs/benchmarks.md).
     */
    private static final class Host {
        static final Kernels KERNELS = Backends.providers().stream().filter(p -> p.name().equals("native") && p.available())
                .map(KernelProvider::kernels).findFirst().orElse(JAVA);
    }

    /** Whether the sparse kernels take these operands (the spec refuses F64 and a missing base). */
    private static boolean takes(SparseOp op, Operand[] xs, Operand base) {
        if (xs.length != op.models() || xs.length > MAX_MODELS || base == null || CudaTypes.code(base.type()) == 0
                || base.type() == DType.F64) {
            return false;
        }
        for (Operand x : xs) {
            if (CudaTypes.code(x.type()) == 0 || x.type() == DType.F64) {
                return false;
            }
        }
        return true;
    }

    private void spec(String op, Runnable call) {
        fallbacks.count(op);
        call.run();
    }

    private interface OnLane {
        void run(Lane lane);
    }

    private void onDevice(String op, String what, OnLane body) {
        Lane lane = lanes.borrow();
        boolean healthy = false;
        try {
            body.run(lane);
            healthy = true;
        } catch (CudaException e) {
            throw e.during(op, what);
        } finally {
            if (healthy) {
                lanes.giveBack(lane);
            } else {
                lanes.discard(lane); // its streams may hold half-done work
            }
        }
    }
}
