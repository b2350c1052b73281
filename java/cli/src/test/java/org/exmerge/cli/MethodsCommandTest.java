package org.exmerge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.exmerge.testing.Cli;
import org.junit.jupiter.api.Test;

class MethodsCommandTest {
    @Test
    void listsEveryMethod() {
        Cli.Result r = Cli.run("methods");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("linear").contains("della_linear").contains("m3").contains("karcher");
        // every method accepts int8_mask (the planner does); the list says so for each, not only for some
        assertThat(r.out().lines().filter(l -> !l.startsWith("method ") && l.matches("[a-z_0-9]+ +.*base.*")).toList())
                .hasSizeGreaterThan(20).allMatch(l -> l.endsWith("int8_mask") || l.contains("int8_mask,"));
    }

    @Test
    void aMethodWithoutParametersOfItsOwnShowsTheOneEveryMethodTakes() {
        Cli.Result r = Cli.run("methods", "arcee_fusion");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("| `int8_mask` | global | boolean | false |");
    }

    @Test
    void printsOneMethodsParametersWithTheirDefaults() {
        Cli.Result r = Cli.run("methods", "ties");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("| `density` | per model | number | 1 | ≥ 0 |")
                .contains("| `consensus` | global | choice | sum | sum or count |")
                .contains("| `normalize` | global | boolean | true |");
    }

    @Test
    void anUnknownNameIsAUsageErrorWithASuggestion() {
        Cli.Result r = Cli.run("methods", "tise");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("unknown method 'tise'").contains("did you mean 'ties'?");
    }
}
