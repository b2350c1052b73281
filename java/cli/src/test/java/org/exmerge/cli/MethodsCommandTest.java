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
