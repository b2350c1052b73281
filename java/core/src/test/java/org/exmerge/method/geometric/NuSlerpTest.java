package org.exmerge.method.geometric;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import org.exmerge.format.DType;
import org.exmerge.kernel.Operand;
import org.exmerge.method.ParameterException;
import org.exmerge.method.PlanRunner;
import org.exmerge.method.TensorPlan;
import org.exmerge.testing.GeometryOracle;
import org.exmerge.testing.TestModels;
import org.junit.jupiter.api.Test;

class NuSlerpTest {
    static final long SEED = 0x9e51e4bL;

    /** mergekit's nuslerp for one pair of vectors, restated from its source: (c₁, c₂). */
    static double[] reference(double t, float[] v1, float[] v2) {
        double n1 = Math.max(StrictMath.sqrt(GeometryOracle.dot(v1, v1)), 1e-7);
        double n2 = Math.max(StrictMath.sqrt(GeometryOracle.dot(v2, v2)), 1e-7);
        double cos = Math.max(-1, Math.min(1, GeometryOracle.dot(v1, v2) / (n1 * n2)));
        double theta = StrictMath.acos(cos);
        double sin = StrictMath.sin(theta);
        if (Math.abs(sin) < 1e-8) {
            return new double[] {1 - t, t};
        }
        return new double[] {StrictMath.sin((1 - t) * theta) / sin, StrictMath.sin(t * theta) / sin};
    }

    @Test
    void tComesFromTheWeights() {
        assertThat(describe(1, 3)).contains("t=0.75");
        assertThat(describe(2, 2)).contains("t=0.5");
        // |w₁ + w₂| < 1e-6: mergekit's fallback to the midpoint.
        assertThat(describe(1, -1)).contains("t=0.5");
    }

    static String describe(double w1, double w2) {
        return NuSlerp.INSTANCE.plan(new PlanRunner.Params().each("weight", w1, w2), 2).describe();
    }

    @Test
    void colinearVectorsAreInterpolatedLinearlyAndZeroVectorsMeetAtARightAngle() {
        assertThat(NuSlerp.coefficients(0.3, 1.0, 4.0, 2.0)).containsExactly(1 - 0.3, 0.3);
        assertThat(NuSlerp.coefficients(0.3, 1.0, 4.0, -2.0)).containsExactly(1 - 0.3, 0.3);
        // A zero vector's norm is clamped to 1e-7, so cos = 0 and θ = π/2.
        double theta = StrictMath.acos(0.0);
        assertThat(NuSlerp.coefficients(0.3, 0.0, 4.0, 0.0)).containsExactly(
                StrictMath.sin(0.7 * theta) / StrictMath.sin(theta), StrictMath.sin(0.3 * theta) / StrictMath.sin(theta));
    }

    @Test
    void everyLayoutWithAndWithoutBaseMatchesMergekitsFormulaPerVector() {
        long[][] shapes = {{33, 65}, {5, 300}, {3, 4, 5}, {17}, {0, 4}};
        for (long[] shape : shapes) {
            int n = (int) TestModels.count(shape);
            float[] b = PairSumsTest.stored(DType.BF16, TestModels.random(SEED + n, n, 0.02f));
            float[] x1 = PairSumsTest.stored(DType.BF16, TestModels.random(SEED + n + 1, n, 0.02f));
            float[] x2 = TestModels.random(SEED + n + 2, n, 0.02f);
            for (boolean withBase : new boolean[] {false, true}) {
                for (String mode : new String[] {"flatten", "rows", "dim0"}) {
                    PlanRunner.Params p = new PlanRunner.Params().each("weight", 0.6, 1.4)
                            .set("nuslerp_flatten", mode.equals("flatten")).set("nuslerp_row_wise", mode.equals("dim0"));
                    TensorPlan plan = NuSlerp.INSTANCE.plan(p, 2);
                    Operand[] xs = {PlanRunner.operand(DType.BF16, x1), PlanRunner.operand(DType.F32, x2)};
                    Operand base = withBase ? PlanRunner.operand(DType.BF16, b) : null;
                    MemorySegment out = PlanRunner.run(plan, base, xs, shape, DType.F32, 7);
                    MemorySegment again = PlanRunner.run(plan, base, xs, shape, DType.F32, 1000);
                    assertThat(again.mismatch(out)).as("chunking changed bytes").isEqualTo(-1L);
                    float[] got = PlanRunner.floats(out, DType.F32);
                    float[] expected = expected(shape, mode, withBase ? b : null, x1, x2, 1.4 / 2.0);
                    for (int i = 0; i < n; i++) {
                        assertThat(got[i]).as("%s %s base=%s [%d] seed %x", java.util.Arrays.toString(shape), mode, withBase, i, SEED)
                                .isEqualTo(expected[i]);
                    }
                }
            }
        }
    }

    /** Gathers each vector, finds its coefficients, and combines element by element. */
    static float[] expected(long[] shape, String mode, float[] base, float[] x1, float[] x2, double t) {
        int n = x1.length;
        float[] v1 = base == null ? x1 : GeometryOracle.minus(x1, base);
        float[] v2 = base == null ? x2 : GeometryOracle.minus(x2, base);
        int[][] vectors;
        if (mode.equals("flatten") || shape.length == 1 || n == 0) {
            vectors = new int[][] {range(0, n, 1)};
        } else if (mode.equals("rows")) {
            int len = (int) shape[shape.length - 1];
            vectors = new int[n / len][];
            for (int p = 0; p < vectors.length; p++) {
                vectors[p] = range(p * len, len, 1);
            }
        } else {
            int count = n / (int) shape[0];
            vectors = new int[count][];
            for (int p = 0; p < count; p++) {
                vectors[p] = range(p, (int) shape[0], count);
            }
        }
        float[] out = new float[n];
        for (int[] idx : vectors) {
            float[] a = new float[idx.length];
            float[] c = new float[idx.length];
            for (int k = 0; k < idx.length; k++) {
                a[k] = v1[idx[k]];
                c[k] = v2[idx[k]];
            }
            double[] coef = reference(t, a, c);
            for (int e : idx) {
                float d = GeometryOracle.combine(coef[0], coef[1], v1[e], v2[e]);
                out[e] = base == null ? d : Math.fma(1f, d, base[e]);
            }
        }
        return out;
    }

    static int[] range(int from, int len, int step) {
        int[] r = new int[len];
        for (int k = 0; k < len; k++) {
            r[k] = from + k * step;
        }
        return r;
    }

    @Test
    void weightsAreRequiredPerModel() {
        assertThatThrownBy(() -> NuSlerp.INSTANCE.plan(new PlanRunner.Params(), 2))
                .isInstanceOf(ParameterException.class).hasMessageContaining("weight");
    }
}
