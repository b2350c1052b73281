package org.exmerge.kernel;

import java.util.Arrays;
import org.exmerge.format.DType;
import org.exmerge.numeric.BlockReduction;
import org.exmerge.numeric.Widen;

/**
 * The Java spec of {@link Kernels#pairSums}: numerics §4's float64 block values of {@code Σ v_i·v_j}.
 *
 * <p>{@code v_i} is input {@code i} widened exactly, or with a base the task vector {@code x_i − b}
 * formed as the linear kernel forms it: in float32, or float64 when an operand is F64 (numerics §1).
 * Each product is a float64 multiply (no fma); element {@code k} of a vector goes to lane
 * {@code k mod 64} of its block (blocks start at multiples of 65,536, so that is the lane inside the
 * block), the 64 lanes fold pairwise. A span of one vector whose elements are a whole tensor of plain
 * inputs gives exactly {@link org.exmerge.numeric.BlockReduction}'s block values.
 *
 * <p>Vectors along contiguous memory ({@code elementStride == 1}) are read in runs along each vector;
 * any other vectors a row of neighbouring vectors at a time (one contiguous read per row when
 * {@code vectorStride == 1}: a tensor's columns), so scratch stays a few hundred kilobytes.
 */
final class PairSumKernels {
    private static final int LANES = VectorSpan.LANES;
    // Runs along a vector; a multiple of LANES, so index mod 64 in the run is the lane.
    private static final int CHUNK = 2048;
    // Vectors reduced side by side when reading across them.
    private static final int GROUP = 256;

    private PairSumKernels() {}

    static void pairSums(Operand[] xs, Operand base, int[][] pairs, VectorSpan s, double[] out) {
        s.check(xs, base, pairs, out);
        boolean wide = base != null && base.type() == DType.F64;
        for (Operand x : xs) {
            wide |= x.type() == DType.F64;
        }
        if (s.elementStride() == 1) {
            along(xs, base, wide, pairs, s, out);
        } else {
            across(xs, base, wide, pairs, s, out);
        }
    }

    private static void along(Operand[] xs, Operand base, boolean wide, int[][] pairs, VectorSpan s, double[] out) {
        double[][] vals = new double[xs.length][CHUNK];
        double[] b = base == null ? null : new double[CHUNK];
        double[][] lanes = new double[pairs.length][LANES];
        for (int v = 0; v < s.vectors(); v++) {
            for (int blk = 0; blk < s.blocks(); blk++) {
                for (double[] l : lanes) {
                    Arrays.fill(l, 0.0);
                }
                long end = s.blockEnd(blk);
                for (long k = s.blockStart(blk); k < end; k += CHUNK) {
                    int len = (int) Math.min(CHUNK, end - k);
                    load(xs, base, wide, s.element(v, k), 1, len, vals, b);
                    for (int q = 0; q < pairs.length; q++) {
                        BlockReduction.addProducts(vals[pairs[q][0]], vals[pairs[q][1]], len, lanes[q]);
                    }
                }
                for (int q = 0; q < pairs.length; q++) {
                    out[(v * s.blocks() + blk) * pairs.length + q] = BlockReduction.fold(lanes[q]);
                }
            }
        }
    }

    // Row k of a group of vectors is element k of each; lanes are laid out [pair][lane][vector] so the
    // update for one row runs along contiguous memory.
    private static void across(Operand[] xs, Operand base, boolean wide, int[][] pairs, VectorSpan s, double[] out) {
        double[][] vals = new double[xs.length][GROUP];
        double[] b = base == null ? null : new double[GROUP];
        double[][] lanes = new double[pairs.length][LANES * GROUP];
        double[] p = new double[LANES];
        for (int g0 = 0; g0 < s.vectors(); g0 += GROUP) {
            int g = Math.min(GROUP, s.vectors() - g0);
            for (int blk = 0; blk < s.blocks(); blk++) {
                for (double[] l : lanes) {
                    Arrays.fill(l, 0.0);
                }
                long end = s.blockEnd(blk);
                for (long k = s.blockStart(blk); k < end; k++) {
                    load(xs, base, wide, s.element(g0, k), s.vectorStride(), g, vals, b);
                    int at = (int) (k % LANES) * GROUP;
                    for (int q = 0; q < pairs.length; q++) {
                        double[] u = vals[pairs[q][0]];
                        double[] w = vals[pairs[q][1]];
                        double[] l = lanes[q];
                        for (int c = 0; c < g; c++) {
                            l[at + c] += u[c] * w[c];
                        }
                    }
                }
                for (int q = 0; q < pairs.length; q++) {
                    for (int c = 0; c < g; c++) {
                        for (int l = 0; l < LANES; l++) {
                            p[l] = lanes[q][l * GROUP + c];
                        }
                        out[((g0 + c) * s.blocks() + blk) * pairs.length + q] = BlockReduction.fold(p);
                    }
                }
            }
        }
    }

    /** Widens {@code len} elements {@code at, at + stride, …} of every input, then subtracts the base as the linear kernel does. */
    private static void load(Operand[] xs, Operand base, boolean wide, long at, long stride, int len, double[][] vals,
                             double[] b) {
        for (int i = 0; i < xs.length; i++) {
            widen(xs[i], at, stride, len, vals[i]);
        }
        if (base == null) {
            return;
        }
        widen(base, at, stride, len, b);
        for (double[] x : vals) {
            for (int k = 0; k < len; k++) {
                // Non-F64 values are float32 values, so the casts are exact and only the subtraction rounds.
                x[k] = wide ? x[k] - b[k] : (double) ((float) x[k] - (float) b[k]);
            }
        }
    }

    private static void widen(Operand o, long at, long stride, int len, double[] dst) {
        if (stride == 1) {
            Widen.toDoubles(o.segment(), o.type(), at, len, dst);
            return;
        }
        double[] one = new double[1];
        for (int c = 0; c < len; c++) {
            Widen.toDoubles(o.segment(), o.type(), at + c * stride, 1, one);
            dst[c] = one[0];
        }
    }


}
