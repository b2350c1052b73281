package org.exmerge.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.exmerge.format.DType;
import org.exmerge.numeric.F8E4M3;
import org.exmerge.numeric.F8E5M2;
import org.exmerge.numeric.MagnitudeSelect;
import org.exmerge.numeric.Philox4x32;
import org.exmerge.testing.TestModels;

/**
 * Seeded random ops for the backend-vs-spec tests (KernelConformanceTest and the native ISA tests):
 * linear ops (numerics §2) and the sparse ops the methods build (numerics §3), with their corners.
 */
public final class KernelOpGen {
    private KernelOpGen() {}

    /** Weights, flags and coefficients for one seed: normal ones mostly, sometimes 0, −0 or huge. */
    public static LinearOp linear(SplittableRandom r, int inputs, boolean base) {
        double[] w = new double[inputs];
        for (int i = 0; i < inputs; i++) {
            int k = r.nextInt(10);
            w[i] = k == 0 ? 0.0 : k == 1 ? -0.0 : k == 2 ? r.nextDouble(-1e6, 1e6) : r.nextDouble(-2, 2);
        }
        boolean divide = r.nextBoolean();
        double divisor = r.nextInt(4) == 0 ? 3.0 : r.nextDouble(0.1, 5);
        double lambda = r.nextInt(4) == 0 ? 1.0 : r.nextDouble(-2, 2);
        // Without a base, sometimes slerp's form: the accumulator starts at −0 (numerics §4).
        return new LinearOp(w, base, divide, divisor, lambda, !base && r.nextInt(3) == 0);
    }

    /** The kinds of op the methods build (SparsePlan, Ram, RamPlus), plus the degenerate corners of each. */
    public enum Kind { PLAIN, TIES, BREADCRUMBS, DARE, DARE_BY_PROB, EDGES, RAM, RAMPLUS }

    /** τ of element e of model i as the spec forms it (both widened, one float32 subtraction). */
    /** Element e widened as numerics §1 does (F64 rounded to float32: only used to pick thresholds). */
    static float widen(Operand o, long e) {
        return switch (o.type()) {
            case F64 -> (float) Double.longBitsToDouble(o.segment().get(TestBits.I64, 8 * e));
            case F8_E4M3 -> F8E4M3.toFloat(o.segment().get(ValueLayout.JAVA_BYTE, e));
            case F8_E5M2 -> F8E5M2.toFloat(o.segment().get(ValueLayout.JAVA_BYTE, e));
            default -> TestModels.get(o.segment(), o.type(), e);
        };
    }

    public static float tau(Operand x, Operand b, long e) {
        return widen(x, e) - widen(b, e);
    }

    /** A key in the data (so ties at it are certain), or a corner: 0, NONE (keep none), NaN's key. */
    public static long key(SplittableRandom r, Operand x, Operand b, long end) {
        int c = r.nextInt(10);
        if (c == 0 || end == 0) {
            return 0;
        }
        if (c == 1) {
            return MagnitudeSelect.NONE;
        }
        if (c == 2) {
            return MagnitudeSelect.NAN_KEY;
        }
        return MagnitudeSelect.key(tau(x, b, r.nextLong(end)));
    }

    public static float weight(SplittableRandom r) {
        int c = r.nextInt(12);
        return c == 0 ? 0f : c == 1 ? -0f : c == 2 ? (float) r.nextDouble(-1e6, 1e6) : c == 3 ? -1f : (float) r.nextDouble(-2, 2);
    }

    /** A keep probability: a corner, a typical value, or the draw of an element in [start, end) (u = p: dropped). */
    public static float prob(SplittableRandom r, long seed, int tensorId, int model, long start, long end) {
        int c = r.nextInt(8);
        if (c == 5 && end > start) {
            return Philox4x32.uniform(seed, r.nextLong(start, end), tensorId, model);
        }
        return c == 0 ? 0f : c == 1 ? 1f : c == 2 ? 1.5f : c == 3 ? Float.MIN_VALUE : c == 4 ? Math.nextDown(1f)
                : (float) r.nextDouble(0.05, 0.95);
    }

    public static SparseOp op(Kind kind, SplittableRandom r, Operand[] xs, Operand b, long start, long end) {
        int m = xs.length;
        float[] w = new float[m];
        for (int i = 0; i < m; i++) {
            w[i] = weight(r);
        }
        int election = r.nextInt(5); // ELECT_NONE … ELECT_LONE
        float sumDivisor = r.nextInt(6) == 0 ? 0f : (float) r.nextDouble(0.1, 4);
        float lambda = r.nextInt(3) == 0 ? 1f : (float) r.nextDouble(-2, 2);
        long seed = r.nextLong();
        int tensorId = r.nextInt();
        SparseOp op = SparseOp.plain(w, election, r.nextBoolean(), sumDivisor, lambda, seed, tensorId);
        long[] from = new long[m];
        long[] below = new long[m];
        Arrays.fill(below, SparseOp.NO_UPPER);
        float[] p = new float[m];
        float[] div = new float[m];
        for (int i = 0; i < m; i++) {
            p[i] = prob(r, seed, tensorId, i, start, end);
            int c = r.nextInt(6);
            div[i] = c == 0 ? 0f : c == 1 ? 1f : c == 2 ? p[i] : (float) r.nextDouble(0.01, 3);
        }
        switch (kind) {
            case PLAIN -> { }
            case TIES -> {
                for (int i = 0; i < m; i++) {
                    from[i] = key(r, xs[i], b, end);
                }
                op = op.withBand(from, below).withDivisor(div, false);
            }
            case BREADCRUMBS -> {
                for (int i = 0; i < m; i++) {
                    long a = key(r, xs[i], b, end);
                    long c = key(r, xs[i], b, end);
                    from[i] = Math.min(a, c);
                    below[i] = r.nextInt(5) == 0 ? SparseOp.NO_UPPER : Math.max(a, c);
                }
                op = op.withBand(from, below).withDivisor(div, false);
            }
            case DARE -> op = op.withFixedProb(p).withDivisor(div, false);
            case DARE_BY_PROB -> op = op.withFixedProb(p).withDivisor(div, true);
            case EDGES -> {
                // Band and draw at once, every model keeping nothing or everything in turn.
                for (int i = 0; i < m; i++) {
                    from[i] = i % 2 == 0 ? MagnitudeSelect.NONE : 0;
                    p[i] = i % 3 == 0 ? 0f : 1f;
                }
                op = op.withBand(from, below).withFixedProb(p).withDivisor(div, false);
            }
            case RAM, RAMPLUS -> {
                // Ram's op: unit weights and divisors, |τ| > a data value (its ties dropped) or a corner,
                // no sign elected; below is NaN's key (Ram's) or sometimes no bound, so a kept NaN must
                // still not agree. RamPlus's: the same band, ELECT_LONE, the weights (λ_i: near 1, or any
                // weight's corners) multiplying lone values only.
                float[] ws = new float[m];
                for (int i = 0; i < m; i++) {
                    ws[i] = kind == Kind.RAM ? 1f : r.nextBoolean() ? (float) (1 + r.nextDouble(0, 0.5)) : w[i];
                    long k = key(r, xs[i], b, end);
                    from[i] = k >= MagnitudeSelect.NAN_KEY ? k : k + 1;
                    below[i] = r.nextInt(4) == 0 ? SparseOp.NO_UPPER : MagnitudeSelect.NAN_KEY;
                }
                op = SparseOp.plain(ws, kind == Kind.RAM ? SparseOp.ELECT_KEPT : SparseOp.ELECT_LONE, op.normalize(),
                        sumDivisor, r.nextBoolean() ? 1f : lambda, seed, tensorId).withBand(from, below);
            }
            default -> throw new AssertionError(kind);
        }
        return op;
    }

    public static final int[] ROWS = {1, 2, 15, 16, 17, 33, 4097};

    /**
     * DELLA (SparseOp.RANDOM_RANKED) on rows of {@code rowLength}: p = rankLow + rankSpan·(rank − 1)/(n − 1)
     * per model, with corners (p = 0 everywhere, p ≥ 1, spans past 1, rankSingle 0 or 1), sometimes a
     * magnitude band as well, dividing by p or by a divisor.
     */
    public static SparseOp della(SplittableRandom r, Operand[] xs, Operand b, long end, int rowLength) {
        SparseOp op = op(Kind.PLAIN, r, xs, b, 0, end);
        int m = xs.length;
        double[] low = new double[m];
        double[] span = new double[m];
        float[] single = new float[m];
        long[] from = new long[m];
        long[] below = new long[m];
        Arrays.fill(below, SparseOp.NO_UPPER);
        float[] div = new float[m];
        for (int i = 0; i < m; i++) {
            int c = r.nextInt(8);
            double eps = r.nextDouble(0, 0.2);
            double density = r.nextDouble(0.2, 0.8);
            low[i] = c == 0 ? 0 : c == 1 ? 1 : c == 2 ? 0.7 : density - eps;
            span[i] = c == 0 ? 0 : c == 1 ? 0.5 : c == 2 ? 0.9 : c == 3 ? 1 : 2 * eps;
            if (low[i] < 0) {
                low[i] = 0;
            }
            single[i] = c == 0 ? 0f : c == 1 ? 1f : (float) (density + eps);
            if (r.nextInt(4) == 0) {
                from[i] = key(r, xs[i], b, end);
            }
            int d = r.nextInt(4);
            div[i] = d == 0 ? 0f : d == 1 ? 1f : (float) r.nextDouble(0.01, 3);
        }
        return op.withBand(from, below).withRankedProb(rowLength, low, span, single).withDivisor(div, r.nextBoolean());
    }

    /** Small integers (±0, ±1, ±2, 3) in any type: τ, sums and counts meet exact zeros and ties often. */
    public static Operand integers(Arena arena, DType t, int n, int offset, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        float[] pool = {0f, -0f, 1f, -1f, 2f, -2f, 3f};
        for (int j = 0; j < n; j++) {
            v[j] = pool[r.nextInt(pool.length)];
        }
        MemorySegment enc = MemorySegment.ofArray(new byte[n * t.size()]);
        for (int j = 0; j < n; j++) {
            switch (t) {
                case F64 -> enc.set(TestBits.I64, 8L * j, Double.doubleToRawLongBits(v[j]));
                case F8_E4M3 -> enc.set(ValueLayout.JAVA_BYTE, j, F8E4M3.fromFloat(v[j]));
                case F8_E5M2 -> enc.set(ValueLayout.JAVA_BYTE, j, F8E5M2.fromFloat(v[j]));
                default -> MemorySegment.copy(TestModels.encode(t, new float[] {v[j]}), 0, enc, (long) j * t.size(), t.size());
            }
        }
        MemorySegment s = arena.allocate(enc.byteSize() + offset + 1, 64).asSlice(offset, enc.byteSize());
        MemorySegment.copy(enc, 0, s, 0, enc.byteSize());
        return new Operand(s, t);
    }
}
