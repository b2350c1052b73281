package org.exmerge.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.exmerge.format.TestFiles.spec;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a valid header parses to, and what {@link SafetensorsHeader#encode} produces. */
class SafetensorsHeaderTest {

    @Test
    void tensorsComeBackInOffsetOrderWhateverTheJsonOrder() throws Exception {
        SafetensorsHeader h = TestFiles.parse("{"
                + "\"z\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[14,20]},"
                + "\"a\":{\"dtype\":\"I16\",\"shape\":[3],\"data_offsets\":[8,14]}}", 20);
        assertThat(h.tensors()).extracting(TensorInfo::name).containsExactly("z", "a", "b");
        TensorInfo b = h.tensor("b");
        assertThat(b.dtype()).isEqualTo(DType.BF16);
        assertThat(b.shape()).containsExactly(3);
        assertThat(b.begin()).isEqualTo(14);
        assertThat(b.end()).isEqualTo(20);
        assertThat(b.elementCount()).isEqualTo(3);
        assertThat(b.byteSize()).isEqualTo(6);
        assertThat(h.tensor("missing")).isNull();
        assertThat(h.metadata()).isEmpty();
        assertThat(h.dataBytes()).isEqualTo(20);
    }

    @Test
    void scalarsAndEmptyTensors() throws Exception {
        SafetensorsHeader h = TestFiles.parse("{"
                + "\"s\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,8]},"
                + "\"e1\":{\"dtype\":\"F32\",\"shape\":[0,7],\"data_offsets\":[8,8]},"
                + "\"e2\":{\"dtype\":\"U8\",\"shape\":[3,0],\"data_offsets\":[8,8]}}", 8);
        assertThat(h.tensor("s").elementCount()).isEqualTo(1);
        assertThat(h.tensor("s").rank()).isZero();
        assertThat(h.tensor("e1").elementCount()).isZero();
        assertThat(h.tensor("e2").byteSize()).isZero();
        assertThat(h.tensors()).extracting(TensorInfo::name).containsExactly("s", "e1", "e2");
    }

    @Test
    void emptyObjectIsAValidEmptyFile() throws Exception {
        assertThat(TestFiles.parse("{}   \n\t ", 0).tensors()).isEmpty();
    }

    @Test
    void metadataIsReadInOrder() throws Exception {
        SafetensorsHeader h = TestFiles.parse("{\"__metadata__\":{\"format\":\"pt\",\"b\":\"2\",\"a\":\"\\u00e9\"}}", 0);
        assertThat(h.metadata()).containsExactly(Map.entry("format", "pt"), Map.entry("b", "2"),
                Map.entry("a", "é"));
        assertThat(h.tensor("__metadata__")).isNull();
    }

    @Test
    void everyDtypeParsesWithItsSize() throws Exception {
        StringBuilder json = new StringBuilder("{");
        long offset = 0;
        for (DType t : DType.values()) {
            long end = offset + 3L * t.size();
            json.append(offset == 0 ? "" : ",").append('"').append(t).append("\":{\"dtype\":\"").append(t)
                    .append("\",\"shape\":[3],\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
            offset = end;
        }
        SafetensorsHeader h = TestFiles.parse(json.append('}').toString(), offset);
        for (DType t : DType.values()) {
            assertThat(h.tensor(t.name()).dtype()).isEqualTo(t);
            assertThat(h.tensor(t.name()).byteSize()).isEqualTo(3L * t.size());
        }
    }

    @Test
    void encodePadsWithSpacesToAMultipleOfEight() {
        for (int len = 0; len < 16; len++) {
            byte[] h = SafetensorsHeader.encode(List.of(spec("t".repeat(len + 1), DType.F32, 1)), Map.of());
            assertThat(h.length % 8).isZero();
            String s = new String(h, StandardCharsets.UTF_8);
            assertThat(s.stripTrailing()).endsWith("}");
            assertThat(s.substring(s.stripTrailing().length())).matches(" {0,7}");
        }
    }

    @Test
    void encodePutsMetadataFirstAndOffsetsInGivenOrder() throws Exception {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("recipe", "{\"merge_method\": \"ties\"}\nline2");
        List<TensorSpec> specs = List.of(spec("z", DType.F32, 2, 3), spec("a", DType.BF16, 5), spec("m", DType.F64));
        byte[] h = SafetensorsHeader.encode(specs, meta);
        String json = new String(h, StandardCharsets.UTF_8);
        assertThat(json).startsWith("{\"__metadata__\":{\"format\":\"pt\"");
        assertThat(json.indexOf("\"z\"")).isLessThan(json.indexOf("\"a\""));
        SafetensorsHeader parsed = SafetensorsHeader.parse(TestFiles.MEMORY, h, 24 + 10 + 8);
        assertThat(parsed.metadata()).isEqualTo(meta);
        assertThat(parsed.tensors()).containsExactly(
                new TensorInfo("z", DType.F32, new long[] {2, 3}, 0, 24),
                new TensorInfo("a", DType.BF16, new long[] {5}, 24, 34),
                new TensorInfo("m", DType.F64, new long[] {}, 34, 42));
    }

    @Test
    void encodeLeavesOutEmptyMetadata() {
        assertThat(new String(SafetensorsHeader.encode(List.of(), Map.of()), StandardCharsets.UTF_8))
                .isEqualTo("{}      ");
        assertThat(new String(SafetensorsHeader.encode(List.of(), null), StandardCharsets.UTF_8))
                .isEqualTo("{}      ");
    }

    @Test
    void encodeEscapesHostileNamesSoTheyRoundTrip() throws Exception {
        List<String> names = List.of("q\"uote", "back\\slash", "new\nline", "tab\t", "ünï😀", "", "\u0000nul");
        List<TensorSpec> specs = new ArrayList<>();
        names.forEach(n -> specs.add(spec(n, DType.U8, 1)));
        SafetensorsHeader h = SafetensorsHeader.parse(TestFiles.MEMORY, SafetensorsHeader.encode(specs, Map.of()),
                names.size());
        assertThat(h.tensors()).extracting(TensorInfo::name).containsExactlyElementsOf(names);
    }

    @Test
    void encodeRejectsDuplicateAndReservedNames() {
        assertThatThrownBy(() -> SafetensorsHeader.encode(
                List.of(spec("a", DType.F32), spec("a", DType.F32)), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("given twice");
        assertThatThrownBy(() -> SafetensorsHeader.encode(List.of(spec("__metadata__", DType.F32)), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reserved");
    }

    @Test
    void encodeRejectsTotalsBeyondLong() {
        TensorSpec big = spec("a", DType.U8, Long.MAX_VALUE);
        assertThatThrownBy(() -> SafetensorsHeader.encode(List.of(big, spec("b", DType.U8, 1)), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2^63-1");
    }

    @Test
    void specsRejectOverflowingShapes() {
        assertThatThrownBy(() -> spec("a", DType.F32, 1L << 62))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2^63-1");
        assertThatThrownBy(() -> spec("a", DType.F32, -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
        assertThat(spec("a", DType.BF16, 3, 0, 5).byteSize()).isZero();
        assertThat(spec("a", DType.BF16, 3, 5).byteSize()).isEqualTo(30);
        assertThat(spec("a", DType.I64).byteSize()).isEqualTo(8);
    }

    @Test
    void recordsCopyTheirShapes() {
        long[] shape = {2, 3};
        TensorSpec s = new TensorSpec("a", DType.F32, shape);
        shape[0] = 99;
        s.shape()[1] = 99;
        assertThat(s.shape()).containsExactly(2, 3);
        assertThat(s).isEqualTo(new TensorSpec("a", DType.F32, new long[] {2, 3}));
        assertThat(s.hashCode()).isEqualTo(new TensorSpec("a", DType.F32, new long[] {2, 3}).hashCode());
    }

    @Test
    void tensorInfoRejectsInconsistentSpans() {
        assertThatThrownBy(() -> new TensorInfo("a", DType.F32, new long[] {2}, 0, 4))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TensorInfo("a", DType.F32, new long[] {1}, 4, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
