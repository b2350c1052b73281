package org.exmerge.method.geometric;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.exmerge.format.DType;
import org.exmerge.kernel.Operand;
import org.exmerge.method.ParameterException;
import org.exmerge.method.PlanRunner;
import org.exmerge.method.TensorPlan;
import org.exmerge.numeric.Bf16;
import org.exmerge.testing.GeometryOracle;
import org.exmerge.testing.TestModels;
import org.junit.jupiter.api.Test;

class SlerpTest {
    static final long SEED = 0x51e4bL;
    static final java.lang.foreign.ValueLayout.OfShort LE16 =
            java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    @Test
    void orthogonalUnitVectorsAtHalfwayGetSinQuarterPiOverSinHalfPi() {
        double[] c = Slerp.coefficients(0.5, 1.0, 1.0, 0.0);
        double expected = StrictMath.sin(Math.PI / 4) / StrictMath.sin(Math.PI / 2);
        assertThat(c[0]).isEqualTo(expected);
        assertThat(c[1]).isEqualTo(expected);
        // The result lies on the unit circle, unlike the linear midpoint (norm 1/√2).
        assertThat(c[0] * c[0] + c[1] * c[1]).isCloseTo(1.0, within(1e-15));
    }

    @Test
    void endsGiveTheEndTensorsExactly() {
        for (double[] s : new double[][] {{4.0, 9.0, 1.5}, {1.0, 1.0, 0.0}, {2.0, 3.0, -2.0}}) {
            assertThat(Slerp.coefficients(0.0, s[0], s[1], s[2])).containsExactly(1.0, 0.0);
            assertThat(Slerp.coefficients(1.0, s[0], s[1], s[2])).containsExactly(0.0, 1.0);
        }
    }

    @Test
    void parallelAndAntiParallelTensorsFallBackToLinear() {
        // x₂ = 3·x₁: dot = 1; x₂ = −x₁: dot = −1; and just above the 0.9995 threshold.
        assertThat(Slerp.coefficients(0.3, 1.0, 9.0, 3.0)).containsExactly(1 - 0.3, 0.3);
        assertThat(Slerp.coefficients(0.3, 1.0, 1.0, -1.0)).containsExactly(1 - 0.3, 0.3);
        assertThat(Slerp.coefficients(0.3, 1.0, 1.0, 0.99951)).containsExactly(1 - 0.3, 0.3);
        double[] below = Slerp.coefficients(0.3, 1.0, 1.0, 0.9994);
        assertThat(below[0]).isNotEqualTo(0.7);
    }

    @Test
    void nearZeroNormsLeaveTheirTensorUnnormalised() {
        // n₁ = 1e-9 ≤ 1e-8 counts as 1, so dot = Σx₁x₂ / n₂ = 1e-9·0.5/1 is tiny: a wide angle, not the fallback.
        double[] c = Slerp.coefficients(0.25, 1e-18, 1.0, 0.5e-9);
        double theta = StrictMath.acos(0.5e-9);
        assertThat(c).containsExactly(StrictMath.sin(0.75 * theta) / StrictMath.sin(theta), StrictMath.sin(0.25 * theta) / StrictMath.sin(theta));
    }

    @Test
    void randomTensorsMatchTheSpecElementByElement() {
        SplittableRandom r = new SplittableRandom(SEED);
        for (int n : new int[] {1, 17, 4097, 65_536 + 33}) {
            double t = r.nextDouble(-0.2, 1.2);
            float[] a = PairSumsTest.stored(DType.BF16, TestModels.random(SEED + n, n, 0.02f));
            float[] b = TestModels.random(SEED + n + 7, n, 0.02f);
            Operand base = PlanRunner.operand(DType.BF16, a);
            Operand other = PlanRunner.operand(DType.F32, b);
            TensorPlan plan = Slerp.INSTANCE.plan(new PlanRunner.Params().set("t", t), 1);
            MemorySegment out = PlanRunner.run(plan, base, new Operand[] {other}, new long[] {n}, DType.BF16, 1000);
            double[] c = GeometryOracle.slerpCoefficients(t, a, b);
            for (int i = 0; i < n; i++) {
                short expected = Bf16.fromFloat(GeometryOracle.combine(c[0], c[1], a[i], b[i]));
                assertThat(out.get(LE16, 2L * i)).as("n=%d t=%s [%d] seed %x", n, t, i, SEED)
                        .isEqualTo(expected);
            }
        }
    }

    @Test
    void tIsRequired() {
        assertThatThrownBy(() -> Slerp.INSTANCE.plan(new PlanRunner.Params(), 1))
                .isInstanceOf(ParameterException.class).hasMessageContaining("parameters.t");
    }
}
