package org.exmerge.numeric;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntToDoubleFunction;
import org.exmerge.format.DType;
import org.exmerge.numeric.TestTensors.Tensor;
import org.junit.jupiter.api.Test;

class BlockReductionTest {
    private static final int[] SIZES = {0, 1, 63, 64, 65, 2047, 2048, 2049, 65535, 65536, 65537, 200000};
    private static final DType[] TYPES =
            {DType.F32, DType.F16, DType.BF16, DType.F64, DType.F8_E4M3, DType.F8_E5M2};

    @Test
    void matchesTheSpecOrderWrittenOutNaively() {
        long seed = 0xB10CL;
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int ti = 0; ti < TYPES.length; ti++) {
            for (int n : SIZES) {
                Tensor x = TestTensors.random(TYPES[ti], n, rnd);
                Tensor y = TestTensors.random(TYPES[(ti + 1) % TYPES.length], n, rnd);
                String at = TYPES[ti] + " n=" + n + " seed " + seed;
                double[] xv = x.values();
                double[] yv = y.values();
                assertSameBits(BlockReduction.sumSquares(x.segment(), x.type(), n), specOrder(n, i -> xv[i] * xv[i]),
                        "sumSquares " + at);
                assertSameBits(BlockReduction.sumAbs(x.segment(), x.type(), n), specOrder(n, i -> Math.abs(xv[i])),
                        "sumAbs " + at);
                assertSameBits(BlockReduction.dot(x.segment(), x.type(), y.segment(), y.type(), n),
                        specOrder(n, i -> xv[i] * yv[i]), "dot " + at);
                double max = 0;
                for (double v : xv) {
                    max = Math.max(max, Math.abs(v));
                }
                assertSameBits(BlockReduction.maxAbs(x.segment(), x.type(), n), max, "maxAbs " + at);
            }
        }
    }

    @Test
    void staysWithinTheRoundingBoundOfTheExactSum() {
        long seed = 0xE4AC7L;
        SplittableRandom rnd = new SplittableRandom(seed);
        for (DType t : new DType[] {DType.F32, DType.F16, DType.BF16, DType.F64}) {
            for (int n : SIZES) {
                Tensor x = TestTensors.random(t, n, rnd);
                BigDecimal exact = BigDecimal.ZERO;
                BigDecimal magnitude = BigDecimal.ZERO;
                for (double v : x.values()) {
                    BigDecimal b = new BigDecimal(v);
                    exact = exact.add(b.multiply(b));
                    magnitude = magnitude.add(b.multiply(b));
                }
                // Each result is the exact sum of its terms with at most 1024 lane additions, 6 folds,
                // one addition per block and (for F64 inputs) the rounded product: relative error
                // per step at most 2^-53.
                double steps = 1024 + 6 + BlockReduction.blockCount(n) + 1;
                double bound = magnitude.doubleValue() * steps * 0x1p-53 * 1.01;
                double got = BlockReduction.sumSquares(x.segment(), t, n);
                double err = new BigDecimal(got).subtract(exact).abs().doubleValue();
                assertThat(err).as("%s n=%d seed %d", t, n, seed).isLessThanOrEqualTo(bound);
                if (n > 0) {
                    assertThat(got).isPositive();
                }
            }
        }
    }

    @Test
    void blocksComputedInAnyOrderAddUpToTheWholeTensor() {
        long seed = 0xB10C5L;
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int n : SIZES) {
            Tensor x = TestTensors.random(DType.BF16, n, rnd);
            Tensor y = TestTensors.random(DType.F32, n, rnd);
            int blocks = (int) BlockReduction.blockCount(n);
            double[] sq = new double[blocks];
            double[] abs = new double[blocks];
            double[] dot = new double[blocks];
            double[] ysq = new double[blocks];
            double max = 0;
            for (int b = blocks - 1; b >= 0; b--) { // backwards: only the final addition is ordered
                long start = (long) b * BlockReduction.BLOCK_SIZE;
                sq[b] = BlockReduction.blockSumSquares(x.segment(), x.type(), start, n);
                abs[b] = BlockReduction.blockSumAbs(x.segment(), x.type(), start, n);
                dot[b] = BlockReduction.blockDot(x.segment(), x.type(), y.segment(), y.type(), start, n);
                max = Math.max(max, BlockReduction.blockMaxAbs(x.segment(), x.type(), start, n));
                double[] three = new double[3];
                BlockReduction.blockSumSquaresAndDot(x.segment(), x.type(), y.segment(), y.type(), start, n, three);
                assertSameBits(three[0], sq[b], "fused x² block " + b);
                assertSameBits(three[2], dot[b], "fused xy block " + b);
                ysq[b] = three[1];
            }
            String at = "n=" + n + " seed " + seed;
            assertSameBits(BlockReduction.addBlocks(sq),
                    BlockReduction.sumSquares(x.segment(), x.type(), n), "x² " + at);
            assertSameBits(BlockReduction.addBlocks(abs), BlockReduction.sumAbs(x.segment(), x.type(), n), "|x| " + at);
            assertSameBits(BlockReduction.addBlocks(dot),
                    BlockReduction.dot(x.segment(), x.type(), y.segment(), y.type(), n), "xy " + at);
            assertSameBits(max, BlockReduction.maxAbs(x.segment(), x.type(), n), "max " + at);
            double[] fused = new double[3];
            BlockReduction.sumSquaresAndDot(x.segment(), x.type(), y.segment(), y.type(), n, fused);
            assertSameBits(fused[0], BlockReduction.addBlocks(sq), "fused x² " + at);
            assertSameBits(fused[1], BlockReduction.addBlocks(ysq), "fused y² " + at);
            assertSameBits(fused[1], BlockReduction.sumSquares(y.segment(), y.type(), n), "fused y² whole " + at);
            assertSameBits(fused[2], BlockReduction.addBlocks(dot), "fused xy " + at);
        }
    }

    @Test
    void pinsLaneFoldAndBlockOrder() {
        // Terms 2^53 then ones. Left to right every +1 ties back to 2^53; the spec's order keeps the
        // ones together in lanes and folds them in pairs, losing only the 1 that meets 2^53 first.
        assertThat(sumAbsF64(64, i -> i == 0 ? 0x1p53 : 1)).isEqualTo(0x1p53 + 62); // exact: +63
        assertThat(sumAbsF64(128, i -> i == 0 ? 0x1p53 : 1)).isEqualTo(0x1p53 + 126); // exact: +127
        // One term per block: blocks add left to right, so both ones tie away.
        int n = 2 * BlockReduction.BLOCK_SIZE + 1;
        assertThat(sumAbsF64(n, i -> i == 0 ? 0x1p53 : i % BlockReduction.BLOCK_SIZE == 0 ? 1 : 0))
                .isEqualTo(0x1p53);
        // The same through float32 products: 2^27 · 2^26 = 2^53.
        float[] x = new float[128];
        float[] y = new float[128];
        Arrays.fill(x, 1f);
        Arrays.fill(y, 1f);
        x[0] = 0x1p27f;
        y[0] = 0x1p26f;
        assertThat(BlockReduction.dot(f32(x), DType.F32, f32(y), DType.F32, 128)).isEqualTo(0x1p53 + 126);
    }

    @Test
    void readsLittleEndianAtAnyAlignment() {
        byte[] f32 = {0, 0, (byte) 0x80, 0x3F, 0, 0, 0, 0x40, 0, 0, 0x40, (byte) 0xC0}; // 1, 2, -3
        byte[] bf16 = {(byte) 0x80, 0x3F, 0x40, (byte) 0xC0}; // 1, -3
        for (int off = 0; off < 8; off++) {
            MemorySegment s = TestTensors.misaligned(f32, off);
            assertThat(BlockReduction.sumSquares(s, DType.F32, 3)).as("offset %d", off).isEqualTo(14.0);
            assertThat(BlockReduction.sumAbs(s, DType.F32, 3)).isEqualTo(6.0);
            assertThat(BlockReduction.maxAbs(s, DType.F32, 3)).isEqualTo(3.0);
            MemorySegment b = TestTensors.misaligned(bf16, off);
            assertThat(BlockReduction.dot(b, DType.BF16, s, DType.F32, 2)).isEqualTo(1.0 - 6.0);
        }
    }

    @Test
    void handlesSpecialValues() {
        MemorySegment nan = f32(new float[] {1f, Float.NaN, 2f});
        assertThat(BlockReduction.maxAbs(nan, DType.F32, 3)).isNaN();
        assertThat(BlockReduction.sumSquares(nan, DType.F32, 3)).isNaN();
        MemorySegment inf = f32(new float[] {1f, Float.NEGATIVE_INFINITY});
        assertThat(BlockReduction.maxAbs(inf, DType.F32, 2)).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(BlockReduction.sumAbs(inf, DType.F32, 2)).isEqualTo(Double.POSITIVE_INFINITY);
        MemorySegment zeros = f32(new float[] {-0f, -0f});
        assertThat(Double.doubleToRawLongBits(BlockReduction.maxAbs(zeros, DType.F32, 2))).isZero();
        assertThat(Double.doubleToRawLongBits(BlockReduction.dot(zeros, DType.F32, f32(new float[] {1f, 1f}),
                DType.F32, 2))).as("lanes start at +0.0, so -0 terms give +0").isZero();
        assertThat(Double.doubleToRawLongBits(BlockReduction.sumSquares(MemorySegment.NULL, DType.F32, 0))).isZero();
        MemorySegment tiny = f32(new float[] {Float.MIN_VALUE, Float.MIN_VALUE});
        assertThat(BlockReduction.sumSquares(tiny, DType.F32, 2)).isEqualTo(2 * 0x1p-298); // exact in float64
    }

    @Test
    void rejectsBadArguments() {
        MemorySegment s = f32(new float[4]);
        Class<IllegalArgumentException> bad = IllegalArgumentException.class;
        assertThatThrownBy(() -> BlockReduction.sumSquares(s, DType.I32, 4)).isInstanceOf(bad);
        assertThatThrownBy(() -> BlockReduction.sumSquares(s, DType.F32, 5)).isInstanceOf(bad);
        assertThatThrownBy(() -> BlockReduction.sumSquares(s, DType.F32, -1)).isInstanceOf(bad);
        assertThatThrownBy(() -> BlockReduction.blockSumSquares(s, DType.F32, 4, 4))
                .isInstanceOf(IllegalArgumentException.class);
        MemorySegment big = f32(new float[BlockReduction.BLOCK_SIZE + 10]);
        assertThatThrownBy(() -> BlockReduction.blockSumSquares(big, DType.F32, 1, BlockReduction.BLOCK_SIZE + 10))
                .isInstanceOf(IllegalArgumentException.class);
        int block = BlockReduction.BLOCK_SIZE;
        assertThat(BlockReduction.blockSumSquares(big, DType.F32, block, block + 10))
                .isZero();
    }

    // numerics §4 read literally: per block, lane i % 64 adds term i; pairwise fold; blocks left to right.
    static double specOrder(int n, IntToDoubleFunction term) {
        double total = 0.0;
        for (int start = 0; start < n; start += 65536) {
            double[] p = new double[64];
            for (int i = start; i < Math.min(n, start + 65536); i++) {
                p[(i - start) % 64] += term.applyAsDouble(i);
            }
            for (int s = 32; s >= 1; s /= 2) {
                for (int l = 0; l < s; l++) {
                    p[l] = p[l] + p[l + s];
                }
            }
            total += p[0];
        }
        return total;
    }

    private static double sumAbsF64(int n, IntToDoubleFunction value) {
        MemorySegment seg = Arena.ofAuto().allocate(8L * n, 8);
        ValueLayout.OfDouble le = ValueLayout.JAVA_DOUBLE.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            seg.setAtIndex(le, i, value.applyAsDouble(i));
        }
        return BlockReduction.sumAbs(seg, DType.F64, n);
    }

    private static MemorySegment f32(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return TestTensors.misaligned(b.array(), 1);
    }

    private static void assertSameBits(double actual, double expected, String context) {
        assertThat(Double.doubleToRawLongBits(actual))
                .as("%s: got %s, expected %s", context, actual, expected)
                .isEqualTo(Double.doubleToRawLongBits(expected));
    }
}
