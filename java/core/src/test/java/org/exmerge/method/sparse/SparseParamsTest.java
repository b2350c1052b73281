package org.exmerge.method.sparse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.exmerge.method.PassPlan;
import org.exmerge.method.ParameterException;
import org.exmerge.method.PlanRunner;
import org.exmerge.method.TensorPlan;
import org.exmerge.method.TestParams;
import org.junit.jupiter.api.Test;

/** Every parameter of the sparsify-and-elect family: defaults as mergekit's, and errors naming their config path. */
class SparseParamsTest {
    static SparseSettings settings(SparseFamily m, TestParams p) {
        return m.settings(p, 2);
    }

    @Test
    void defaultsFollowMergekit() {
        TestParams none = new TestParams(2);
        assertThat(settings(SparseFamily.TIES, none)).extracting(SparseSettings::normalize, SparseSettings::rescale,
                SparseSettings::election, SparseSettings::modelScope).containsExactly(true, false, 1, false);
        assertThat(settings(SparseFamily.DARE_TIES, none)).extracting(SparseSettings::normalize, SparseSettings::rescale,
                SparseSettings::election).containsExactly(false, true, 1);
        assertThat(settings(SparseFamily.DARE_LINEAR, none)).extracting(SparseSettings::normalize, SparseSettings::rescale,
                SparseSettings::election).containsExactly(false, true, 0);
        assertThat(settings(SparseFamily.BREADCRUMBS, none)).extracting(SparseSettings::normalize, SparseSettings::rescale,
                SparseSettings::election).containsExactly(false, false, 0);
        assertThat(settings(SparseFamily.BREADCRUMBS_TIES, none).election()).isEqualTo(1);
        assertThat(settings(SparseFamily.DELLA, new TestParams(2).set("density", 0.5))).extracting(SparseSettings::normalize,
                SparseSettings::rescale, SparseSettings::election).containsExactly(true, true, 1);
        assertThat(settings(SparseFamily.DELLA_LINEAR, new TestParams(2).set("density", 0.5)))
                .extracting(SparseSettings::normalize, SparseSettings::rescale, SparseSettings::election)
                .containsExactly(false, true, 0);
        SparseSettings s = settings(SparseFamily.BREADCRUMBS, none);
        assertThat(s.density()).containsExactly(1.0, 1.0);
        assertThat(s.weights()).containsExactly(1.0, 1.0);
        assertThat(s.gamma()).containsExactly(0.01, 0.01);
        assertThat(settings(SparseFamily.DELLA, new TestParams(2).set("density", 0.5)).epsilon()).containsExactly(0.15, 0.15);
        assertThat(s.lambda()).isEqualTo(1.0);
    }

    @Test
    void signaturesListExactlyTheParametersEachMethodReads() {
        assertThat(SparseFamily.TIES.signature().globalParams())
                .containsExactlyInAnyOrder("normalize", "lambda", "rescale", "rescale_norm", "int8_mask", "consensus", "scope");
        assertThat(SparseFamily.DARE_LINEAR.signature().globalParams())
                .containsExactlyInAnyOrder("normalize", "lambda", "rescale", "rescale_norm", "int8_mask");
        assertThat(SparseFamily.BREADCRUMBS.signature().modelParams()).containsExactlyInAnyOrder("weight", "density", "gamma");
        assertThat(SparseFamily.DELLA.signature().modelParams()).containsExactlyInAnyOrder("weight", "density", "epsilon");
        assertThat(SparseFamily.TIES.signature().needsBase()).isTrue();
    }

    @Test
    void int8MaskIsAcceptedAndChangesNothing() {
        SparseSettings with = settings(SparseFamily.DARE_TIES, new TestParams(2).set("int8_mask", true));
        assertThat(with.describe()).isEqualTo(settings(SparseFamily.DARE_TIES, new TestParams(2)).describe());
    }

    @Test
    void dellaNeedsItsProbabilitiesInsideTheUnitInterval() {
        // The default ε = 0.15 with density 0.1 would give p down to −0.05.
        assertThatThrownBy(() -> settings(SparseFamily.DELLA, new TestParams(2).set("density", 0.1)))
                .isInstanceOf(ParameterException.class).hasMessageContaining("models[0].parameters.epsilon")
                .hasMessageContaining("the default");
        assertThatThrownBy(() -> settings(SparseFamily.DELLA, new TestParams(2).set("density", 0.5).set(1, "epsilon", 0.5)))
                .isInstanceOf(ParameterException.class).hasMessageContaining("models[1].parameters.epsilon");
        // density ≥ 1 keeps everything, so no ε can be wrong.
        assertThat(settings(SparseFamily.DELLA, new TestParams(2).set("density", 1.0).set("epsilon", 0.9)).density())
                .containsExactly(1.0, 1.0);
    }

    @Test
    void badValuesAreErrorsWithTheirPath() {
        assertThatThrownBy(() -> settings(SparseFamily.TIES, new TestParams(2).set(1, "density", -0.1)))
                .isInstanceOf(ParameterException.class).hasMessageContaining("models[1].parameters.density");
        assertThatThrownBy(() -> settings(SparseFamily.TIES, new TestParams(2).set("consensus", "majority")))
                .isInstanceOf(ParameterException.class).hasMessageContaining("parameters.consensus");
        assertThatThrownBy(() -> settings(SparseFamily.TIES, new TestParams(2).set("scope", "layer")))
                .isInstanceOf(ParameterException.class).hasMessageContaining("parameters.scope");
        assertThatThrownBy(() -> settings(SparseFamily.DARE_TIES, new TestParams(2).set("rescale_norm", "l3")))
                .isInstanceOf(ParameterException.class).hasMessageContaining("parameters.rescale_norm");
        assertThatThrownBy(() -> settings(SparseFamily.DARE_TIES, new TestParams(2).set("rescale_norm", "l1").set("rescale", false)))
                .isInstanceOf(ParameterException.class).hasMessageContaining("rescale: false");
        assertThatThrownBy(() -> settings(SparseFamily.BREADCRUMBS, new TestParams(2).set(0, "gamma", 1.5)))
                .isInstanceOf(ParameterException.class).hasMessageContaining("models[0].parameters.gamma");
    }

    @Test
    void modelScopePlansWaitForTheEngine() {
        TensorPlan p = SparseFamily.TIES.plan(new TestParams(2).set("scope", "model").each("density", 0.3, 0.6), 2);
        assertThat(p).isInstanceOf(PassPlan.class);
        @SuppressWarnings("unchecked")
        PassPlan<long[]> waits = (PassPlan<long[]>) p;
        assertThat(waits.pass()).isEqualTo(new ModelThresholds(new double[] {0.3, 0.6}));
        assertThat(waits.pass().reads(0)).as("the base").isTrue();
        assertThat(p.describe()).contains("scope=model");
        assertThatThrownBy(() -> PlanRunner.run(p, new float[1], new float[][] {{1}, {1}}, new long[] {1},
                org.exmerge.format.DType.F32, org.exmerge.format.DType.F32, 0, 1))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("model pass");
        float[] kept = PlanRunner.run(waits.resolve(new long[] {0, org.exmerge.numeric.MagnitudeSelect.NONE}),
                new float[1], new float[][] {{1}, {-5}}, new long[] {1}, org.exmerge.format.DType.F32, org.exmerge.format.DType.F32, 0, 1);
        assertThat(kept).as("model 0 keeps all, model 1 nothing").containsExactly(1f);
    }
}
