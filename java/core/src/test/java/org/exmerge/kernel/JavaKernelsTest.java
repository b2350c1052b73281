package org.exmerge.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import org.exmerge.format.DType;
import org.exmerge.numeric.Bf16;
import org.exmerge.testing.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JavaKernelsTest {
    private final Kernels k = new JavaKernels();

    private static Operand f32(float... v) {
        return new Operand(TestModels.encode(DType.F32, v), DType.F32);
    }

    private static Operand out(DType t, int n) {
        return new Operand(MemorySegment.ofArray(new byte[Math.max(1, n) * t.size()]), t);
    }

    private static float[] read(Operand o, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = TestModels.get(o.segment(), o.type(), i);
        }
        return v;
    }

    @Test
    void linearNormalisesByTheWeightSum() {
        Operand o = out(DType.F32, 2);
        LinearOp op = new LinearOp(new double[] {1, 3}, false, true, 4, 1);
        k.linear(op, new Operand[] {f32(2, -4), f32(6, 8)}, null, o, 2);
        assertThat(read(o, 2)).containsExactly(5f, 5f); // (1·2 + 3·6)/4, (1·−4 + 3·8)/4
    }

    @Test
    void slerpsProductsKeepNegativeZeroWhereTheLinearFamilyStartsFromPlusZero() {
        // numerics §4: fma(c2, x2, c1·x1) with c1·x1 exact, so (−0)·c1 + (−0)·c2 is −0; numerics §2's
        // soup starts its sum at +0, so the same terms give +0. Both in BF16 and F32.
        for (DType t : new DType[] {DType.F32, DType.BF16}) {
            Operand[] xs = {new Operand(TestModels.encode(t, new float[] {-0f, -0f, 1f}), t),
                new Operand(TestModels.encode(t, new float[] {-0f, 0f, -0f}), t)};
            Operand slerp = out(t, 3);
            k.linear(LinearOp.products(new double[] {0.25, 0.75}), xs, null, slerp, 3);
            Operand soup = out(t, 3);
            k.linear(new LinearOp(new double[] {0.25, 0.75}, false, false, 1, 1), xs, null, soup, 3);
            float[] s = read(slerp, 3);
            float[] l = read(soup, 3);
            assertThat(Float.floatToRawIntBits(s[0])).as(t + " slerp −0·c1 + −0·c2").isEqualTo(0x80000000);
            assertThat(Float.floatToRawIntBits(l[0])).as(t + " soup").isZero();
            assertThat(Float.floatToRawIntBits(s[1])).as(t + " −0 + +0").isZero();
            assertThat(s[2]).isEqualTo(l[2]).isEqualTo(0.25f);
        }
    }

    @Test
    void taskArithmeticAddsScaledDeltasToTheBase() {
        Operand o = out(DType.F32, 2);
        LinearOp op = new LinearOp(new double[] {0.5, 2}, true, false, 1, 0.5);
        k.linear(op, new Operand[] {f32(3, 1), f32(2, 1)}, f32(1, 1), o, 2);
        // d = 0.5·(3−1) + 2·(2−1) = 3; out = 0.5·3 + 1 = 2.5; second element: all deltas zero.
        assertThat(read(o, 2)).containsExactly(2.5f, 1f);
    }

    @Test
    void exmeHandComputed() {
        // β = 0.25, α1 = 1, α2 = 3 → w1 = 0.25·2 = 0.5, w2 = 0.75·4 = 3; b = 1, x1 = 3, x2 = 2: d = 0.5·2 + 3·1 = 4 → 5.
        Operand o = out(DType.BF16, 1);
        LinearOp op = new LinearOp(new double[] {0.25 * 2, 0.75 * 4}, true, false, 1, 1);
        k.linear(op, new Operand[] {f32(3), f32(2)}, f32(1), o, 1);
        assertThat(read(o, 1)).containsExactly(5f);
    }

    @Test
    void fmaIsFusedNotMultiplyThenAdd() {
        // w·x − w·x rounded separately loses the low bits; with fma the first product is exact.
        float w = 1.0f + 0x1p-12f;
        float x = 1.0f + 0x1p-12f;
        Operand o = out(DType.F32, 1);
        // acc = fma(w, x, 0) = round(w·x); acc = fma(-w, x, acc) = exact residual of that rounding.
        LinearOp op = new LinearOp(new double[] {w, -w}, false, false, 1, 1);
        k.linear(op, new Operand[] {f32(x), f32(x)}, null, o, 1);
        float rounded = w * x;
        float expected = Math.fma(-w, x, rounded);
        assertThat(expected).isNotZero();
        assertThat(read(o, 1)).containsExactly(expected);
    }

    @Test
    void narrowingRoundsToNearestEvenAndCanonicalisesNaN() {
        float halfway = Float.intBitsToFloat(0x3F808000); // exactly between two bf16 values; even is 0x3F80
        Operand o = out(DType.BF16, 3);
        LinearOp op = new LinearOp(new double[] {1}, false, false, 1, 1);
        k.linear(op, new Operand[] {f32(halfway, Float.intBitsToFloat(0x7FA00001), Float.intBitsToFloat(0x3F818000))}, null, o, 3);
        short[] bits = new short[3];
        for (int i = 0; i < 3; i++) {
            bits[i] = o.segment().get(Lanes.I16, 2L * i);
        }
        assertThat(bits).containsExactly((short) 0x3F80, (short) 0x7FC0, (short) 0x3F82);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 15, 16, 17, 33, 2047, 2048, 2049, 4097})
    void everySizeAndMisalignedOffsetGivesTheElementwiseSpec(int n) {
        float[] b = TestModels.random(11 + n, n, 0.02f);
        float[] x1 = TestModels.random(12 + n, n, 0.02f);
        float[] x2 = TestModels.random(13 + n, n, 0.02f);
        // Inputs misaligned by one byte inside a larger segment; mixed input types.
        Operand ob = misaligned(DType.BF16, b);
        Operand o1 = misaligned(DType.F16, x1);
        Operand o2 = misaligned(DType.F32, x2);
        double w1 = 0.1 * 1.5;
        double w2 = 0.9 * 1.1;
        LinearOp op = new LinearOp(new double[] {w1, w2}, true, false, 1, 1);
        Operand o = out(DType.BF16, n);
        k.linear(op, new Operand[] {o1, o2}, ob, o, n);
        for (int j = 0; j < n; j++) {
            float bj = TestModels.get(ob.segment(), DType.BF16, j);
            float d = Math.fma((float) w1, TestModels.get(o1.segment(), DType.F16, j) - bj, 0f);
            d = Math.fma((float) w2, TestModels.get(o2.segment(), DType.F32, j) - bj, d);
            short expected = Bf16.fromFloat(Math.fma(1f, d, bj));
            assertThat(o.segment().get(Lanes.I16, 2L * j)).as("n=%d j=%d", n, j).isEqualTo(expected);
        }
    }

    private static Operand misaligned(DType t, float[] v) {
        MemorySegment enc = TestModels.encode(t, v);
        MemorySegment big = MemorySegment.ofArray(new byte[(int) enc.byteSize() + 1]);
        MemorySegment.copy(enc, 0, big, 1, enc.byteSize());
        return new Operand(big.asSlice(1), t);
    }

    @Test
    void f64InputsComputeInDouble() {
        Operand x = new Operand(MemorySegment.ofArray(new double[] {1.0 / 3}), DType.F64);
        Operand o = new Operand(MemorySegment.ofArray(new double[1]), DType.F64);
        k.linear(new LinearOp(new double[] {3}, false, false, 1, 1), new Operand[] {x}, null, o, 1);
        assertThat(o.segment().get(Lanes.F64, 0)).isEqualTo(Math.fma(3.0, 1.0 / 3, 0.0));
    }

    @Test
    void convertWidensExactlyAndCopiesIntegers() {
        Operand in = new Operand(TestModels.encode(DType.BF16, new float[] {1.5f, -2.25f}), DType.BF16);
        Operand o = out(DType.F32, 2);
        k.convert(in, o, 2);
        assertThat(read(o, 2)).containsExactly(1.5f, -2.25f);
        Operand ints = new Operand(TestModels.encode(DType.I64, new float[] {7, -9}), DType.I64);
        Operand io = out(DType.I64, 2);
        k.convert(ints, io, 2);
        assertThat(io.segment().toArray(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED)).containsExactly(7L, -9L);
        assertThatThrownBy(() -> k.convert(ints, o, 2)).isInstanceOf(IllegalArgumentException.class);
    }
}
