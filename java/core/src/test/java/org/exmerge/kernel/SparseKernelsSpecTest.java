package org.exmerge.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.exmerge.format.DType;
import org.exmerge.numeric.BlockReduction;
import org.exmerge.numeric.MagnitudeSelect;
import org.exmerge.numeric.Philox4x32;
import org.exmerge.testing.SparseOracle;
import org.exmerge.testing.TestModels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The sparse kernels on seeded data at every tail size, with misaligned operands of mixed types:
 * histograms against {@link MagnitudeSelect} over the materialised τ, norms against
 * {@link BlockReduction} and the oracle, and the fused op cut into arbitrary chunks against one call.
 */
class SparseKernelsSpecTest {
    private final Kernels k = new JavaKernels();
    static final DType[] TYPES = {DType.F32, DType.BF16, DType.F16};

    record Data(float[] b, float[][] x, Operand base, Operand[] xs, float[][] tau) {}

    static Data data(long seed, int n, int models) {
        float[] b = stored(DType.BF16, TestModels.random(seed, n, 0.02f));
        float[][] x = new float[models][];
        Operand[] xs = new Operand[models];
        float[][] tau = new float[models][n];
        for (int i = 0; i < models; i++) {
            DType t = TYPES[i % TYPES.length];
            float[] delta = TestModels.random(seed * 31 + i, n, 0.002f);
            float[] xi = new float[n];
            for (int j = 0; j < n; j++) {
                xi[j] = b[j] + delta[j];
            }
            x[i] = stored(t, xi);
            xs[i] = misaligned(t, x[i]);
            for (int j = 0; j < n; j++) {
                tau[i][j] = x[i][j] - b[j];
            }
        }
        return new Data(b, x, misaligned(DType.BF16, b), xs, tau);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 15, 16, 17, 33, 1023, 4097})
    void histogramsCountTheTaskVectorsKeys(int n) {
        Data d = data(100 + n, n, 1);
        long[] high = new long[MagnitudeSelect.HIGH_BUCKETS];
        // Counted in two uneven pieces: histograms of chunks add up.
        k.tauHistogram(d.xs()[0], d.base(), 0, n / 3, -1, high);
        k.tauHistogram(d.xs()[0], d.base(), n / 3, n - n / 3, -1, high);
        assertThat(high).isEqualTo(MagnitudeSelect.histogramHigh(d.tau()[0], 0, n, new long[MagnitudeSelect.HIGH_BUCKETS]));
        if (n > 0) {
            int h = MagnitudeSelect.key(d.tau()[0][n / 2]) >>> 16;
            long[] low = new long[MagnitudeSelect.LOW_BUCKETS];
            k.tauHistogram(d.xs()[0], d.base(), 0, n, h, low);
            assertThat(low).isEqualTo(MagnitudeSelect.histogramLow(d.tau()[0], 0, n, h, new long[MagnitudeSelect.LOW_BUCKETS]));
        }
    }

    /** Task vectors spanning 2^-40 .. 2^20, so float64 sums round and any change of order shows. */
    static Data wide(long seed, int n, int models) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] b = stored(DType.BF16, TestModels.random(seed, n, 0.02f));
        float[][] x = new float[models][n];
        Operand[] xs = new Operand[models];
        float[][] tau = new float[models][n];
        for (int i = 0; i < models; i++) {
            for (int j = 0; j < n; j++) {
                x[i][j] = (float) ((r.nextBoolean() ? 1 : -1) * (1 + r.nextDouble()) * Math.scalb(1.0, r.nextInt(-40, 21)));
                tau[i][j] = x[i][j] - b[j];
            }
            xs[i] = misaligned(DType.F32, x[i]);
        }
        return new Data(b, x, misaligned(DType.BF16, b), xs, tau);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 17, 4097, 65536 + 33, 3 * 65536})
    void normsFollowTheBlockReductionOrder(int n) {
        Data d = wide(200 + n, n, 2);
        SparseOp op = SparseOp.plain(new float[] {1f, 1f}, 0, false, 1f, 1f, 9, 3).withFixedProb(new float[] {0.3f, 1f});
        for (int norm = SparseOp.NORM_L1; norm <= SparseOp.NORM_LINF; norm++) {
            double[] before = new double[2];
            double[] after = new double[2];
            double[] part = new double[4];
            for (long bs = 0; bs < n; bs += BlockReduction.BLOCK_SIZE) {
                k.sparseNorms(op, norm, d.xs(), d.base(), bs, n, part);
                for (int i = 0; i < 2; i++) {
                    before[i] = norm == SparseOp.NORM_LINF ? Math.max(before[i], part[2 * i]) : before[i] + part[2 * i];
                    after[i] = norm == SparseOp.NORM_LINF ? Math.max(after[i], part[2 * i + 1]) : after[i] + part[2 * i + 1];
                }
            }
            for (int i = 0; i < 2; i++) {
                MemorySegment tau = TestModels.encode(DType.F32, d.tau()[i]);
                double expected = switch (norm) {
                    case SparseOp.NORM_L1 -> BlockReduction.sumAbs(tau, DType.F32, n);
                    case SparseOp.NORM_L2 -> BlockReduction.sumSquares(tau, DType.F32, n);
                    default -> BlockReduction.maxAbs(tau, DType.F32, n);
                };
                assertThat(before[i]).as("norm %d model %d before", norm, i).isEqualTo(expected);
                boolean[] keep = new boolean[n];
                for (int j = 0; j < n; j++) {
                    keep[j] = Philox4x32.uniform(9, j, 3, i) < op.keepProb()[i];
                }
                double oracle = SparseOracle.norm(d.tau()[i], keep, norm);
                assertThat(norm == SparseOp.NORM_L2 ? Math.sqrt(after[i]) : after[i]).as("norm %d model %d after", norm, i).isEqualTo(oracle);
            }
            assertThat(after[1]).as("density 1 keeps everything").isEqualTo(before[1]);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 15, 16, 17, 33, 1023, 4097})
    void chunkingNeverChangesABit(int n) {
        Data d = data(300 + n, n, 3);
        float[] w = {0.7f, -0.4f, 1.3f};
        SparseOp plain = SparseOp.plain(w, SparseOp.ELECT_SUM, true, 1f, 0.9f, 5, 11);
        long[] from = {MagnitudeSelect.key(0.001f), 0, MagnitudeSelect.key(0.002f)};
        long[] below = {SparseOp.NO_UPPER, MagnitudeSelect.key(0.003f), SparseOp.NO_UPPER};
        int row = n % 17 == 0 ? 17 : n; // 17-element rows where they fit, else one row
        SparseOp[] ops = {
            plain.withBand(from, below),
            plain.withFixedProb(new float[] {0.3f, 0.5f, 1f}).withDivisor(new float[] {0.3f, 0.5f, 1f}, false),
            plain.withRankedProb(Math.max(1, row), new double[] {0.35, 0.1, 1}, new double[] {0.3, 0.2, 0},
                    new float[] {0.65f, 0.3f, 1f}).withDivisor(new float[] {1f, 1f, 1f}, true),
            SparseOp.plain(w, SparseOp.ELECT_COUNT, false, 1f, 1f, 5, 11).withFixedProb(new float[] {0.9f, 0.1f, 0.5f}),
            SparseOp.plain(w, SparseOp.ELECT_NONE, true, 1.6f, 1f, 5, 11).withBand(from, below),
            SparseKernelsTest.kept(true, 3, 0.001f),
            SparseKernelsTest.lone(true, 0.001f, 1.25f, 1f, 1.0625f),
        };
        SplittableRandom r = new SplittableRandom(n);
        for (int o = 0; o < ops.length; o++) {
            byte[] whole = run(ops[o], d, n, new int[] {n});
            int[] cuts = new int[1 + r.nextInt(6)];
            for (int c = 0; c < cuts.length; c++) {
                cuts[c] = 1 + r.nextInt(Math.max(1, n / 2 + 1));
            }
            assertThat(run(ops[o], d, n, cuts)).as("op %d cuts %s", o, java.util.Arrays.toString(cuts)).isEqualTo(whole);
            assertThat(run(ops[o], d, n, new int[] {1})).as("op %d one element at a time", o).isEqualTo(whole);
            // keptCounts: any cut adds up to the whole tensor's counts
            long[] all = new long[6];
            k.keptCounts(ops[o], d.xs(), d.base(), 0, n, all);
            long[] pieces = new long[6];
            for (int s = 0, c = 0; s < n; c++) {
                int len = Math.min(cuts[c % cuts.length], n - s);
                k.keptCounts(ops[o], d.xs(), d.base(), s, len, pieces);
                s += len;
            }
            assertThat(pieces).as("op %d counts cut %s", o, java.util.Arrays.toString(cuts)).containsExactly(all);
        }
    }

    /** Computes the tensor in chunks whose sizes cycle through {@code sizes}, into one BF16 output. */
    private byte[] run(SparseOp op, Data d, int n, int[] sizes) {
        MemorySegment out = MemorySegment.ofArray(new byte[2 * n]);
        int c = 0;
        for (int start = 0; start < n; c++) {
            int len = Math.min(sizes[c % sizes.length], n - start);
            k.sparseMerge(op, d.xs(), d.base(), new Operand(out.asSlice(2L * start), DType.BF16), start, len);
            start += len;
        }
        return out.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }

    static float[] stored(DType t, float[] v) {
        MemorySegment s = TestModels.encode(t, v);
        float[] r = new float[v.length];
        for (int j = 0; j < v.length; j++) {
            r[j] = TestModels.get(s, t, j);
        }
        return r;
    }

    static Operand misaligned(DType t, float[] v) {
        MemorySegment enc = TestModels.encode(t, v);
        MemorySegment big = MemorySegment.ofArray(new byte[(int) enc.byteSize() + 3]);
        MemorySegment.copy(enc, 0, big, 3, enc.byteSize());
        return new Operand(big.asSlice(3), t);
    }
}
