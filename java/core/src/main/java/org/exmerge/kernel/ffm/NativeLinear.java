package org.exmerge.kernel.ffm;

import static org.exmerge.kernel.ffm.NativeKernels.FALLBACKS;
import static org.exmerge.kernel.ffm.NativeKernels.JAVA;
import static org.exmerge.kernel.ffm.NativeKernels.code;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.exmerge.kernel.LinearOp;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.VectorLinearOp;

/**
 * {@link NativeKernels}' numerics §2 ops: the fused linear kernel on {@code mk_linear}, its per-vector
 * form on {@code mk_linear_vectors}, conversions on {@code mk_convert}.
 */
final class NativeLinear {
    private NativeLinear() {}

    static long linear(LinearOp op, Operand[] xs, Operand base, Operand out, long n) {
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
            return JAVA.linear(op, xs, base, out, n);
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
            MemorySegment first = arena.allocate(ValueLayout.JAVA_LONG);
            int status;
            try {
                status = (int) ExmergeNative.Linear.mk_linear.invokeExact(k, ptrs, types, weights, b, bt, o, code(out.type()),
                        (op.divide() ? ExmergeNative.MK_LINEAR_DIVIDE : 0) | (op.negativeZeroStart() ? ExmergeNative.MK_LINEAR_NEG_ZERO : 0), op.divisorF32(), op.lambdaF32(), n,
                        first);
            } catch (Throwable t) {
                throw ExmergeNative.rethrow(t);
            }
            NativeException.check(status, "mk_linear", n + " elements, " + k + " inputs");
            Staging.back(o, out.segment(), outBytes);
            return first.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    static void convert(Operand in, Operand out, long n) {
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
                status = (int) ExmergeNative.Convert.mk_convert.invokeExact(i, code(in.type()), o, code(out.type()), n);
            } catch (Throwable t) {
                throw ExmergeNative.rethrow(t);
            }
            NativeException.check(status, "mk_convert", in.type() + " to " + out.type());
            Staging.back(o, out.segment(), outBytes);
        }
    }

    static void linearPerVector(VectorLinearOp v, Operand[] xs, Operand base, Operand out, long start, long n) {
        v.check(xs, base, start, n);
        if (!NativeKernels.allNative(xs, base, out)) {
            FALLBACKS.count("linearPerVector");
            JAVA.linearPerVector(v, xs, base, out, start, n); // F64/F8, or the spec's error
            return;
        }
        if (n == 0) {
            return;
        }
        // Only the ops of the vectors the chunk touches go over: o = (vector − opFirst) mod count.
        LinearOp[] ops = v.ops();
        long opFirst;
        int nOps;
        if (!v.strided()) {
            opFirst = start / v.length();
            nOps = Math.toIntExact((start + n - 1) / v.length() - opFirst + 1);
        } else if (n >= ops.length) {
            opFirst = 0;
            nOps = ops.length;
        } else {
            opFirst = start % ops.length;
            nOps = (int) n;
        }
        int k = xs.length;
        long outBytes = Staging.span(out, n, "output");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ptrs = arena.allocate(ValueLayout.ADDRESS, Math.max(1, k));
            MemorySegment types = arena.allocate(ValueLayout.JAVA_INT, Math.max(1, k));
            for (int i = 0; i < k; i++) {
                Operand x = xs[i].skip(start);
                ptrs.setAtIndex(ValueLayout.ADDRESS, i, Staging.in(x.segment(), Staging.span(x, n, "input " + i), arena));
                types.setAtIndex(ValueLayout.JAVA_INT, i, code(x.type()));
            }
            MemorySegment b = MemorySegment.NULL;
            if (base != null) {
                Operand bs = base.skip(start);
                b = Staging.in(bs.segment(), Staging.span(bs, n, "base"), arena);
            }
            MemorySegment weights = arena.allocate(ValueLayout.JAVA_FLOAT, Math.max(1, (long) nOps * k));
            MemorySegment flags = arena.allocate(ValueLayout.JAVA_INT, nOps);
            MemorySegment divisors = arena.allocate(ValueLayout.JAVA_FLOAT, nOps);
            MemorySegment lambdas = arena.allocate(ValueLayout.JAVA_FLOAT, nOps);
            for (int o = 0; o < nOps; o++) {
                LinearOp op = ops[(int) ((opFirst + o) % ops.length)];
                double[] w = op.weights();
                for (int i = 0; i < k; i++) {
                    weights.setAtIndex(ValueLayout.JAVA_FLOAT, (long) o * k + i, (float) w[i]);
                }
                flags.setAtIndex(ValueLayout.JAVA_INT, o, (op.divide() ? ExmergeNative.MK_LINEAR_DIVIDE : 0)
                        | (op.negativeZeroStart() ? ExmergeNative.MK_LINEAR_NEG_ZERO : 0));
                divisors.setAtIndex(ValueLayout.JAVA_FLOAT, o, op.divisorF32());
                lambdas.setAtIndex(ValueLayout.JAVA_FLOAT, o, op.lambdaF32());
            }
            MemorySegment dst = Staging.out(out.segment(), outBytes, arena);
            int status;
            try {
                status = (int) ExmergeNative.LinearVectors.mk_linear_vectors.invokeExact(k, ptrs, types, b,
                        base == null ? 0 : code(base.type()), dst, code(out.type()), opFirst, nOps, weights, flags,
                        divisors, lambdas, (long) ops.length, v.length(), v.strided() ? 1 : 0, start, n);
            } catch (Throwable t) {
                throw ExmergeNative.rethrow(t);
            }
            NativeException.check(status, "mk_linear_vectors", "elements " + start + " + " + n + ", " + nOps + " vectors");
            Staging.back(dst, out.segment(), outBytes);
        }
    }
}
