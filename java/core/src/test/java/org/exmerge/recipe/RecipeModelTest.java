package org.exmerge.recipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The value types' own guarantees: immutability, content equality, and the invariants their constructors enforce. */
class RecipeModelTest {

    @Test
    void gradientIsImmutableAndComparedByContent() {
        double[] in = {0.1, 0.2};
        ParamValue.Gradient g = new ParamValue.Gradient("p.w", in);
        in[0] = 9;
        g.values()[1] = 9;
        assertThat(g.values()).containsExactly(0.1, 0.2);
        assertThat(g.size()).isEqualTo(2);
        assertThat(g.value(1)).isEqualTo(0.2);
        assertThat(g).isEqualTo(new ParamValue.Gradient("p.w", new double[] {0.1, 0.2}))
                .hasSameHashCodeAs(new ParamValue.Gradient("p.w", new double[] {0.1, 0.2}))
                .isNotEqualTo(new ParamValue.Gradient("p.w", new double[] {0.1, 0.3}))
                .isNotEqualTo(new ParamValue.Gradient("q.w", new double[] {0.1, 0.2}));
        assertThat(g.toString()).contains("[0.1, 0.2]");
        assertThatThrownBy(() -> new ParamValue.Gradient("p.w", new double[0])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void scalarHoldsDoubleBooleanOrString() {
        assertThat(new ParamValue.Scalar("p", 3).value()).isEqualTo(3.0);
        assertThat(new ParamValue.Scalar("p", 2L).value()).isEqualTo(2.0);
        assertThat(new ParamValue.Scalar("p", true).value()).isEqualTo(true);
        assertThat(new ParamValue.Scalar("p", "sum").value()).isEqualTo("sum");
        assertThatThrownBy(() -> new ParamValue.Scalar("p", List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ParamValue.Scalar("p", null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void filteredEntriesAreNonEmptyAndDoNotNest() {
        ParamValue.Entry e = new ParamValue.Entry("mlp", new ParamValue.Scalar("p.t[0].value", 1));
        ParamValue.Filtered f = new ParamValue.Filtered("p.t", List.of(e));
        assertThatThrownBy(() -> new ParamValue.Filtered("p.t", List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ParamValue.Entry(null, f)).isInstanceOf(IllegalArgumentException.class);
        assertThat(e.matches("model.layers.0.mlp.up_proj.weight")).isTrue();
        assertThat(e.matches("model.layers.0.self_attn.q_proj.weight")).isFalse();
        assertThat(e.matches(null)).isFalse();
        assertThat(new ParamValue.Entry("*", e.value()).matches("anything")).isTrue();
        assertThat(new ParamValue.Entry(null, e.value()).matches(null)).isTrue();
    }

    @Test
    void paramsKeepOrderAndCannotBeChanged() {
        Map<String, ParamValue> m = new LinkedHashMap<>();
        m.put("weight", new ParamValue.Scalar("models[0].parameters.weight", 1));
        m.put("density", new ParamValue.Scalar("models[0].parameters.density", 0.5));
        Params p = new Params("models[0].parameters", m);
        m.clear();
        assertThat(p.keys()).containsExactly("weight", "density");
        assertThat(p.pathOf("lambda")).isEqualTo("models[0].parameters.lambda");
        assertThat(Params.EMPTY.pathOf("lambda")).isEqualTo("lambda");
        assertThatThrownBy(() -> p.keys().remove("weight")).isInstanceOf(UnsupportedOperationException.class);
        assertThat(Params.EMPTY.keys()).isEmpty();
        assertThat(Params.EMPTY.get("weight")).isNull();
    }

    @Test
    void recipeHasModelsOrSlicesAndListsModelsOnceBaseFirst() {
        Slice s1 = new Slice(List.of(new SliceSource("x", 0, 4, null), new SliceSource("base", 0, 4, null)), null);
        Slice s2 = new Slice(List.of(new SliceSource("y", 4, 8, null), new SliceSource("x", 4, 8, null)), null);
        Recipe r = new Recipe("slerp", "base", null, List.of(s1, s2), null, null, null, null, null);
        assertThat(r.modelNames()).containsExactly("base", "x", "y");
        assertThat(r.models()).isEmpty();
        assertThat(r.parameters()).isSameAs(Params.EMPTY);
        assertThat(r.chatTemplate()).isNull();
        assertThat(s1.sources().get(0).parameters()).isSameAs(Params.EMPTY);

        assertThatThrownBy(() -> new Recipe("linear", null, List.of(), List.of(), null, null, null, null, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Recipe("linear", null, List.of(new ModelRef("a", null)), List.of(s1), null, null, null, null, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SliceSource("a", 4, 2, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Slice(List.of(new SliceSource("a", 0, 4, null), new SliceSource("b", 0, 2, null)), null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void configExceptionFormatsSourcePathAndDetail() {
        ConfigException e = new ConfigException("models[1].parameters.weight", "expected a number");
        assertThat(e.getMessage()).isEqualTo("models[1].parameters.weight: expected a number");
        ConfigException inFile = e.withSource("merge.yml");
        assertThat(inFile.getMessage()).isEqualTo("merge.yml: models[1].parameters.weight: expected a number");
        assertThat(inFile.path()).isEqualTo("models[1].parameters.weight");
        assertThat(inFile.detail()).isEqualTo("expected a number");
        assertThat(new ConfigException("", "the config is empty").getMessage()).isEqualTo("the config is empty");
        assertThat(new ConfigException("a", "line\nbreak").getMessage()).isEqualTo("a: line\\nbreak");
    }
}
