package org.exmerge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;

class JsonLineTest {

    /** Events read the same as when an ObjectMapper wrote them, whatever the node types. */
    @Test
    void everyNodeTypeIsWrittenAsAnObjectMapperWritesIt() throws Exception {
        ObjectNode e = CliProgress.event("done").put("text", "quote \" backslash \\ newline \n tab \t nul \0 模型 🤖")
                .put("int", -7).put("long", 1L << 40).put("double", 2.36).put("tiny", 1e-300).put("nan", Double.NaN)
                .put("inf", Double.NEGATIVE_INFINITY).put("float", 0.1f).put("big", new BigInteger("123456789012345678901234567890"))
                .put("dec", new BigDecimal("1.50")).put("yes", true).putNull("nothing");
        e.putArray("list").add(1).add("two").add(3.0).addNull().addArray().add(false);
        e.putObject("nested").put("a", 1).putObject("deeper").putArray("empty");
        e.putObject("empty");
        assertThat(CliProgress.json(e)).isEqualTo(new ObjectMapper().writeValueAsString(e));
    }
}
