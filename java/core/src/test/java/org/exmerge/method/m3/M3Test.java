package org.exmerge.method.m3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.exmerge.format.DType;
import org.exmerge.method.MergeMethod;
import org.exmerge.method.PassPlan;
import org.exmerge.method.ParameterException;
import org.exmerge.method.PlanRunner;
import org.exmerge.method.RunMetadata;
import org.exmerge.method.TensorPlan;
import org.exmerge.method.TestParams;
import org.exmerge.method.sparse.SparseFamily;
import org.exmerge.testing.TestModels;
import org.junit.jupiter.api.Test;

/** M3 is its base method with weights (λ, 1 − λ): drawn from the seed, or given by lambda_override. */
class M3Test {
    static final int N = 4097;
    static final float[] B = PlanRunner.stored(DType.BF16, TestModels.random(1, N, 0.02f));
    static final float[][] X = {
        PlanRunner.stored(DType.BF16, TestModels.random(2, N, 0.02f)),
        PlanRunner.stored(DType.BF16, TestModels.random(3, N, 0.02f)),
    };

    static float[] run(MergeMethod m, TestParams p, long seed) {
        return PlanRunner.run(m.plan(p, 2), B, X, new long[] {N}, DType.BF16, DType.BF16, seed, 1000);
    }

    @Test
    void drawnLambdaWeightsTheBaseMethod() {
        for (String base : new String[] {"linear", "task_arithmetic", "ties", "dare_ties", "dare_linear"}) {
            long seed = 11;
            double l = M3Lambda.draw(seed, 0.7);
            TestParams m3 = new TestParams(2).set("base_method", base).set("alpha", 0.7);
            TestParams plain = new TestParams(2).set(0, "weight", l).set(1, "weight", 1 - l);
            if (M3.BASES.get(base).signature().modelParams().contains("density")) {
                m3.set("density", 0.6);
                plain.set("density", 0.6);
            }
            assertThat(run(M3.INSTANCE, m3, seed)).as(base).containsExactly(run(M3.BASES.get(base), plain, seed));
        }
    }

    @Test
    void lambdaOverrideRebuildsACandidateWithoutDrawing() {
        TestParams m3 = new TestParams(2).set("base_method", "ties").set("lambda_override", 0.3).set("density", 0.5);
        TestParams ties = new TestParams(2).set(0, "weight", 0.3).set(1, "weight", 1 - 0.3).set("density", 0.5);
        float[] expected = run(SparseFamily.TIES, ties, 0);
        assertThat(run(M3.INSTANCE, m3, 0)).containsExactly(expected);
        assertThat(run(M3.INSTANCE, m3, 99)).as("the seed no longer matters").containsExactly(expected);
    }

    @Test
    void theRunMetadataRecordsTheLambdaUsed() {
        TensorPlan plan = M3.INSTANCE.plan(new TestParams(2).set("alpha", 2.0), 2);
        assertThat(plan).isInstanceOf(RunMetadata.class);
        assertThat(((RunMetadata) plan).metadata(5))
                .containsEntry("exmerge.m3.lambda", Double.toString(M3Lambda.draw(5, 2.0)))
                .containsEntry("exmerge.m3.base_method", "task_arithmetic")
                .containsEntry("exmerge.m3.alpha", "2.0");
        // The recorded text parses back to the same double, so lambda_override rebuilds bit for bit.
        String recorded = ((RunMetadata) plan).metadata(5).get("exmerge.m3.lambda");
        assertThat(Double.parseDouble(recorded)).isEqualTo(M3Lambda.draw(5, 2.0));
        RunMetadata fixed = (RunMetadata) M3.INSTANCE.plan(new TestParams(2).set("lambda_override", 0.25), 2);
        assertThat(fixed.metadata(5)).containsEntry("exmerge.m3.lambda", "0.25").containsEntry("exmerge.m3.alpha", "override");
    }

    @Test
    void tiesWithModelScopeStaysAModelScopePlan() {
        TensorPlan plan = M3.INSTANCE.plan(new TestParams(2).set("base_method", "ties").set("scope", "model")
                .set("density", 0.4), 2);
        assertThat(plan).isInstanceOf(PassPlan.class);
        @SuppressWarnings("unchecked")
        PassPlan<long[]> waits = (PassPlan<long[]>) plan;
        PassPlan<?> ties = (PassPlan<?>) org.exmerge.method.sparse.SparseFamily.TIES.plan(new TestParams(2).set("scope", "model")
                .set("density", 0.4), 2);
        assertThat(waits.pass()).as("TIES's own pass, which λ does not change").isEqualTo(ties.pass());
        assertThat(waits.resolve(new long[] {0, 0})).isInstanceOf(RunMetadata.class);
    }

    @Test
    void configErrorsNameTheParameter() {
        assertThatThrownBy(() -> M3.INSTANCE.plan(new TestParams(2).set(1, "weight", 0.5), 2))
                .isInstanceOf(ParameterException.class).hasMessageContaining("models[1].parameters.weight")
                .hasMessageContaining("lambda_override");
        assertThatThrownBy(() -> M3.INSTANCE.plan(new TestParams(2).set("base_method", "slerp"), 2))
                .isInstanceOf(ParameterException.class).hasMessageContaining("parameters.base_method");
        assertThatThrownBy(() -> M3.INSTANCE.plan(new TestParams(2).set("base_method", "linear").set("density", 0.5), 2))
                .isInstanceOf(ParameterException.class).hasMessageContaining("parameters.density").hasMessageContaining("linear");
        assertThatThrownBy(() -> M3.INSTANCE.plan(new TestParams(2).set(0, "density", 0.5), 2))
                .as("task_arithmetic takes no density").isInstanceOf(ParameterException.class)
                .hasMessageContaining("models[0].parameters.density");
        assertThatThrownBy(() -> M3.INSTANCE.plan(new TestParams(2).set("alpha", 0.0), 2))
                .isInstanceOf(ParameterException.class).hasMessageContaining("parameters.alpha");
        assertThatThrownBy(() -> M3.INSTANCE.plan(new TestParams(2).set("lambda_override", 1.5), 2))
                .isInstanceOf(ParameterException.class).hasMessageContaining("parameters.lambda_override");
        assertThatThrownBy(() -> M3.INSTANCE.plan(new TestParams(2).set("base_method", "ties").set("consensus", "max"), 2))
                .as("the base method's own checks run at plan time").isInstanceOf(ParameterException.class)
                .hasMessageContaining("parameters.consensus");
    }
}
