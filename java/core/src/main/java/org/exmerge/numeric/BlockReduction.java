package org.exmerge.numeric;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.exmerge.format.DType;

/**
 * The float64 reductions of numerics §4 (norms, dots, sums) in the one order every backend reproduces.
 * This is the order's reference statement, which the kernels are tested against; merge methods never
 * call it, they reach the reductions through their backend ({@code Kernels.pairSums},
 * {@code Kernels.sparseNorms}).
 *
 * <p>Elements are widened exactly to float64 and each term is formed in float64 without fma:
 * {@code x·x}, {@code x·y} or {@code |x|} (for float32 or narrower inputs the product is exact). A
 * tensor of {@code n} elements is cut into blocks of {@link #BLOCK_SIZE} = 65,536 elements, the last
 * possibly shorter. Inside a block, lane {@code l} (0..63) adds the terms of the block's elements
 * {@code l, l+64, l+128, …} in increasing order starting from +0.0; the 64 lanes then fold
 * pairwise, for {@code s = 32, 16, 8, 4, 2, 1}: {@code p[l] = p[l] + p[l+s]} for every
 * {@code l < s}, and the block's value is {@code p[0]}. The tensor's value is the block values added
 * left to right starting from +0.0. So an empty tensor gives +0.0, and the result depends on
 * neither threads nor chunking.
 *
 * <p>Parallel callers: block {@code b} covers elements {@code [b·BLOCK_SIZE, min((b+1)·BLOCK_SIZE,
 * n))}; the {@code block*} methods compute one block's value from the whole tensor's segment, its
 * {@code blockStart} (a multiple of {@code BLOCK_SIZE}, below {@code n}) and {@code n}. Compute them
 * in any order on any thread, store them by block index, then {@link #addBlocks} gives exactly the
 * whole-tensor result.
 *
 * <p>{@code maxAbs} (L∞) is order-free: the largest |x| as float64, +0.0 for an empty tensor, NaN
 * if any element is NaN. Its block form exists only for symmetry; any split gives the same value.
 *
 * <p>Segments hold elements {@code 0 .. n-1} from byte 0, little-endian, any alignment; types are
 * F64, F32, F16, BF16 and both F8 kinds. Methods are re-entrant; each call allocates a few
 * kilobytes of scratch, none per element.
 */
public final class BlockReduction {
    /** Elements per block. */
    public static final int BLOCK_SIZE = 65_536;
    /** Lanes per block. */
    public static final int LANES = 64;

    // Widened elements are staged in chunks; a multiple of LANES so chunk index mod 64 is the lane.
    private static final int CHUNK = 2048;

    private enum Kind { SQUARES, ABS, DOT, SQUARES_AND_DOT, MAX_ABS }

    private BlockReduction() {}

    /** The number of blocks of a tensor of {@code n} elements. */
    public static long blockCount(long n) {
        return (n + BLOCK_SIZE - 1) / BLOCK_SIZE;
    }

    /** Block values added left to right from +0.0: the whole-tensor value. */
    public static double addBlocks(double[] blockValues) {
        double total = 0.0;
        for (double v : blockValues) {
            total += v;
        }
        return total;
    }

    /** {@code Σ x²} (the squared L2 norm). */
    public static double sumSquares(MemorySegment x, DType t, long n) {
        return whole(Kind.SQUARES, x, t, null, null, n);
    }

    /** {@code Σ |x|} (the L1 norm). */
    public static double sumAbs(MemorySegment x, DType t, long n) {
        return whole(Kind.ABS, x, t, null, null, n);
    }

    /** {@code Σ x·y}; the two tensors may have different types. */
    public static double dot(MemorySegment x, DType tx, MemorySegment y, DType ty, long n) {
        return whole(Kind.DOT, x, tx, y, ty, n);
    }

    /** {@code max |x|} (the L∞ norm); NaN if any element is NaN. */
    public static double maxAbs(MemorySegment x, DType t, long n) {
        return whole(Kind.MAX_ABS, x, t, null, null, n);
    }

    /**
     * slerp's three sums in one read of each tensor: {@code out3 = {Σx², Σy², Σx·y}}, each bit-equal
     * to {@link #sumSquares} / {@link #dot} called alone.
     */
    public static void sumSquaresAndDot(
            MemorySegment x, DType tx, MemorySegment y, DType ty, long n, double[] out3) {
        check(x, tx, y, ty, n);
        Scratch s = new Scratch(true);
        double[] part = new double[3];
        out3[0] = out3[1] = out3[2] = 0.0;
        for (long b = 0; b < n; b += BLOCK_SIZE) {
            block(Kind.SQUARES_AND_DOT, x, tx, y, ty, b, n, s, part);
            out3[0] += part[0];
            out3[1] += part[1];
            out3[2] += part[2];
        }
    }

    /** The value of the block starting at {@code blockStart} for {@link #sumSquares}. */
    public static double blockSumSquares(MemorySegment x, DType t, long blockStart, long n) {
        return oneBlock(Kind.SQUARES, x, t, null, null, blockStart, n);
    }

    /** The value of the block starting at {@code blockStart} for {@link #sumAbs}. */
    public static double blockSumAbs(MemorySegment x, DType t, long blockStart, long n) {
        return oneBlock(Kind.ABS, x, t, null, null, blockStart, n);
    }

    /** The value of the block starting at {@code blockStart} for {@link #dot}. */
    public static double blockDot(
            MemorySegment x, DType tx, MemorySegment y, DType ty, long blockStart, long n) {
        return oneBlock(Kind.DOT, x, tx, y, ty, blockStart, n);
    }

    /** The largest |x| of the block starting at {@code blockStart}. */
    public static double blockMaxAbs(MemorySegment x, DType t, long blockStart, long n) {
        return oneBlock(Kind.MAX_ABS, x, t, null, null, blockStart, n);
    }

    /** The three block values of {@link #sumSquaresAndDot} for the block at {@code blockStart}. */
    public static void blockSumSquaresAndDot(MemorySegment x, DType tx, MemorySegment y, DType ty,
            long blockStart, long n, double[] out3) {
        check(x, tx, y, ty, n);
        checkBlockStart(blockStart, n);
        block(Kind.SQUARES_AND_DOT, x, tx, y, ty, blockStart, n, new Scratch(true), out3);
    }

    private static double whole(Kind k, MemorySegment x, DType tx, MemorySegment y, DType ty, long n) {
        check(x, tx, y, ty, n);
        Scratch s = new Scratch(y != null);
        double[] part = new double[1];
        double total = 0.0;
        for (long b = 0; b < n; b += BLOCK_SIZE) {
            block(k, x, tx, y, ty, b, n, s, part);
            total = k == Kind.MAX_ABS ? Math.max(total, part[0]) : total + part[0];
        }
        return total;
    }

    private static double oneBlock(
            Kind k, MemorySegment x, DType tx, MemorySegment y, DType ty, long blockStart, long n) {
        check(x, tx, y, ty, n);
        checkBlockStart(blockStart, n);
        double[] part = new double[1];
        block(k, x, tx, y, ty, blockStart, n, new Scratch(y != null), part);
        return part[0];
    }

    private static void block(Kind k, MemorySegment x, DType tx, MemorySegment y, DType ty,
            long start, long n, Scratch s, double[] out) {
        long end = Math.min(start + BLOCK_SIZE, n);
        Arrays.fill(s.a, 0.0);
        Arrays.fill(s.b, 0.0);
        Arrays.fill(s.c, 0.0);
        double max = 0.0;
        for (long c = start; c < end; c += CHUNK) {
            int len = (int) Math.min(CHUNK, end - c);
            Widen.toDoubles(x, tx, c, len, s.x);
            if (y != null) {
                Widen.toDoubles(y, ty, c, len, s.y);
            }
            switch (k) {
                case SQUARES -> addProducts(s.x, s.x, len, s.a);
                case ABS -> addAbs(s.x, len, s.a);
                case DOT -> addProducts(s.x, s.y, len, s.a);
                case SQUARES_AND_DOT -> {
                    addProducts(s.x, s.x, len, s.a);
                    addProducts(s.y, s.y, len, s.b);
                    addProducts(s.x, s.y, len, s.c);
                }
                case MAX_ABS -> {
                    for (int i = 0; i < len; i++) {
                        max = Math.max(max, Math.abs(s.x[i]));
                    }
                }
            }
        }
        if (k == Kind.MAX_ABS) {
            out[0] = max;
        } else if (k == Kind.SQUARES_AND_DOT) {
            out[0] = fold(s.a);
            out[1] = fold(s.b);
            out[2] = fold(s.c);
        } else {
            out[0] = fold(s.a);
        }
    }

    /**
     * Adds {@code u[i]·v[i]} (float64 multiply, no fma) to {@code lanes[i % 64]} for {@code i < len},
     * {@code len} counted from a multiple of 64 in the block.
     */
    // The inner loop over l is the vectorisable shape.
    public static void addProducts(double[] u, double[] v, int len, double[] lanes) {
        int i = 0;
        for (; i + LANES <= len; i += LANES) {
            for (int l = 0; l < LANES; l++) {
                lanes[l] += u[i + l] * v[i + l];
            }
        }
        for (int l = 0; i + l < len; l++) {
            lanes[l] += u[i + l] * v[i + l];
        }
    }

    private static void addAbs(double[] u, int len, double[] lanes) {
        int i = 0;
        for (; i + LANES <= len; i += LANES) {
            for (int l = 0; l < LANES; l++) {
                lanes[l] += Math.abs(u[i + l]);
            }
        }
        for (int l = 0; i + l < len; l++) {
            lanes[l] += Math.abs(u[i + l]);
        }
    }

    /**
     * numerics §4's pairwise fold of 64 lanes: {@code p[l] = p[l] + p[l + s]} for {@code s = 32 … 1}
     * (in place); the block value is {@code p[0]}.
     */
    public static double fold(double[] p) {
        for (int s = LANES / 2; s >= 1; s >>= 1) {
            for (int l = 0; l < s; l++) {
                p[l] = p[l] + p[l + s];
            }
        }
        return p[0];
    }

    private static void check(MemorySegment x, DType tx, MemorySegment y, DType ty, long n) {
        Widen.checkSpan(x, tx, n, "x");
        if (y != null) {
            Widen.checkSpan(y, ty, n, "y");
        }
    }

    private static void checkBlockStart(long blockStart, long n) {
        if (blockStart < 0 || blockStart >= n || blockStart % BLOCK_SIZE != 0) {
            throw new IllegalArgumentException("block start " + blockStart
                    + " is not a multiple of " + BLOCK_SIZE + " inside [0, " + n + ")");
        }
    }

    private static final class Scratch {
        final double[] x = new double[CHUNK];
        final double[] y;
        final double[] a = new double[LANES];
        final double[] b = new double[LANES];
        final double[] c = new double[LANES];

        Scratch(boolean twoInputs) {
            y = twoInputs ? new double[CHUNK] : null;
        }
    }
}
