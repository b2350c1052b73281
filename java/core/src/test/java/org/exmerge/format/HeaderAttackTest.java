package org.exmerge.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.exmerge.format.TestFiles.MEMORY;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * One test per way a header can lie (numerics §8). Each checks that the one format exception comes back,
 * that it names the file and, where there is one, the tensor, and that the reason says what is wrong.
 */
class HeaderAttackTest {
    private static final String A = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    private static SafetensorsFormatException reject(byte[] header, long dataBytes) {
        SafetensorsFormatException e = catchThrowableOfType(SafetensorsFormatException.class,
                () -> SafetensorsHeader.parse(MEMORY, header, dataBytes));
        assertThat(e).as("header must be rejected: %s", new String(header, StandardCharsets.UTF_8)).isNotNull();
        assertThat(e.file()).isEqualTo(MEMORY);
        assertThat(e.getMessage()).doesNotContain("\n").startsWith(MEMORY + ": ");
        return e;
    }

    private static SafetensorsFormatException reject(String json, long dataBytes) {
        return reject(TestFiles.utf8(json), dataBytes);
    }

    private static void assertRejected(String json, long dataBytes, String tensor, String reason) {
        SafetensorsFormatException e = reject(json, dataBytes);
        assertThat(e.tensor()).isEqualTo(tensor);
        assertThat(e.reason()).contains(reason);
    }

    @Test
    void emptyHeader() {
        assertRejected("", 0, null, "header is empty");
    }

    @Test
    void whitespaceOnlyHeader() {
        assertRejected("        ", 0, null, "header is empty");
    }

    @Test
    void rootNotAnObject() {
        assertRejected("[]", 0, null, "not a JSON object but an array");
        assertRejected("\"x\"", 0, null, "not a JSON object but a string");
        assertRejected("7", 0, null, "not a JSON object but an integer");
        assertRejected("null", 0, null, "not a JSON object but null");
    }

    @Test
    void trailingGarbage() {
        assertRejected("{} x", 0, null, "not valid JSON");
        assertRejected("{}}", 0, null, "not valid JSON");
        assertRejected("{}\0", 0, null, "not valid JSON");
    }

    @Test
    void secondJsonValueAfterTheObject() {
        assertRejected("{}{}", 0, null, "trailing data");
        assertRejected("{} 1", 0, null, "trailing data");
    }

    @Test
    void truncatedJson() {
        // Cut after a whole entry: the root object is unfinished, tensor 'a' is not at fault.
        assertRejected("{" + A, 8, null, "not valid JSON at line 1, column ");
        assertRejected("{\"a\":{\"dtype\":\"F3", 8, "a", "not valid JSON");
    }

    @Test
    void invalidUtf8Byte() {
        byte[] h = TestFiles.utf8("{\"__metadata__\":{\"k\":\"vX\"}}");
        h[h.length - 4] = (byte) 0xFF;
        assertThat(reject(h, 0).reason()).isEqualTo("header is not valid UTF-8");
    }

    @Test
    void overlongUtf8Encoding() {
        // C0 AF is an overlong '/', the classic way to smuggle path characters past filters.
        byte[] h = {'{', '"', (byte) 0xC0, (byte) 0xAF, '"', ':', '{', '}', '}'};
        assertThat(reject(h, 0).reason()).isEqualTo("header is not valid UTF-8");
    }

    @Test
    void utf8EncodedSurrogate() {
        byte[] h = {'{', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', ':', '{', '}', '}'};
        assertThat(reject(h, 0).reason()).isEqualTo("header is not valid UTF-8");
    }

    @Test
    void utf8SequenceCutByTheEndOfTheHeader() {
        byte[] h = {'{', '}', ' ', (byte) 0xE2, (byte) 0x82};
        assertThat(reject(h, 0).reason()).isEqualTo("header is not valid UTF-8");
    }

    @Test
    void utf16HeaderIsNotSniffed() {
        // Jackson's byte bootstrapper would decode this as UTF-16LE "{}"; the format says UTF-8 only.
        reject(new byte[] {'{', 0, '}', 0}, 0);
    }

    @Test
    void byteOrderMarkIsNotJson() {
        reject(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{', '}'}, 0);
    }

    @Test
    void duplicateTensorName() {
        assertRejected("{" + A + "," + A + "}", 8, "a", "is named twice in the header");
    }

    @Test
    void duplicateOfAnEarlierTensorNamesIt() {
        String b = "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}";
        assertRejected("{" + A + "," + b + "," + A + "}", 16, "a", "is named twice in the header");
    }

    @Test
    void brokenNameIsNotBlamedOnThePreviousTensor() {
        // The broken surrogate is in the second entry's name: no tensor has that name yet.
        String broken = "{" + A + ",\"b\\ud800x\":{}}";
        SafetensorsFormatException e = reject(broken, 8);
        assertThat(e.tensor()).isNull();
        assertThat(e.reason()).startsWith("header is not valid JSON at line 1, column ")
                .contains("surrogate").doesNotContain("Source");
    }

    @Test
    void duplicateKeyInsideEntry() {
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
                "a", "entry has key 'dtype' twice");
    }

    @Test
    void duplicateMetadata() {
        assertRejected("{\"__metadata__\":{},\"__metadata__\":{}}", 0, null, "__metadata__ appears twice");
        assertRejected("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0, null, "__metadata__ has key 'k' twice");
    }

    @Test
    void entryNotAnObject() {
        assertRejected("{\"a\":1}", 0, "a", "entry is an integer, not an object");
        assertRejected("{\"a\":[]}", 0, "a", "entry is an array, not an object");
        assertRejected("{\"a\":null}", 0, "a", "entry is null, not an object");
        assertRejected("{\"a\":\"F32\"}", 0, "a", "entry is a string, not an object");
    }

    @Test
    void unknownDtype() {
        assertRejected("{\"a\":{\"dtype\":\"F128\",\"shape\":[],\"data_offsets\":[0,16]}}", 16, "a",
                "unknown dtype 'F128'");
        assertRejected("{\"a\":{\"dtype\":\"f32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4, "a", "unknown dtype");
    }

    @Test
    void dtypeNotAString() {
        assertRejected("{\"a\":{\"dtype\":4,\"shape\":[],\"data_offsets\":[0,4]}}", 4, "a", "dtype is an integer");
    }

    @Test
    void missingKeys() {
        assertRejected("{\"a\":{\"shape\":[],\"data_offsets\":[0,4]}}", 4, "a", "lacks dtype");
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, "a", "lacks shape");
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[]}}", 4, "a", "lacks data_offsets");
    }

    @Test
    void unknownKeyInEntry() {
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4],\"strides\":[]}}", 4, "a",
                "unknown key 'strides'");
    }

    @Test
    void shapeNotAnArray() {
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", 8, "a",
                "shape is an integer, not an array");
    }

    @Test
    void floatInShape() {
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", 8, "a",
                "shape holds a non-integer number");
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[2e0],\"data_offsets\":[0,8]}}", 8, "a",
                "non-integer");
    }

    @Test
    void stringOrNestedArrayInShape() {
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", 8, "a",
                "shape holds a string");
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[[2]],\"data_offsets\":[0,8]}}", 8, "a",
                "shape holds an array");
    }

    @Test
    void deepNestingIsRejectedAtTheFirstUnexpectedLevel() {
        String deep = "[".repeat(100_000);
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":" + deep, 8, "a", "shape holds an array");
    }

    @Test
    void absurdRankIsRefused() {
        String zeros = "0,".repeat(HeaderParser.MAX_RANK) + "0";
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[" + zeros + "],\"data_offsets\":[0,0]}}", 0, "a",
                "shape has more than 1024 numbers");
        String ok = "1,".repeat(HeaderParser.MAX_RANK - 1) + "1";
        assertThat(catchThrowableOfType(SafetensorsFormatException.class, () -> TestFiles.parse(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[" + ok + "],\"data_offsets\":[0,4]}}", 4))).isNull();
    }

    @Test
    void nonNumericNumbersInShape() {
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[NaN],\"data_offsets\":[0,8]}}", 8, "a", "not valid JSON");
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[Infinity],\"data_offsets\":[0,8]}}", 8, "a",
                "not valid JSON");
    }

    @Test
    void leadingZeroInShape() {
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[02],\"data_offsets\":[0,8]}}", 8, "a", "not valid JSON");
    }

    @Test
    void negativeDimension() {
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "a",
                "negative number -2");
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[-0],\"data_offsets\":[0,4]}}", 4, "a",
                "negative number -0");
    }

    @Test
    void dimensionBeyondLong() {
        assertRejected("{\"a\":{\"dtype\":\"U8\",\"shape\":[9223372036854775808],\"data_offsets\":[0,8]}}", 8, "a",
                "beyond 2^63-1");
        assertRejected("{\"a\":{\"dtype\":\"U8\",\"shape\":[" + "9".repeat(500) + "],\"data_offsets\":[0,8]}}", 8,
                "a", "beyond 2^63-1");
    }

    @Test
    void shapeTimesDtypeSizeOverflows() {
        // 2^62 elements fit in a long, 2^62 * 4 bytes do not.
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,0]}}", 0, "a",
                "byte size beyond 2^63-1");
        assertRejected("{\"a\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}", 0, "a",
                "byte size beyond 2^63-1");
    }

    @Test
    void zeroElementTensorHasNoBytesWhateverItsOtherDimensions() throws Exception {
        // torch and the safetensors reference accept these: no elements, no bytes.
        for (String shape : new String[] {"[0,2305843009213693952]", "[0,4294967296,4294967296]"}) {
            SafetensorsHeader h = SafetensorsHeader.parse(MEMORY, ("{\"e\":{\"dtype\":\"F32\",\"shape\":" + shape
                    + ",\"data_offsets\":[0,0]}}").getBytes(StandardCharsets.UTF_8), 0);
            assertThat(h.tensors()).singleElement().satisfies(t -> assertThat(t.byteSize()).isZero());
        }
    }

    @Test
    void zeroElementTensorStillNeedsEmptyOffsets() {
        assertRejected("{\"e\":{\"dtype\":\"F32\",\"shape\":[0,2305843009213693952],\"data_offsets\":[0,4]}}", 4,
                "e", "needs 0");
    }

    @Test
    void dataOffsetsWrongLength() {
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[4]}}", 4, "a",
                "data_offsets has 1 numbers, not 2");
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4,8]}}", 4, "a",
                "more than 2 numbers");
    }

    @Test
    void dataOffsetsBeginAfterEnd() {
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[4,0]}}", 4, "a",
                "begin 4 is after end 0");
    }

    @Test
    void dataOffsetsNegativeOrBeyondLong() {
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[-4,0]}}", 4, "a", "negative");
        assertRejected("{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[18446744073709551615,"
                + "18446744073709551615]}}", 0, "a", "beyond 2^63-1");
    }

    @Test
    void spanDisagreesWithShape() {
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "a",
                "data_offsets span 8 bytes but shape [3] of F32 needs 12");
    }

    @Test
    void overlappingSpans() {
        assertRejected("{" + A + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "b",
                "overlap tensor 'a'");
    }

    @Test
    void identicalSpans() {
        assertRejected("{" + A + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 16, "b",
                "overlap");
    }

    @Test
    void gapBeforeFirstTensor() {
        assertRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "a",
                "leaves a gap after 0");
    }

    @Test
    void gapBetweenTensors() {
        assertRejected("{" + A + ",\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", 16, "b",
                "gap after 8");
    }

    @Test
    void spanBeyondTheDataSection() {
        assertRejected("{" + A + "}", 4, "a", "end 8 is beyond the data section of 4 bytes");
    }

    @Test
    void dataSectionLongerThanTheTensors() {
        assertRejected("{" + A + "}", 12, null, "tensors cover 8 bytes but the data section holds 12");
        assertRejected("{}", 1, null, "tensors cover 0 bytes");
    }

    @Test
    void metadataNotAnObject() {
        assertRejected("{\"__metadata__\":\"x\"}", 0, null, "__metadata__ is not an object");
        assertRejected("{\"__metadata__\":[]}", 0, null, "__metadata__ is not an object");
    }

    @Test
    void metadataValueNotAString() {
        assertRejected("{\"__metadata__\":{\"n\":1}}", 0, null, "value for 'n' is an integer, not a string");
        assertRejected("{\"__metadata__\":{\"n\":null}}", 0, null, "is null");
        assertRejected("{\"__metadata__\":{\"n\":{}}}", 0, null, "is an object");
        assertRejected("{\"__metadata__\":{\"n\":true}}", 0, null, "is a boolean");
    }

    @Test
    void unescapedControlCharacterInName() {
        assertRejected("{\"a\nb\":{}}", 0, null, "not valid JSON");
    }

    @Test
    void headerBeyondTheLimit() {
        byte[] big = new byte[(int) SafetensorsHeader.MAX_HEADER_BYTES + 1];
        assertThat(reject(big, 0).reason()).contains("more than the limit of 100000000");
    }

    @Test
    void negativeDataSize() {
        assertThat(reject("{}", -1).reason()).contains("negative");
    }

    @Test
    void messageStaysOneLineForHostileNames() {
        SafetensorsFormatException e = reject("{\"x\\ny\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,3]}}", 3);
        assertThat(e.tensor()).isEqualTo("x\ny");
        assertThat(e.getMessage()).isEqualTo(MEMORY + ": tensor 'x\\u000ay': data_offsets span 3 bytes but shape [] of"
                + " F32 needs 4");
    }
}
