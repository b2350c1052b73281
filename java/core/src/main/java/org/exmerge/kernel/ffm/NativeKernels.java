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
import org.exmerge.kernel.NonFinite;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.SceOp;
import org.exmerge.kernel.SparseOp;
import org.exmerge.kernel.VectorLinearOp;
import org.exmerge.kernel.VectorSpan;

/**
 * The native backend: the kernels of numerics §2–§5 in C (AVX-512, AVX2 or scalar, chosen at load),
 * bit for bit the bytes {@link JavaKernels} writes. The ops live by family in {@code NativeLinear}
 * (§2), {@code NativePairSums} (§4), {@code NativeSparse} (§3), {@code NativeNearSwap},
 * {@code NativeSce}, {@code NativeFusion} and {@code NativeLora}; this class is their one face.
 *
 * <p>Declared fallback ({@code DECLARED_FALLBACKS}): whatever the C library does not do goes to the
 * Java spec, and each such call is counted in {@link #fallbacks()} under the op's name, so doctor
 * and a run's {@code done} event show it. Today that is any F64 or F8 operand (F64 computes in
 * float64, numerics §1; F8 is rare enough not to be worth C twins), a tau histogram without a base,
 * and arguments the spec rejects (it reports the error). A new op added to {@link Kernels} gets a
 * counted delegation here first ({@code FALLBACKS.count("op"); JAVA.op(…)}) and a native twin later
 * (native/README.md, "Adding an op").
 *
 * <p>Beside the ops, the C building blocks the tests and benchmarks prove on every ISA path: the
 * magnitude histograms of {@code tauHistogram} and the Philox uniforms of {@code sparseMerge}.
 */
public final class NativeKernels implements Kernels {
    static final Kernels JAVA = new JavaKernels();
    /** The calls handed to the Java spec, by op (numerics §1: same bytes, only slower). */
    static final Fallbacks FALLBACKS = new Fallbacks();
    /** When each op is served by the Java spec, for {@code exmerge doctor}. */
    static final String DECLARED_FALLBACKS = "linear, linearPerVector, convert, pairSums, nearswap, sparseMerge,"
            + " sparseNorms and keptCounts with an F64 or F8 operand; tauHistogram and tauBand without a base or with an F64 or F8"
            + " operand"
            + "; sceHistogram, sceSquares, sceMerge, fusionHistogram, fusionMerge and loraRows with an F64 or F8 operand";
    private static final NativeKernels INSTANCE = new NativeKernels();

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

    /** Whether every operand (null ones aside) has a type the C kernels handle. */
    static boolean allNative(Operand[] xs, Operand... more) {
        for (Operand x : xs) {
            if (code(x.type()) == 0) {
                return false;
            }
        }
        for (Operand m : more) {
            if (m != null && code(m.type()) == 0) {
                return false;
            }
        }
        return true;
    }

    static void requireNative(Operand o) {
        if (code(o.type()) == 0) {
            throw new IllegalArgumentException("the native kernels take F32, F16 or BF16 here, not " + o.type()
                    + " (use numeric's Java twin)");
        }
    }

    @Override
    public long linear(LinearOp op, Operand[] xs, Operand base, Operand out, long n) {
        return NativeLinear.linear(op, xs, base, out, n);
    }

    @Override
    public void linearPerVector(VectorLinearOp op, Operand[] xs, Operand base, Operand out, long start, long n) {
        NativeLinear.linearPerVector(op, xs, base, out, start, n);
    }

    @Override
    public void convert(Operand in, Operand out, long n) {
        NativeLinear.convert(in, out, n);
    }

    @Override
    public void pairSums(Operand[] xs, Operand base, int[][] pairs, VectorSpan span, double[] out) {
        NativePairSums.pairSums(xs, base, pairs, span, out);
    }

    @Override
    public void tauHistogram(Operand x, Operand base, long start, long n, int high, long[] hist) {
        NativeSparse.tauHistogram(x, base, start, n, high, hist);
    }

    @Override
    public long tauBand(Operand x, Operand base, long start, long n, int lo, int hi, long[] counts, int[] band) {
        return NativeSparse.tauBand(x, base, start, n, lo, hi, counts, band);
    }

    @Override
    public void tauKeys(Operand x, Operand base, long n, int first, int runs, int of, int run, int[] keys) {
        NativeSparse.tauKeys(x, base, n, first, runs, of, run, keys);
    }

    @Override
    public int kthLargestKey(int[] keys, int count, long k) {
        return NativeSparse.kthLargestKey(keys, count, k);
    }

    @Override
    public void sparseNorms(SparseOp op, int norm, Operand[] xs, Operand base, long blockStart, long total,
                            double[] out) {
        NativeSparse.sparseNorms(op, norm, xs, base, blockStart, total, out);
    }

    @Override
    public long sparseMerge(SparseOp op, Operand[] xs, Operand base, Operand out, long start, long n) {
        return NativeSparse.sparseMerge(op, xs, base, out, start, n);
    }

    @Override
    public void keptCounts(SparseOp op, Operand[] xs, Operand base, long start, long n, long[] counts) {
        NativeSparse.keptCounts(op, xs, base, start, n, counts);
    }

    // ---- building blocks (numerics §3 magnitude select, §5 Philox), for tests and benchmarks ----

    /**
     * Adds to {@code hist} (32,768 buckets) the high-part counts of the magnitude keys of
     * {@code x − base} (float32), or of {@code x} when base is null: MagnitudeSelect.histogramHigh's twin.
     */
    public void histogramHigh(Operand x, Operand base, long n, long[] hist) {
        NativeSparse.histogram(x, base, n, -1, hist, 1 << 15);
    }

    /** Adds to {@code hist} (65,536 buckets) the low-part counts of the keys whose high part is {@code high}. */
    public void histogramLow(Operand x, Operand base, long n, int high, long[] hist) {
        NativeSparse.histogram(x, base, n, high, hist, 1 << 16);
    }

    /**
     * {@code u[j]} = the numerics §5 uniform of element {@code first + j}, for {@code j < n}, from the
     * generator {@code sparseMerge}'s random drops use; {@code u} a writable native segment.
     */
    public void uniforms(long seed, int tensorId, int model, long first, long n, MemorySegment u) {
        if (n < 0 || !u.isNative() || u.isReadOnly() || u.byteSize() < Math.multiplyExact(n, 4L)) {
            throw new IllegalArgumentException("u must be a writable native segment of at least " + n + " floats");
        }
        int status;
        try {
            status = (int) ExmergeNative.PhiloxUniform.mk_philox_uniform.invokeExact(seed, tensorId, model, first, n, u);
        } catch (Throwable t) {
            throw ExmergeNative.rethrow(t);
        }
        NativeException.check(status, "mk_philox_uniform", "first " + first + ", " + n + " elements");
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
        if (!NativeSce.squares(op, xs, base, blockStart, total, out)) {
            FALLBACKS.count("sceSquares");
            JAVA.sceSquares(op, xs, base, blockStart, total, out); // F64/F8, or the spec's error
        }
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
        if (!NativeFusion.histogram(op, x, base, start, n, high, hist)) {
            FALLBACKS.count("fusionHistogram");
            JAVA.fusionHistogram(op, x, base, start, n, high, hist); // F64/F8, or the spec's error
        }
    }

    @Override
    public void fusionMerge(FusionOp op, Operand x, Operand base, Operand out, long start, long n) {
        if (!NativeFusion.merge(op, x, base, out, start, n)) {
            FALLBACKS.count("fusionMerge");
            JAVA.fusionMerge(op, x, base, out, start, n); // F64/F8, or the spec's error
        }
    }

    // ---- numerics §12's LoRA delta (the spec is kernel.LoraKernels) ----

    @Override
    public void loraRows(Operand w, MemorySegment left, MemorySegment right, int rank, long columns, int count,
                         double scaling, Operand out) {
        NativeLora.rows(w, left, right, rank, columns, count, scaling, out);
    }

    // ---- numerics §13's truncated-SVD products (the spec is numeric.SvdProducts) ----

    @Override
    public void svdTimes(float[] d, int m, int n, double[] x, int k, int from, int to, double[] y) {
        NativeSvd.times(d, m, n, x, k, from, to, y);
    }

    @Override
    public void svdTransposeTimes(float[] d, int m, int n, double[] q, int k, int from, int to, double[] z) {
        NativeSvd.transposeTimes(d, m, n, q, k, from, to, z);
    }

    // ---- the engine's output check (the spec is kernel.NonFinite) ----

    @Override
    public long firstNonFinite(Operand data, long n) {
        long lane = NonFinite.laneMask(data.type());
        if (lane == 0 || n <= 0) {
            return -1; // integer types have no non-finite values; no elements, none either
        }
        long bytes = Staging.span(data, n, "data");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment first = arena.allocate(ValueLayout.JAVA_LONG);
            int status;
            try {
                status = (int) ExmergeNative.FirstNonFinite.mk_first_nonfinite.invokeExact(Staging.in(data.segment(), bytes, arena),
                        data.type().size(), lane, n, first);
            } catch (Throwable t) {
                throw ExmergeNative.rethrow(t);
            }
            NativeException.check(status, "mk_first_nonfinite", n + " elements of " + data.type());
            return first.get(ValueLayout.JAVA_LONG, 0);
        }
    }
}
