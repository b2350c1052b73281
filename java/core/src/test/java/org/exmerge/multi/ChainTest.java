package org.exmerge.multi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.exmerge.recipe.ConfigException;
import org.exmerge.recipe.RecipeDocuments;
import org.junit.jupiter.api.Test;

/** How a file of several recipes splits into documents, and which results each reads. */
class ChainTest {
    private static Chain chain(String yaml, Path out) throws ConfigException {
        return Chain.of(RecipeDocuments.parse(yaml, "c.yaml"), Path.of("/tmp/i"), out, "c.yaml");
    }

    @Test
    void everyFormOfAModelReferenceReadsANamedResultAndOrdersTheChain() throws Exception {
        Chain c = chain("""
                # the final merge comes first in the file
                merge_method: linear
                base_model: a@main
                models:
                  - model: b+some/adapter
                  - model: {model: {path: c}, lora: d}
                tokenizer_source: e
                --- # a comment on the marker line
                name: a
                merge_method: linear
                models: [{model: x}]
                ---
                name: b
                merge_method: linear
                slices: [{sources: [{model: a, layer_range: [0, 2]}]}]
                ---
                {name: c, merge_method: linear, models: [{model: x}]}
                ---
                name: d
                merge_method: linear
                models: [{model: x}]
                ---
                name: e
                merge_method: linear
                models: [{model: x}]
                """, Path.of("/tmp/out"));
        List<Chain.Step> order = c.order();
        assertThat(order).extracting(s -> s.doc().name()).containsExactly("a", "b", "c", "e", null, "d");
        Chain.Step last = order.get(4);
        assertThat(last.reads()).containsExactly("a", "b", "c", "e"); // d is a LoRA adapter there: never a result
        assertThat(last.output()).isEqualTo(Path.of("/tmp/out"));
        assertThat(order.getFirst().output()).isEqualTo(Path.of("/tmp/i/a"));
        assertThat(c.names()).containsKeys("a", "b", "c", "d", "e");
    }

    @Test
    void anErrorInADocumentNamesItAndTheFilesLine() {
        assertThatThrownBy(() -> chain("""
                name: a
                merge_method: linear
                models: [{model: x}]
                ---
                name: b
                merge_method: linear
                models: [{model: x, parameters: {weight: [1}]
                """, null)).hasMessageStartingWith("c.yaml: document 2: not valid YAML at line 7");
    }

    @Test
    void aDocumentOfCommentsOnlyIsNoDocument() throws Exception {
        Chain c = chain("# header\n---\nname: a\nmerge_method: linear\nmodels: [{model: x}]\n---\n# trailing\n", null);
        assertThat(c.order()).singleElement().satisfies(s -> {
            assertThat(s.doc().number()).isEqualTo(1);
            assertThat(s.doc().text()).isEqualTo("name: a\nmerge_method: linear\nmodels: [{model: x}]");
        });
    }
}
