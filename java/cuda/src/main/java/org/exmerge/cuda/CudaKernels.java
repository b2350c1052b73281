package org.exmerge.cuda;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import org.exmerge.format.DType;
import org.exmerge.kernel.Fallbacks;
import org.exmerge.kernel.FusionOp;
import org.exmerge.kernel.JavaKernels;
import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.LinearOp;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.SceOp;
import org.exmerge.kernel.SparseOp;
import org.exmerge.kernel.VectorLinearOp;
import org.exmerge.kernel.VectorSpan;

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
            + " inputs; linear/convert narrowing F64 to a 16- or 8-bit type (the spec refuses); tauHistogram without"
            + " a base or with an F64 operand, sparseMerge and sparseNorms with an F64 operand (the spec refuses these);"
            + " pairSums, linearPerVector, nearswap, sceHistogram, sceSquares, sceMerge, fusionHistogram and fusionMerge"
            + " always (no device kernels yet)";
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

    @Override
    public void linear(LinearOp op, Operand[] xs, Operand base, Operand out, long n) {
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

    @Override
    public void sparseMerge(SparseOp op, Operand[] xs, Operand base, Operand out, long start, long n) {
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

    // Ops with no device kernel yet: declared, counted fallbacks to the Java spec.

    @Override
    public void pairSums(Operand[] xs, Operand base, int[][] pairs, VectorSpan span, double[] out) {
        spec("pairSums", () -> JAVA.pairSums(xs, base, pairs, span, out));
    }

    @Override
    public void linearPerVector(VectorLinearOp op, Operand[] xs, Operand base, Operand out, long start, long n) {
        spec("linearPerVector", () -> JAVA.linearPerVector(op, xs, base, out, start, n));
    }

    @Override
    public void nearswap(double t, Operand base, Operand x, Operand out, long n) {
        spec("nearswap", () -> JAVA.nearswap(t, base, x, out, n));
    }

    @Override
    public void sceHistogram(Operand[] xs, Operand base, long start, long n, int high, long[] hist) {
        spec("sceHistogram", () -> JAVA.sceHistogram(xs, base, start, n, high, hist));
    }

    @Override
    public void sceSquares(SceOp op, Operand[] xs, Operand base, long blockStart, long total, double[] out) {
        spec("sceSquares", () -> JAVA.sceSquares(op, xs, base, blockStart, total, out));
    }

    @Override
    public void sceMerge(SceOp op, Operand[] xs, Operand base, Operand out, long start, long n) {
        spec("sceMerge", () -> JAVA.sceMerge(op, xs, base, out, start, n));
    }

    @Override
    public void fusionHistogram(FusionOp op, Operand x, Operand base, long start, long n, int high, long[] hist) {
        spec("fusionHistogram", () -> JAVA.fusionHistogram(op, x, base, start, n, high, hist));
    }

    @Override
    public void fusionMerge(FusionOp op, Operand x, Operand base, Operand out, long start, long n) {
        spec("fusionMerge", () -> JAVA.fusionMerge(op, x, base, out, start, n));
    }

    @Override
    public long firstNonFinite(Operand data, long n) {
        long[] at = {-1};
        spec("firstNonFinite", () -> at[0] = JAVA.firstNonFinite(data, n));
        return at[0];
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
