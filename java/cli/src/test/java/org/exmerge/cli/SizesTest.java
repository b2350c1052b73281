package org.exmerge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Sizes as users write them: SI units are powers of 10, *iB of 2, and a bare number is bytes. */
class SizesTest {
    @Test
    void unitsAndBareNumbers() {
        assertThat(Sizes.parse("4096")).isEqualTo(4096);
        assertThat(Sizes.parse("4096b")).isEqualTo(4096);
        assertThat(Sizes.parse("110360000")).isEqualTo(110_360_000L);
        assertThat(Sizes.parse("64kB")).isEqualTo(64_000);
        assertThat(Sizes.parse("500M")).isEqualTo(500_000_000L);
        assertThat(Sizes.parse("5GB")).isEqualTo(5_000_000_000L);
        assertThat(Sizes.parse("1.5GiB")).isEqualTo(3L << 29);
        assertThat(Sizes.parse("2TiB")).isEqualTo(2L << 40);
    }

    @Test
    void notASize() {
        assertThatThrownBy(() -> Sizes.parse("lots")).isInstanceOf(CommandLine.TypeConversionException.class)
                .hasMessageContaining("is not a size");
        assertThatThrownBy(() -> Sizes.parse("0")).isInstanceOf(CommandLine.TypeConversionException.class)
                .hasMessageContaining("out of range");
    }
}
