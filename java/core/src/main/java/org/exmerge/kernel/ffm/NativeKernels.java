package org.exmerge.kernel.ffm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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

/**
 * The native backend: the kernels of numerics §2–§4 in C (AVX-512, AVX2 or scalar, chosen at load),
 * bit for bit the bytes {@link JavaKernels} writes.
 *
 * <p>Declared fallback ({@code DECLARED_FALLBACKS}): whatever the C library does not do goes to the
 * Java spec, and each such call is counted in {@link #fallbacks()} under the op's name, so doctor
 * and a run's {@code done} event show it. Today that is any F64 or F8 operand (F64 computes in
 * float64, numerics §1; F8 is rare enough not to be worth C twins), a tau histogram without a base,
 * and arguments the spec rejects (it reports the error). A new op added to {@link Kernels} gets a
 * counted delegation here first ({@code FALLBACKS.count("op"); JAVA.op(…)}) and a native twin later
 * (native/README.md, "Adding an op").
 *
 * <p>The reductions, magnitude histograms and Philox draws below are not yet {@link Kernels} ops
 * (the methods that need them call {@code numeric} directly today); they are public here, with the
 * shapes of their {@code numeric} twins, so wiring them in is mechanical once the interface has them.
 */
public final class NativeKernels implements Kernels {
    private static final Kernels JAVA = new JavaKernels();
    /** The calls handed to the Java spec, by op (numerics §1: same bytes, only slower). */
    static final Fallbacks FALLBACKS = new Fallbacks();
    /** When each op is served by the Java spec, for {@code exmerge doctor}. */
    static final String DECLARED_FALLBACKS = "linear, convert, nearswap, sparseMerge and sparseNorms with an F64 or F8"
            + " operand; tauHistogram without a base or with an F64 or F8 operand"
            + "; sceHistogram and sceMerge with an F64 or F8 operand; sceSquares, fusionHistogram and fusionMerge always";
    private static final NativeKernels INSTANCE = new NativeKernels();
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE;

    private NativeKernels() {}

    /** The backend; throws {@link UnsatisfiedLinkError} (with the cause) when the library cannot be used. */
    public static NativeKernels instance() {
        NativeSupport.ensureAvailable();
        return INSTANCE;
    }

    @Override
    public String name() {
        return "native";
    }

    @Override
    public Map<String, Long> fallbacks() {
        return FALLBACKS.snapshot();
    }

    /** The MK_DTYPE_* code of a type the C kernels handle, 0 for the others (which stay in Java). */
    static int code(DType t) {
        return switch (t) {
            case F32 -> ExmergeNative.MK_DTYPE_F32;
            case F16 -> ExmergeNative.MK_DTYPE_F16;
            case BF16 -> ExmergeNative.MK_DTYPE_BF16;
            default -> 0;
        };
    }

    @Override
    public void linear(LinearOp op, Operand[] xs, Operand base, Operand out, long n) {
        if (xs.length != op.inputs()) {
            throw new IllegalArgumentException(xs.length + " inputs for " + op.inputs() + " weights");
        }
        if (op.hasBase() != (base != null)) {
            throw new IllegalArgumentException("base operand must be given exactly when the op has a base");
        }
        boolean handled = code(out.type()) != 0 && (base == null || code(base.type()) != 0);
        for (Operand x : xs) {
            handled &= code(x.type()) != 0;
        }
        if (!handled) {
            FALLBACKS.count("linear");
            JAVA.linear(op, xs, base, out, n);
            return;
        }
        float[] w = op.weightsF32();
        long outBytes = Staging.span(out, n, "output");
        try (Arena arena = Arena.ofConfined()) {
            int k = xs.length;
            MemorySegment ptrs = arena.allocate(ValueLayout.ADDRESS, Math.max(1, k));
            MemorySegment types = arena.allocate(ValueLayout.JAVA_INT, Math.max(1, k));
            MemorySegment weights = arena.allocate(ValueLayout.JAVA_FLOAT, Math.max(1, k));
            for (int i = 0; i < k; i++) {
                long bytes = Staging.span(xs[i], n, "input " + i);
                ptrs.setAtIndex(ValueLayout.ADDRESS, i, Staging.in(xs[i].segment(), bytes, arena));
                types.setAtIndex(ValueLayout.JAVA_INT, i, code(xs[i].type()));
                weights.setAtIndex(ValueLayout.JAVA_FLOAT, i, w[i]);
            }
            MemorySegment b = MemorySegment.NULL;
            int bt = 0;
            if (base != null) {
                b = Staging.in(base.segment(), Staging.span(base, n, "base"), arena);
                bt = code(base.type());
            }
            MemorySegment o = Staging.out(out.segment(), outBytes, arena);
            int status;
            try {
                status = (int) ExmergeNative.mk_linear.invokeExact(k, ptrs, types, weights, b, bt, o, code(out.type()),
                        (op.divide() ? ExmergeNative.MK_LINEAR_DIVIDE : 0) | (op.negativeZeroStart() ? ExmergeNative.MK_LINEAR_NEG_ZERO : 0), op.divisorF32(), op.lambdaF32(), n);
            } catch (Throwable t) {
                throw ExmergeNative.rethrow(t);
            }
            NativeException.check(status, "mk_linear", n + " elements, " + k + " inputs");
            Staging.back(o, out.segment(), outBytes);
        }
    }

    @Override
    public void convert(Operand in, Operand out, long n) {
        if (in.type() == out.type()) {
            MemorySegment.copy(in.segment(), 0, out.segment(), 0, n * in.type().size()); // a copy computes nothing
            return;
        }
        if (code(in.type()) == 0 || code(out.type()) == 0) {
            FALLBACKS.count("convert");
            JAVA.convert(in, out, n); // types the C kernels leave to Java, or the spec's error
            return;
        }
        long inBytes = Staging.span(in, n, "input");
        long outBytes = Staging.span(out, n, "output");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment i = Staging.in(in.segment(), inBytes, arena);
            MemorySegment o = Staging.out(out.segment(), outBytes, arena);
            int status;
            try {
                status = (int) ExmergeNative.mk_convert.invokeExact(i, code(in.type()), o, code(out.type()), n);
            } catch (Throwable t) {
                throw ExmergeNative.rethrow(t);
            }
            NativeException.check(status, "mk_convert", in.type() + " to " + out.type());
            Staging.back(o, out.segment(), outBytes);
        }
    }

    // ---- numerics §4 reductions (twins of numeric.BlockReduction; F64/F8 inputs are not native) ----

    /** {@code Σ x²} in numerics §4's order; {@code blocks}, if not null, receives each block's value. */
    public double sumSquares(Operand x, long n, double[] blocks) {
        return reduce(0, x, null, n, blocks);
    }

    /** {@code Σ |x|} in numerics §4's order. */
    public double sumAbs(Operand x, long n, double[] blocks) {
        return reduce(1, x, null, n, blocks);
    }

    /** {@code Σ x·y} in numerics §4's order. */
    public double dot(Operand x, Operand y, long n, double[] blocks) {
        return reduce(2, x, y, n, blocks);
    }

    private static double reduce(int kind, Operand x, Operand y, long n, double[] blocks) {
        requireNative(x);
        if (y != null) {
            requireNative(y);
        }
        long nBlocks = (n + 65_535) / 65_536;
        if (blocks != null && blocks.length < nBlocks) {
            throw new IllegalArgumentException("blocks holds " + blocks.length + " values, " + nBlocks + " needed");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment xs = Staging.in(x.segment(), Staging.span(x, n, "x"), arena);
            MemorySegment bs = blocks == null ? MemorySegment.NULL : arena.allocate(F64, Math.max(1, nBlocks));
            MemorySegment total = arena.allocate(F64);
            int status;
            try {
                status = switch (kind) {
                    case 0 -> (int) ExmergeNative.mk_sum_squares.invokeExact(xs, code(x.type()), n, bs, total);
                    case 1 -> (int) ExmergeNative.mk_sum_abs.invokeExact(xs, code(x.type()), n, bs, total);
                    default -> {
                        MemorySegment ys = Staging.in(y.segment(), Staging.span(y, n, "y"), arena);
                        yield (int) ExmergeNative.mk_dot.invokeExact(xs, code(x.type()), ys, code(y.type()), n, bs, total);
                    }
                };
            } catch (Throwable t) {
                throw ExmergeNative.rethrow(t);
            }
            NativeException.check(status, "reduction", n + " elements");
            if (blocks != null) {
                MemorySegment.copy(bs, F64, 0, blocks, 0, (int) nBlocks);
            }
            return total.get(F64, 0);
        }
    }

    // ---- numerics §3 magnitude select passes (twins of numeric.MagnitudeSelect.histogramHigh/Low) ----

    /**
     * Adds to {@code hist} (32,768 buckets) the high-part counts of the magnitude keys of
     * {@code x − base} (float32), or of {@code x} when base is null.
     */
    public void histogramHigh(Operand x, Operand base, long n, long[] hist) {
        histogram(x, base, n, -1, hist, 1 << 15);
    }

    /** Adds to {@code hist} (65,536 buckets) the low-part counts of the keys whose high part is {@code high}. */
    public void histogramLow(Operand x, Operand base, long n, int high, long[] hist) {
        histogram(x, base, n, high, hist, 1 << 16);
    }

    private static void histogram(Operand x, Operand base, long n, int high, long[] hist, int buckets) {
        requireNative(x);
        if (base != null) {
            requireNative(base);
        }
        if (hist.length != buckets) {
            throw new IllegalArgumentException("histogram needs " + buckets + " buckets, got " + hist.length);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment xs = Staging.in(x.segment(), Staging.span(x, n, "x"), arena);
            MemorySegment bs = base == null ? MemorySegment.NULL
                    : Staging.in(base.segment(), Staging.span(base, n, "base"), arena);
            int bt = base == null ? 0 : code(base.type());
            MemorySegment h = arena.allocate(ValueLayout.JAVA_LONG, buckets);
            MemorySegment.copy(hist, 0, h, ValueLayout.JAVA_LONG, 0, buckets);
            int status;
            try {
                status = high < 0
                        ? (int) ExmergeNative.mk_magnitude_histogram_high.invokeExact(xs, code(x.type()), bs, bt, n, h)
                        : (int) ExmergeNative.mk_magnitude_histogram_low.invokeExact(xs, code(x.type()), bs, bt, n, high, h);
            } catch (Throwable t) {
                throw ExmergeNative.rethrow(t);
            }
            NativeException.check(status, "magnitude histogram", n + " elements");
            MemorySegment.copy(h, ValueLayout.JAVA_LONG, 0, hist, 0, buckets);
        }
    }

    // ---- numerics §5 (twins of numeric.Philox4x32) ----

    /** {@code u[j]} = the numerics §5 uniform of element {@code first + j}, for {@code j < n}; {@code u} native. */
    public void uniforms(long seed, int tensorId, int model, long first, long n, MemorySegment u) {
        checkNativeFloats(u, n);
        int status;
        try {
            status = (int) ExmergeNative.mk_philox_uniform.invokeExact(seed, tensorId, model, first, n, u);
        } catch (Throwable t) {
            throw ExmergeNative.rethrow(t);
        }
        NativeException.check(status, "mk_philox_uniform", "first " + first + ", " + n + " elements");
    }

    /** DARE's drop: {@code keep[j]} = 1 iff the uniform of element {@code first + j} is below {@code density}. */
    public void dareKeepMask(long seed, int tensorId, int model, long first, long n, float density, MemorySegment keep) {
        if (!keep.isNative() || keep.isReadOnly() || keep.byteSize() < n || n < 0) {
            throw new IllegalArgumentException("keep must be a writable native segment of at least " + n + " bytes");
        }
        int status;
        try {
            status = (int) ExmergeNative.mk_dare_keep_mask.invokeExact(seed, tensorId, model, first, n, density, keep);
        } catch (Throwable t) {
            throw ExmergeNative.rethrow(t);
        }
        NativeException.check(status, "mk_dare_keep_mask", "first " + first + ", " + n + " elements");
    }

    private static void checkNativeFloats(MemorySegment u, long n) {
        if (n < 0 || !u.isNative() || u.isReadOnly() || u.byteSize() < Math.multiplyExact(n, 4L)) {
            throw new IllegalArgumentException("u must be a writable native segment of at least " + n + " floats");
        }
    }

    private static void requireNative(Operand o) {
        if (code(o.type()) == 0) {
            throw new IllegalArgumentException("the native kernels take F32, F16 or BF16 here, not " + o.type()
                    + " (use numeric's Java twin)");
        }
    }

    // ---- numerics §3 Kernels ops (TIES, DARE, breadcrumbs, DELLA); the Java spec is kernel.SparseKernels ----

    @Override
    public void tauHistogram(Operand x, Operand base, long start, long n, int high, long[] hist) {
        // The C passes take τ from element 0 of what they are given, so the operands move to start.
        // Anything the C does not do exactly as the spec (F64/F8 operands, no base, a bucket index
        // outside the table, a histogram of another size) goes to the spec itself, errors included.
        int buckets = high < 0 ? 1 << 15 : 1 << 16;
        if (base == null || code(x.type()) == 0 || code(base.type()) == 0 || high >= 1 << 15 || hist.length != buckets
                || start < 0 || n < 0) {
            FALLBACKS.count("tauHistogram");
            JAVA.tauHistogram(x, base, start, n, high, hist);
            return;
        }
        if (n == 0) {
            return;
        }
        histogram(x.skip(start), base.skip(start), n, high, hist, buckets);
    }

    @Override
    public void sparseNorms(SparseOp op, int norm, Operand[] xs, Operand base, long blockStart, long total,
                            double[] out) {
        if (!SparseArgs.handlesInputs(op, xs, base) || norm < SparseOp.NORM_L1 || norm > SparseOp.NORM_LINF
                || blockStart < 0 || blockStart >= total || blockStart % 65_536 != 0 || out.length < 2 * xs.length) {
            FALLBACKS.count("sparseNorms");
            JAVA.sparseNorms(op, norm, xs, base, blockStart, total, out); // F64/F8, or the spec's error
            return;
        }
        long len = Math.min(65_536, total - blockStart);
        try (Arena arena = Arena.ofConfined()) {
            SparseArgs a = new SparseArgs(op, xs, base, SparseArgs.end(op, blockStart + len), arena);
            MemorySegment o = arena.allocate(F64, Math.max(1, 2L * xs.length));
            int status;
            try {
                status = (int) ExmergeNative.mk_sparse_norms.invokeExact(a.models, a.inputs, a.types, a.base,
                        code(base.type()), a.from, a.below, a.random, a.keepProb, op.seed(), op.tensorId(), norm,
                        blockStart, len, o, a.rowLength, a.rankLow, a.rankSpan, a.rankSingle);
            } catch (Throwable t) {
                throw ExmergeNative.rethrow(t);
            }
            NativeException.check(status, "mk_sparse_norms", "block " + blockStart + " of " + total);
            MemorySegment.copy(o, F64, 0, out, 0, 2 * xs.length);
        }
    }

    @Override
    public void sparseMerge(SparseOp op, Operand[] xs, Operand base, Operand out, long start, long n) {
        if (!SparseArgs.handles(op, xs, base, out, start, n)) {
            FALLBACKS.count("sparseMerge");
            JAVA.sparseMerge(op, xs, base, out, start, n); // F64/F8, or an error the spec reports
            return;
        }
        long outBytes = Staging.span(out, n, "output");
        try (Arena arena = Arena.ofConfined()) {
            SparseArgs a = new SparseArgs(op, xs, base, SparseArgs.end(op, start + n), arena);
            MemorySegment o = Staging.out(out.segment(), outBytes, arena);
            int status;
            try {
                status = (int) ExmergeNative.mk_sparse_merge.invokeExact(a.models, a.inputs, a.types, a.base,
                        code(base.type()), o, code(out.type()), a.weights, a.from, a.below, a.random, a.keepProb,
                        a.divisor, op.election(), a.flags, op.sumDivisor(), op.lambda(), op.seed(), op.tensorId(),
                        start, n, a.rowLength, a.rankLow, a.rankSpan, a.rankSingle);
            } catch (Throwable t) {
                throw ExmergeNative.rethrow(t);
            }
            NativeException.check(status, "mk_sparse_merge", "elements " + start + " + " + n + ", " + a.models + " models");
            Staging.back(o, out.segment(), outBytes);
        }
    }

    @Override
    public void nearswap(double t, Operand base, Operand x, Operand out, long n) {
        if (!NativeNearSwap.handles(base, x, out)) {
            FALLBACKS.count("nearswap");
            JAVA.nearswap(t, base, x, out, n); // F64 computes in float64 (numerics §1); F8 stays in Java
            return;
        }
        NativeNearSwap.apply((float) t, base, x, out, n);
    }

    // ---- mergekit's sce and arcee_fusion (the Java spec is kernel.SceKernels / kernel.FusionKernels) ----

    @Override
    public void sceHistogram(Operand[] xs, Operand base, long start, long n, int high, long[] hist) {
        if (!NativeSce.histogram(xs, base, start, n, high, hist)) {
            FALLBACKS.count("sceHistogram");
            JAVA.sceHistogram(xs, base, start, n, high, hist); // F64/F8, or the spec's error
        }
    }

    @Override
    public void sceSquares(SceOp op, Operand[] xs, Operand base, long blockStart, long total, double[] out) {
        FALLBACKS.count("sceSquares");
        JAVA.sceSquares(op, xs, base, blockStart, total, out);
    }

    @Override
    public void sceMerge(SceOp op, Operand[] xs, Operand base, Operand out, long start, long n) {
        if (!NativeSce.merge(op, xs, base, out, start, n)) {
            FALLBACKS.count("sceMerge");
            JAVA.sceMerge(op, xs, base, out, start, n); // F64/F8, or the spec's error
        }
    }

    @Override
    public void fusionHistogram(FusionOp op, Operand x, Operand base, long start, long n, int high, long[] hist) {
        FALLBACKS.count("fusionHistogram");
        JAVA.fusionHistogram(op, x, base, start, n, high, hist);
    }

    @Override
    public void fusionMerge(FusionOp op, Operand x, Operand base, Operand out, long start, long n) {
        FALLBACKS.count("fusionMerge");
        JAVA.fusionMerge(op, x, base, out, start, n);
    }
}
