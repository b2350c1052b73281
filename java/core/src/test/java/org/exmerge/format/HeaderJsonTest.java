package org.exmerge.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.exmerge.format.TestFiles.MEMORY;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The header reader is a reader of JSON's grammar written for headers alone; jackson's strict
 * parser judges here what JSON is. Whatever jackson accepts, the reader never calls "not valid
 * JSON" (it may still refuse it as a header); whatever jackson refuses, the reader refuses too.
 */
class HeaderJsonTest {
    private static final JsonMapper STRICT = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final String A = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    private static final List<String> EDGES = List.of(
            "{" + A + "}", " \t\r\n{ \t\r\n" + A.replace(":", " :\n ").replace(",", " ,\t") + " } \n",
            "{\"a\\u00e9\\n\\\"\\\\\\/\\b\\f\\r\\t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
            "{\"\\ud83d\\ude00\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "{\"\\uD800\":{}}",
            "{\"__metadata__\":{\"k\":\"v \\\" \\u0041\"}," + A + "}", "{\"__metadata__\":{}}", "{}", "[]",
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2e0],\"data_offsets\":[0,8]}}", "{\"a\":{\"shape\":[1.5E+3]}}",
            "{\"a\":{\"shape\":[-0.0e-0]}}", "{\"a\":{\"shape\":[1.]}}", "{\"a\":{\"shape\":[.5]}}", "{\"a\":{\"shape\":[1e]}}",
            "{\"a\":{\"shape\":[-]}}", "{\"a\":{\"shape\":[+1]}}", "{\"a\":{\"shape\":[01]}}", "{\"a\":{\"shape\":[0x1]}}",
            "{\"a\":{\"shape\":[1,]}}", "{\"a\":{\"shape\":[,1]}}", "{\"a\":{\"shape\":[1 2]}}", "{\"a\":{\"shape\":[1}}",
            "{\"a\":{\"shape\":[]},}", "{,\"a\":{}}", "{\"a\"{}}", "{\"a\":{}\"b\":{}}", "{\"a\":}", "{\"a\"}", "{a:{}}",
            "{'a':{}}", "{\"a\":tru}", "{\"a\":truex}", "{\"a\":nul}", "{\"a\":true}", "{\"a\":false}", "{\"a\":null}",
            "{\"a\":\"\\x41\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\u12G4\"}", "{\"a\":\"\\\"}", "{\"a\":\"open}",
            "{\"a\":\"tab\there\"}", "{\"a\":\"del\u007f\"}", "{\"a\":{}} // comment", "{\"a\":{}} /* c */",
            "{\"a\":{},\"a\":{}}", "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", "{} {}", "{} 1", "{}}", "{}]", "{} x",
            "{}\u0000", "\ufeff{}", "", "   ", "}", "\"x\"", "7", "-7", "1e5", "NaN", "{\"a\":{\"shape\":[NaN]}}",
            "{\"a\":{\"shape\":[Infinity]}}", "{\"a\":{\"shape\":[-Infinity]}}", "{\"a\":{\"shape\":[" + "9".repeat(1100) + "]}}",
            "{\"a\":{\"shape\":[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]}}", "{\"__metadata__\":[]}", "{\"__metadata__\":{\"n\":{\"x\":[1,{}]}}}");

    @Test
    void theEdgesOfTheGrammarAgreeWithJackson() {
        List<String> disagreements = new ArrayList<>();
        for (String json : EDGES) {
            check(json.getBytes(StandardCharsets.UTF_8), json, disagreements);
        }
        assertThat(disagreements).isEmpty();
    }

    @Test
    void mutatedHeadersAgreeWithJackson() {
        Random seeds = new Random(0x7EAD_E45L);
        List<HeaderMutator.Base> bases = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            bases.add(HeaderMutator.randomBase(new Random(seeds.nextLong())));
        }
        List<String> disagreements = new ArrayList<>();
        int judged = 0;
        for (int c = 0; c < 6000; c++) {
            Random r = new Random(0x7EAD_E45L * 31 + c);
            HeaderMutator.Kind kind = HeaderMutator.Kind.values()[c % HeaderMutator.Kind.values().length];
            byte[] image = HeaderMutator.mutate(kind, bases.get(r.nextInt(bases.size())), r);
            if (image.length < 8) {
                continue;
            }
            long n = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            if (n < 0 || n > image.length - 8) {
                continue;
            }
            byte[] header = Arrays.copyOfRange(image, 8, 8 + (int) n);
            check(header, "case " + c + " (" + kind + ")", disagreements);
            judged++;
        }
        assertThat(judged).isGreaterThan(4000);
        assertThat(disagreements).isEmpty();
    }

    private static void check(byte[] header, String what, List<String> disagreements) {
        boolean json = isJson(header);
        String reason = null;
        try {
            HeaderParser.parse(MEMORY, header);
        } catch (SafetensorsFormatException e) {
            reason = e.reason();
        }
        boolean syntax = reason != null
                && (reason.startsWith("header is not valid JSON") || reason.startsWith("header is not valid UTF-8"));
        if (json && syntax) {
            disagreements.add(what + ": jackson reads it as JSON, the reader says: " + reason);
        }
        if (!json && reason == null) {
            disagreements.add(what + ": jackson refuses it as JSON, the reader accepts it");
        }
    }

    private static boolean isJson(byte[] header) {
        try {
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(header)).toString();
            JsonNode node = STRICT.readTree(text);
            return node != null && !node.isMissingNode();
        } catch (Exception e) {
            return false;
        }
    }
}
