package org.exmerge.recipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ParamResolverTest {
    private static final String ATTN = "model.layers.3.self_attn.q_proj.weight";
    private static final String MLP = "model.layers.3.mlp.down_proj.weight";
    private static final String EMBED = "model.embed_tokens.weight";

    private static ParamValue.Scalar num(String path, double v) {
        return new ParamValue.Scalar(path, v);
    }

    private static Params params(String path, Object... keyValues) {
        Map<String, ParamValue> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], (ParamValue) keyValues[i + 1]);
        }
        return new Params(path, m);
    }

    @Test
    void twoPointGradientOverFiveLayersIsEvenlySpaced() {
        double[] g = {0, 1};
        double[] got = new double[5];
        for (int idx = 0; idx < 5; idx++) {
            got[idx] = ParamResolver.gradientAt(g, ParamResolver.layerT(idx, 5));
        }
        assertThat(got).containsExactly(0, 0.25, 0.5, 0.75, 1);
    }

    @Test
    void gradientInterpolatesBetweenNeighbours() {
        double[] g = {0.2, 0.8, 0.4};
        // t = 0.75: s = 1.5, i = 1, f = 0.5 -> 0.5*0.8 + 0.5*0.4, computed in that order (as mergekit).
        assertThat(ParamResolver.gradientAt(g, 0.75)).isEqualTo(0.5 * 0.8 + 0.5 * 0.4).isCloseTo(0.6, org.assertj.core.data.Offset.offset(1e-15));
        assertThat(ParamResolver.gradientAt(g, 0.0)).isEqualTo(0.2);
        assertThat(ParamResolver.gradientAt(g, 0.5)).isEqualTo(0.8);
        assertThat(ParamResolver.gradientAt(g, 1.0)).isEqualTo(0.4);
        // t = 0.25: s = 0.5 -> halfway between 0.2 and 0.8
        assertThat(ParamResolver.gradientAt(g, 0.25)).isEqualTo(0.5 * 0.2 + 0.5 * 0.8);
    }

    @Test
    void gradientMatchesSpecFormulaOnAGrid() {
        double[] g = {0, 0.5, 0.3, 0.7, 1};
        for (int idx = 0; idx < 32; idx++) {
            double t = ParamResolver.layerT(idx, 32);
            double s = t * 4;
            int i = (int) Math.floor(s);
            double f = s - i;
            double expected = (1 - f) * g[i] + f * g[Math.min(i + 1, 4)];
            assertThat(ParamResolver.gradientAt(g, t)).as("layer %d", idx).isEqualTo(expected);
        }
    }

    @Test
    void singleValueGradientIsConstant() {
        assertThat(ParamResolver.gradientAt(new double[] {0.7}, 0.0)).isEqualTo(0.7);
        assertThat(ParamResolver.gradientAt(new double[] {0.7}, 0.4)).isEqualTo(0.7);
        assertThat(ParamResolver.gradientAt(new double[] {0.7}, 1.0)).isEqualTo(0.7);
    }

    @Test
    void gradientRejectsPositionsOutsideUnitInterval() {
        assertThatThrownBy(() -> ParamResolver.gradientAt(new double[] {0, 1}, 1.5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ParamResolver.gradientAt(new double[] {0, 1}, -0.1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ParamResolver.gradientAt(new double[] {0, 1}, Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ParamResolver.gradientAt(new double[0], 0.5)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void layerPositionFollowsSpec() {
        assertThat(ParamResolver.layerT(0, 1)).isEqualTo(1.0); // one-layer slice reads the last value
        assertThat(ParamResolver.layerT(-1, 32)).isEqualTo(0.0); // outside the layers
        assertThat(ParamResolver.layerT(0, 32)).isEqualTo(0.0);
        assertThat(ParamResolver.layerT(31, 32)).isEqualTo(1.0);
        assertThat(ParamResolver.layerT(10, 32)).isEqualTo(10.0 / 31);
        assertThatThrownBy(() -> ParamResolver.layerT(32, 32)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ParamResolver.layerT(0, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void oneLayerSliceReadsLastGradientValue() throws ConfigException {
        ParamValue g = new ParamValue.Gradient("parameters.t", new double[] {0.1, 0.9});
        assertThat(ParamResolver.number(g, "model.layers.0.mlp.up_proj.weight", ParamResolver.layerT(0, 1))).isEqualTo(0.9);
    }

    @Test
    void tensorsOutsideLayersReadFirstGradientValue() throws ConfigException {
        ParamValue g = new ParamValue.Gradient("parameters.t", new double[] {0.1, 0.5, 0.9});
        double t = ParamResolver.layerT(LayerNames.layerIndex(EMBED), 32);
        assertThat(ParamResolver.number(g, EMBED, t)).isEqualTo(0.1);
    }

    @Test
    void firstMatchingFilterWins() throws ConfigException {
        ParamValue v = new ParamValue.Filtered("parameters.t", List.of(
                new ParamValue.Entry("self_attn", num("parameters.t[0].value", 0.1)),
                new ParamValue.Entry("layers.3", num("parameters.t[1].value", 0.2)),
                new ParamValue.Entry(null, num("parameters.t[2].value", 0.3))));
        assertThat(ParamResolver.number(v, ATTN, 0)).isEqualTo(0.1); // matches entries 0 and 1: the first wins
        assertThat(ParamResolver.number(v, MLP, 0)).isEqualTo(0.2);
        assertThat(ParamResolver.number(v, EMBED, 0)).isEqualTo(0.3);
    }

    @Test
    void filterlessOrStarEntryMatchesEverythingAndShadowsLaterEntries() throws ConfigException {
        ParamValue noFilter = new ParamValue.Filtered("p.t", List.of(
                new ParamValue.Entry(null, num("p.t[0].value", 0.5)),
                new ParamValue.Entry("mlp", num("p.t[1].value", 1.0))));
        ParamValue star = new ParamValue.Filtered("p.t", List.of(
                new ParamValue.Entry("*", num("p.t[0].value", 0.4)),
                new ParamValue.Entry("mlp", num("p.t[1].value", 1.0))));
        assertThat(ParamResolver.number(noFilter, MLP, 0)).isEqualTo(0.5);
        assertThat(ParamResolver.number(star, MLP, 0)).isEqualTo(0.4);
    }

    @Test
    void filteredGradientIsReadAtT() throws ConfigException {
        ParamValue v = new ParamValue.Filtered("parameters.t", List.of(
                new ParamValue.Entry("mlp", new ParamValue.Gradient("parameters.t[0].value", new double[] {1, 0})),
                new ParamValue.Entry(null, num("parameters.t[1].value", 0.5))));
        assertThat(ParamResolver.number(v, MLP, 0.25)).isEqualTo(0.75);
        assertThat(ParamResolver.number(v, ATTN, 0.25)).isEqualTo(0.5);
    }

    @Test
    void noMatchingEntryIsAnErrorAtTheParameterPath() {
        ParamValue v = new ParamValue.Filtered("models[0].parameters.weight", List.of(
                new ParamValue.Entry("mlp", num("models[0].parameters.weight[0].value", 1))));
        assertThatThrownBy(() -> ParamResolver.number(v, ATTN, 0))
                .isInstanceOf(ConfigException.class)
                .hasMessage("models[0].parameters.weight: no entry's filter matches tensor '" + ATTN
                        + "'; add a last entry without a filter as the default");
    }

    @Test
    void lookupOrderIsSourceThenSliceThenTopLevel() {
        Params source = params("slices[0].sources[1].parameters", "weight", num("slices[0].sources[1].parameters.weight", 1));
        Params slice = params("slices[0].parameters", "weight", num("slices[0].parameters.weight", 2), "density", num("slices[0].parameters.density", 3));
        Params top = params("parameters", "weight", num("parameters.weight", 4), "density", num("parameters.density", 5), "lambda", num("parameters.lambda", 6));

        assertThat(ParamResolver.find("weight", source, slice, top).path()).isEqualTo("slices[0].sources[1].parameters.weight");
        assertThat(ParamResolver.find("density", source, slice, top).path()).isEqualTo("slices[0].parameters.density");
        assertThat(ParamResolver.find("lambda", source, slice, top).path()).isEqualTo("parameters.lambda");
        assertThat(ParamResolver.find("epsilon", source, slice, top)).isNull();
        assertThat(ParamResolver.find("weight", null, Params.EMPTY, top).path()).isEqualTo("parameters.weight");
    }

    @Test
    void findForFallsThroughALevelWhoseFiltersMissTheTensor() throws ConfigException {
        Params source = params("models[0].parameters", "weight", new ParamValue.Filtered("models[0].parameters.weight", List.of(
                new ParamValue.Entry("mlp", num("models[0].parameters.weight[0].value", 0.9)))));
        Params top = params("parameters", "weight", num("parameters.weight", 0.1));

        // find() stops at the first level that writes the key; findFor() reads as mergekit does.
        assertThat(ParamResolver.find("weight", source, top).path()).isEqualTo("models[0].parameters.weight");
        assertThat(ParamResolver.number(ParamResolver.findFor("weight", MLP, source, top), MLP, 0)).isEqualTo(0.9);
        assertThat(ParamResolver.number(ParamResolver.findFor("weight", ATTN, source, top), ATTN, 0)).isEqualTo(0.1);
        assertThat(ParamResolver.findFor("weight", ATTN, source)).isNull();
    }

    @Test
    void booleansAndStrings() throws ConfigException {
        assertThat(ParamResolver.bool(new ParamValue.Scalar("p.normalize", true), ATTN)).isTrue();
        assertThat(ParamResolver.bool(new ParamValue.Scalar("p.normalize", false), ATTN)).isFalse();
        assertThat(ParamResolver.bool(num("p.normalize", 1), ATTN)).isTrue();
        assertThat(ParamResolver.bool(num("p.normalize", 0), ATTN)).isFalse();
        ParamValue filteredFlag = new ParamValue.Filtered("p.rescale", List.of(
                new ParamValue.Entry("mlp", new ParamValue.Scalar("p.rescale[0].value", false)),
                new ParamValue.Entry(null, new ParamValue.Scalar("p.rescale[1].value", true))));
        assertThat(ParamResolver.bool(filteredFlag, MLP)).isFalse();
        assertThat(ParamResolver.bool(filteredFlag, ATTN)).isTrue();
        assertThat(ParamResolver.string(new ParamValue.Scalar("p.consensus", "count"), ATTN)).isEqualTo("count");
    }

    @Test
    void numbersAreReadAsMergekitsLaxPydanticReadsThem() throws ConfigException {
        // mergekit's parameter values are floats: pydantic takes a quoted number and a boolean as one.
        assertThat(ParamResolver.number(new ParamValue.Scalar("p.weight", "0.5"), ATTN, 0)).isEqualTo(0.5);
        assertThat(ParamResolver.number(new ParamValue.Scalar("p.weight", " -1.5e-1 "), ATTN, 0)).isEqualTo(-0.15);
        assertThat(ParamResolver.number(new ParamValue.Scalar("p.weight", ".25"), ATTN, 0)).isEqualTo(0.25);
        assertThat(ParamResolver.number(new ParamValue.Scalar("p.weight", true), ATTN, 0)).isEqualTo(1.0);
        assertThat(ParamResolver.number(new ParamValue.Scalar("p.weight", false), ATTN, 0)).isEqualTo(0.0);
    }

    @Test
    void wrongKindsNameTheValuePath() {
        assertThatThrownBy(() -> ParamResolver.number(new ParamValue.Scalar("models[1].parameters.weight", "half"), ATTN, 0))
                .hasMessage("models[1].parameters.weight: expected a number or a list of numbers, got 'half'");
        assertThatThrownBy(() -> ParamResolver.number(new ParamValue.Scalar("parameters.weight", "1e999"), ATTN, 0))
                .hasMessage("parameters.weight: expected a number or a list of numbers, got '1e999'");
        assertThatThrownBy(() -> ParamResolver.number(new ParamValue.Scalar("parameters.weight", "0.5x"), ATTN, 0))
                .hasMessage("parameters.weight: expected a number or a list of numbers, got '0.5x'");
        assertThatThrownBy(() -> ParamResolver.bool(num("parameters.normalize", 0.5), ATTN))
                .hasMessage("parameters.normalize: expected true or false, got 0.5");
        assertThatThrownBy(() -> ParamResolver.bool(new ParamValue.Gradient("parameters.normalize", new double[] {0, 1}), ATTN))
                .hasMessage("parameters.normalize: expected true or false, got a list of numbers");
        assertThatThrownBy(() -> ParamResolver.string(num("parameters.consensus", 1), ATTN))
                .hasMessage("parameters.consensus: expected a string, got 1.0");
        ParamValue filtered = new ParamValue.Filtered("parameters.t", List.of(
                new ParamValue.Entry(null, new ParamValue.Scalar("parameters.t[0].value", "x"))));
        assertThatThrownBy(() -> ParamResolver.number(filtered, ATTN, 0))
                .isInstanceOf(ConfigException.class)
                .hasMessage("parameters.t[0].value: expected a number or a list of numbers, got 'x'")
                .extracting(e -> ((ConfigException) e).path()).isEqualTo("parameters.t[0].value");
    }

    @Test
    void readsThroughAParsedRecipe() throws ConfigException {
        Recipe r = RecipeReader.parse("""
                merge_method: dare_ties
                base_model: base
                slices:
                  - sources:
                      - model: base
                        layer_range: [0, 4]
                      - model: tuned
                        layer_range: [4, 8]
                        parameters:
                          weight: [0, 1]
                    parameters:
                      density: 0.3
                parameters:
                  weight: 0.5
                  density: 0.9
                  lambda: 1.2
                """, null);
        Slice s = r.slices().get(0);
        SliceSource tuned = s.sources().get(1);
        String name = "model.layers.2.mlp.up_proj.weight"; // output layer 2 of the 4-layer slice
        double t = ParamResolver.layerT(LayerNames.layerIndex(name), s.layerCount());
        assertThat(ParamResolver.number(ParamResolver.find("weight", tuned.parameters(), s.parameters(), r.parameters()), name, t))
                .isEqualTo(2.0 / 3);
        assertThat(ParamResolver.number(ParamResolver.find("weight", s.sources().get(0).parameters(), s.parameters(), r.parameters()), name, t))
                .isEqualTo(0.5);
        assertThat(ParamResolver.number(ParamResolver.find("density", tuned.parameters(), s.parameters(), r.parameters()), name, t))
                .isEqualTo(0.3);
        assertThat(ParamResolver.number(ParamResolver.find("lambda", s.parameters(), r.parameters()), name, t)).isEqualTo(1.2);
    }
}
