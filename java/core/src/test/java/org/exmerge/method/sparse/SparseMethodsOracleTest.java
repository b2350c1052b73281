package org.exmerge.method.sparse;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.exmerge.format.DType;
import org.exmerge.method.MergeMethod;
import org.exmerge.method.PlanRunner;
import org.exmerge.method.TestParams;
import org.exmerge.numeric.Fnv1a;
import org.exmerge.testing.SparseOracle.Config;
import org.exmerge.testing.SparseOracle.Kind;
import org.exmerge.testing.SparseOracle;
import org.exmerge.testing.TestModels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every sparsify-and-elect method, planned from parameters and bound to seeded data of every tail
 * size, against {@link SparseOracle}'s sort-based per-element implementation, bit for bit.
 */
class SparseMethodsOracleTest {
    static final double[] W = {0.7, -0.4, 1.3};

    record Case(String label, MergeMethod method, TestParams params, Config oracle) {}

    static List<Case> cases() {
        double[] d = {0.5, 0.3, 0.9};
        return List.of(
            new Case("ties", SparseFamily.TIES, base().each("density", d),
                    Config.of(Kind.MAGNITUDE, W, d).elect(1).normalize(true)),
            new Case("ties count λ", SparseFamily.TIES, base().each("density", d).set("consensus", "count")
                    .set("normalize", false).set("lambda", 0.8),
                    Config.of(Kind.MAGNITUDE, W, d).elect(2).lambda(0.8)),
            new Case("ties l2", SparseFamily.TIES, base().each("density", d).set("rescale_norm", "l2"),
                    Config.of(Kind.MAGNITUDE, W, d).elect(1).normalize(true).rescale(true, 2)),
            new Case("dare_ties", SparseFamily.DARE_TIES, base().each("density", 0.4, 0.6, 1.0),
                    Config.of(Kind.RANDOM, W, new double[] {0.4, 0.6, 1.0}).elect(1).rescale(true, 0)),
            new Case("dare_linear l1", SparseFamily.DARE_LINEAR, base().set("density", 0.5).set("normalize", true)
                    .set("rescale_norm", "l1"),
                    Config.of(Kind.RANDOM, W, new double[] {0.5, 0.5, 0.5}).normalize(true).rescale(true, 1)),
            new Case("breadcrumbs", SparseFamily.BREADCRUMBS, base().each("density", 0.5, 0.3, 0.7).each("gamma", 0.05, 0.1, 0),
                    Config.of(Kind.OUTLIERS, W, new double[] {0.5, 0.3, 0.7}).gamma(0.05, 0.1, 0)),
            new Case("breadcrumbs_ties linf", SparseFamily.BREADCRUMBS_TIES, base().set("density", 0.6)
                    .set("rescale_norm", "linf"),
                    Config.of(Kind.OUTLIERS, W, new double[] {0.6, 0.6, 0.6}).elect(1).rescale(true, 3)),
            new Case("della", SparseFamily.DELLA, base().each("density", 0.5, 0.4, 0.7).each("epsilon", 0.1, 0.3, 0.2),
                    Config.of(Kind.RANKED, W, new double[] {0.5, 0.4, 0.7}).epsilon(0.1, 0.3, 0.2).elect(1)
                            .normalize(true).rescale(true, 0)),
            new Case("della_linear plain", SparseFamily.DELLA_LINEAR, base().set("density", 0.5).set("rescale", false),
                    Config.of(Kind.RANKED, W, new double[] {0.5, 0.5, 0.5})));
    }

    static TestParams base() {
        return new TestParams(3).each("weight", W);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 15, 16, 17, 33, 1023, 4097})
    void everyMethodEqualsTheOracle(int n) {
        float[] b = PlanRunner.stored(DType.BF16, TestModels.random(500 + n, n, 0.02f));
        float[][] x = new float[3][];
        for (int i = 0; i < 3; i++) {
            float[] delta = TestModels.random(600 + 10L * n + i, n, 0.002f);
            x[i] = new float[n];
            for (int j = 0; j < n; j++) {
                x[i][j] = b[j] + delta[j];
            }
            x[i] = PlanRunner.stored(DType.BF16, x[i]);
        }
        int row = n % 17 == 0 && n > 0 ? 17 : n % 33 == 0 && n > 0 ? 33 : Math.max(1, n);
        long seed = 0x5EEDL + n;
        int tid = Fnv1a.hash32(PlanRunner.NAME);
        for (Case c : cases()) {
            for (long[] shape : new long[][] {{n}, {n / row, row}}) {
                int rowLength = (int) Math.max(1, shape[shape.length - 1]);
                float[] expected = PlanRunner.stored(DType.BF16, SparseOracle.merge(c.oracle(), b, x, rowLength, seed, tid));
                for (int chunk : new int[] {7, 4096}) {
                    float[] got = PlanRunner.run(c.method().plan(c.params(), 3), b, x, shape, DType.BF16, DType.BF16, seed, chunk);
                    assertThat(got).as("%s n=%d shape=%s chunk=%d", c.label(), n, java.util.Arrays.toString(shape), chunk)
                            .containsExactly(expected);
                }
            }
        }
    }
}
