package org.exmerge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.json.ReaderBasedJsonParser;
import com.fasterxml.jackson.core.json.UTF8StreamJsonParser;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import org.junit.jupiter.api.Test;

class HeadStartTest {

    /** The class the head start initialises is the one the recipe's and the headers' parsers start from. */
    @Test
    void theHeadStartInitialisesTheParsersCommonBase() throws Exception {
        Class<?> base = Class.forName(HeadStart.PARSER_BASE);
        assertThat(base).isAssignableFrom(YAMLParser.class);
        assertThat(base).isAssignableFrom(ReaderBasedJsonParser.class);
        assertThat(base).isAssignableFrom(UTF8StreamJsonParser.class);
    }
}
