package org.exmerge.method.geometric;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import org.exmerge.format.DType;
import org.exmerge.kernel.JavaKernels;
import org.exmerge.kernel.Operand;
import org.exmerge.method.Parallel;
import org.exmerge.numeric.BlockReduction;
import org.exmerge.testing.GeometryOracle;
import org.exmerge.testing.TestModels;
import org.junit.jupiter.api.Test;

class PairSumsTest {
    static final long SEED = 0x5e0e7a11L;
    private static final JavaKernels SPEC = new JavaKernels();

    static Operand operand(DType t, float[] v) {
        return new Operand(TestModels.encode(t, v), t);
    }

    /** Values as the inputs hold them (narrowed to the type, widened back). */
    static float[] stored(DType t, float[] v) {
        MemorySegment s = TestModels.encode(t, v);
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = TestModels.get(s, t, i);
        }
        return out;
    }

    @Test
    void wholeTensorSumsEqualBlockReductionBitForBit() {
        for (int n : new int[] {0, 1, 63, 64, 65, 2047, 2049, 65_535, 65_536, 65_537, 2 * 65_536 + 17}) {
            float[] a = TestModels.random(SEED + n, n, 0.02f);
            float[] b = TestModels.random(SEED + n + 1, n, 0.5f);
            Operand x = operand(DType.BF16, a);
            Operand y = operand(DType.F32, b);
            double[] s = PairSums.compute(SPEC, Parallel.SERIAL, new Operand[] {x, y}, null, Vectors.whole(n), PairSums.gramPairs(2))[0];
            assertThat(s[0]).as("n=%d seed %x", n, SEED).isEqualTo(BlockReduction.sumSquares(x.segment(), x.type(), n));
            assertThat(s[1]).as("n=%d", n).isEqualTo(BlockReduction.dot(x.segment(), x.type(), y.segment(), y.type(), n));
            assertThat(s[2]).as("n=%d", n).isEqualTo(BlockReduction.sumSquares(y.segment(), y.type(), n));
        }
    }

    @Test
    void rowsAreReducedEachAsATensorOfItsOwn() {
        int rows = 5;
        int cols = 65_536 + 70; // each row spans two blocks
        float[] a = TestModels.random(SEED, rows * cols, 0.02f);
        float[] b = TestModels.random(SEED + 1, rows * cols, 0.02f);
        Operand x = operand(DType.F16, a);
        Operand y = operand(DType.BF16, b);
        double[][] s = PairSums.compute(SPEC, Parallel.SERIAL, new Operand[] {x, y}, null, Vectors.lastDim(new long[] {rows, cols}), new int[][] {{0, 1}});
        for (int r = 0; r < rows; r++) {
            MemorySegment xr = x.segment().asSlice(2L * r * cols, 2L * cols);
            MemorySegment yr = y.segment().asSlice(2L * r * cols, 2L * cols);
            assertThat(s[r][0]).as("row %d", r).isEqualTo(BlockReduction.dot(xr, DType.F16, yr, DType.BF16, cols));
        }
    }

    @Test
    void stridedVectorsAreTheColumnsInSpecOrder() {
        // Columns that cross a block boundary, and more columns than one group holds.
        for (int[] rc : new int[][] {{65_536 + 3, 3}, {70, 300}}) {
            int rows = rc[0];
            int cols = rc[1];
            float[] a = stored(DType.BF16, TestModels.random(SEED + rows, rows * cols, 0.02f));
            float[] b = stored(DType.BF16, TestModels.random(SEED + cols, rows * cols, 0.02f));
            Vectors v = Vectors.firstDim(new long[] {rows, cols});
            assertThat(v.count()).isEqualTo(cols);
            double[][] s = PairSums.compute(SPEC, Parallel.SERIAL, new Operand[] {operand(DType.BF16, a), operand(DType.BF16, b)}, null, v, PairSums.gramPairs(2));
            for (int c = 0; c < cols; c++) {
                float[] ca = new float[rows];
                float[] cb = new float[rows];
                for (int r = 0; r < rows; r++) {
                    ca[r] = a[r * cols + c];
                    cb[r] = b[r * cols + c];
                }
                assertThat(s[c]).as("%d x %d column %d", rows, cols, c).containsExactly(
                        GeometryOracle.dot(ca, ca), GeometryOracle.dot(ca, cb), GeometryOracle.dot(cb, cb));
            }
        }
    }

    @Test
    void taskVectorsAreFormedInFloat32LikeTheKernel() {
        int n = 4097;
        float[] base = stored(DType.BF16, TestModels.random(SEED + 4, n, 0.02f));
        float[] x1 = stored(DType.F16, TestModels.random(SEED + 5, n, 0.02f));
        float[] x2 = TestModels.random(SEED + 6, n, 0.02f);
        double[][] s = PairSums.compute(SPEC, Parallel.SERIAL, new Operand[] {operand(DType.F16, x1), operand(DType.F32, x2)}, operand(DType.BF16, base),
                Vectors.whole(n), PairSums.gramPairs(2));
        float[] t1 = GeometryOracle.minus(x1, base);
        float[] t2 = GeometryOracle.minus(x2, base);
        assertThat(s[0]).containsExactly(GeometryOracle.dot(t1, t1), GeometryOracle.dot(t1, t2), GeometryOracle.dot(t2, t2));
    }

    @Test
    void gramIndexFindsEveryPair() {
        for (int m = 1; m <= 6; m++) {
            int[][] pairs = PairSums.gramPairs(m);
            assertThat(pairs.length).isEqualTo(m * (m + 1) / 2);
            for (int q = 0; q < pairs.length; q++) {
                assertThat(PairSums.gramIndex(m, pairs[q][0], pairs[q][1])).isEqualTo(q);
                assertThat(PairSums.gramIndex(m, pairs[q][1], pairs[q][0])).isEqualTo(q);
            }
        }
    }

    @Test
    void vectorLayoutsCoverEveryElementOnce() {
        long[] shape = {3, 4, 5};
        for (Vectors v : new Vectors[] {Vectors.lastDim(shape), Vectors.firstDim(shape), Vectors.whole(60)}) {
            boolean[] seen = new boolean[60];
            for (long p = 0; p < v.count(); p++) {
                for (long k = 0; k < v.length(); k++) {
                    int e = (int) v.element(p, k);
                    assertThat(seen[e]).as("%s element %d", v, e).isFalse();
                    seen[e] = true;
                    assertThat(v.vectorOf(e)).isEqualTo(p);
                }
            }
            assertThat(seen).doesNotContain(false);
        }
        assertThat(Vectors.firstDim(shape)).isEqualTo(new Vectors(20, 3, true));
        assertThat(Vectors.lastDim(shape)).isEqualTo(new Vectors(12, 5, false));
        assertThat(Vectors.lastDim(new long[] {7})).isEqualTo(Vectors.whole(7));
        assertThat(Vectors.firstDim(new long[] {0, 4})).isEqualTo(Vectors.whole(0));
    }
}
