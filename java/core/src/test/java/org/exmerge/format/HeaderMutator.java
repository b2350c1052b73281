package org.exmerge.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.ByteArrayOutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Turns valid safetensors images into nearly valid ones for the fuzz test. Each {@link Kind} is one
 * family of attack; some of them (data bit flips, entry reordering, valid UTF-8, trailing spaces)
 * usually leave the file valid, so both outcomes occur and the valid path is fuzzed too.
 */
final class HeaderMutator {
    enum Kind {
        TRUNCATE_IN_PREFIX, TRUNCATE_IN_HEADER, TRUNCATE_AT_DATA_START, TRUNCATE_IN_DATA,
        FLIP_PREFIX_BITS, FLIP_HEADER_BITS, FLIP_DATA_BITS, HUGE_LENGTH,
        SPLICE_OFFSETS, SPLICE_SHAPE, SWAP_DTYPE, DUPLICATE_KEY, BAD_UTF8, GOOD_UTF8,
        REORDER_ENTRIES, JSON_EDIT, TRAILING_BYTES, RESIZE_DATA
    }

    /** A valid file split into its parts, the header also as a list of JSON entries for editing. */
    record Base(byte[] header, byte[] data, List<Map.Entry<String, JsonNode>> entries) {
        byte[] image() {
            return TestFiles.image(header, data);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[][] BAD_UTF8 = {
        {(byte) 0xFF}, {(byte) 0x80}, {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
        {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, {(byte) 0xE2, (byte) 0x82}, {(byte) 0xF0, (byte) 0x9F},
        {(byte) 0xC3}, {(byte) 0xFE, (byte) 0xFF},
    };
    private static final String[] GOOD_UTF8 = {"é", "€", "😀", "中文", "\u0301"};
    private static final String JSON_CHARS = "{}[],:\"0123456789-+.eE \t\n\\/unlNaIfy";

    private HeaderMutator() {
    }

    /** A random valid model: 0–5 tensors of random types and shapes (scalars and empties included). */
    static Base randomBase(Random r) {
        List<TensorSpec> specs = new ArrayList<>();
        int n = r.nextInt(6);
        for (int i = 0; i < n; i++) {
            DType t = DType.values()[r.nextInt(DType.values().length)];
            long[] shape = new long[r.nextInt(4)];
            for (int d = 0; d < shape.length; d++) {
                shape[d] = r.nextInt(8) == 0 ? 0 : 1 + r.nextInt(5);
            }
            specs.add(new TensorSpec((r.nextBoolean() ? "model.layers." : "lm_head.") + i + (r.nextInt(5) == 0 ? "ü" : ""),
                    t, shape));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        if (r.nextBoolean()) {
            meta.put("format", "pt");
            meta.put("recipe", "merge " + r.nextInt(100));
        }
        byte[] image = TestFiles.validImage(specs, meta, r.nextLong());
        int hn = (int) ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        byte[] header = Arrays.copyOfRange(image, 8, 8 + hn);
        byte[] data = Arrays.copyOfRange(image, 8 + hn, image.length);
        List<Map.Entry<String, JsonNode>> entries = new ArrayList<>();
        try {
            JSON.readTree(header).properties().forEach(e -> entries.add(Map.entry(e.getKey(), e.getValue())));
        } catch (java.io.IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Base(header, data, entries);
    }

    static byte[] mutate(Kind kind, Base b, Random r) {
        byte[] img = b.image();
        int hEnd = 8 + b.header().length;
        return switch (kind) {
            case TRUNCATE_IN_PREFIX -> Arrays.copyOf(img, r.nextInt(8));
            case TRUNCATE_IN_HEADER -> Arrays.copyOf(img, 8 + r.nextInt(b.header().length));
            case TRUNCATE_AT_DATA_START -> Arrays.copyOf(img, hEnd);
            case TRUNCATE_IN_DATA -> Arrays.copyOf(img, hEnd + (b.data().length == 0 ? 0 : r.nextInt(b.data().length)));
            case FLIP_PREFIX_BITS -> flip(img, 0, 8, 1 + r.nextInt(3), r);
            case FLIP_HEADER_BITS -> flip(img, 8, hEnd, 1 + r.nextInt(3), r);
            case FLIP_DATA_BITS -> b.data().length == 0 ? img : flip(img, hEnd, img.length, 1 + r.nextInt(8), r);
            case HUGE_LENGTH -> withLength(img, hugeLength(img.length, b.header().length, r));
            case SPLICE_OFFSETS -> rebuild(b, editArray(b, "data_offsets", r));
            case SPLICE_SHAPE -> rebuild(b, editArray(b, "shape", r));
            case SWAP_DTYPE -> rebuild(b, swapDtype(b, r));
            case DUPLICATE_KEY -> TestFiles.image(duplicateKey(b, r), b.data());
            case BAD_UTF8 -> TestFiles.image(insert(b.header(), BAD_UTF8[r.nextInt(BAD_UTF8.length)], r, true),
                    b.data());
            case GOOD_UTF8 -> TestFiles.image(insert(b.header(),
                    TestFiles.utf8(GOOD_UTF8[r.nextInt(GOOD_UTF8.length)]), r, true), b.data());
            case REORDER_ENTRIES -> {
                List<Map.Entry<String, JsonNode>> e = new ArrayList<>(b.entries());
                Collections.shuffle(e, r);
                yield TestFiles.image(render(e, r.nextBoolean()), b.data());
            }
            case JSON_EDIT -> TestFiles.image(jsonEdit(b.header(), r), b.data());
            case TRAILING_BYTES -> TestFiles.image(concat(trimmed(b.header()), TestFiles.utf8(
                    new String[] {"  \n\t\r", " x", " {}", "\0", " ,", " ]", "}", " null", " 0"}[r.nextInt(9)])),
                    b.data());
            case RESIZE_DATA -> r.nextBoolean() || b.data().length == 0
                    ? concat(img, new byte[1 + r.nextInt(9)])
                    : Arrays.copyOf(img, img.length - 1 - r.nextInt(b.data().length));
        };
    }

    private static byte[] flip(byte[] img, int from, int to, int bits, Random r) {
        for (int i = 0; i < bits && to > from; i++) {
            img[from + r.nextInt(to - from)] ^= (byte) (1 << r.nextInt(8));
        }
        return img;
    }

    private static long hugeLength(long fileSize, long n, Random r) {
        long[] pool = {n - 1, n + 1, n + 8, fileSize - 8, fileSize - 7, fileSize, SafetensorsHeader.MAX_HEADER_BYTES,
            SafetensorsHeader.MAX_HEADER_BYTES + 1, Long.MAX_VALUE, Long.MIN_VALUE, -1, 1L << 32, 0, r.nextLong()};
        return pool[r.nextInt(pool.length)];
    }

    private static byte[] withLength(byte[] img, long length) {
        if (img.length >= 8) {
            ByteBuffer.wrap(img).order(ByteOrder.LITTLE_ENDIAN).putLong(0, length);
        }
        return img;
    }

    private static byte[] rebuild(Base b, List<Map.Entry<String, JsonNode>> entries) {
        return TestFiles.image(render(entries, true), b.data());
    }

    /** Serialises entries in order, optionally padded like a writer would. */
    static byte[] render(List<Map.Entry<String, JsonNode>> entries, boolean pad) {
        StringBuilder s = new StringBuilder("{");
        try {
            for (Map.Entry<String, JsonNode> e : entries) {
                s.append(s.length() == 1 ? "" : ",").append(JSON.writeValueAsString(e.getKey())).append(':')
                        .append(JSON.writeValueAsString(e.getValue()));
            }
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
        s.append('}');
        while (pad && s.length() % 8 != 0) {
            s.append(' ');
        }
        return TestFiles.utf8(s.toString());
    }

    private static List<Map.Entry<String, JsonNode>> tensorEntries(Base b) {
        return b.entries().stream().filter(e -> !e.getKey().equals("__metadata__")).toList();
    }

    /** Replaces one number of one tensor's array with an edge value or another tensor's number. */
    private static List<Map.Entry<String, JsonNode>> editArray(Base b, String key, Random r) {
        List<Map.Entry<String, JsonNode>> tensors = tensorEntries(b);
        List<Map.Entry<String, JsonNode>> copy = new ArrayList<>();
        b.entries().forEach(e -> copy.add(Map.entry(e.getKey(), e.getValue().deepCopy())));
        if (tensors.isEmpty()) {
            return copy;
        }
        int victim = r.nextInt(copy.size());
        while (copy.get(victim).getKey().equals("__metadata__")) {
            victim = r.nextInt(copy.size());
        }
        ArrayNode arr = (ArrayNode) copy.get(victim).getValue().get(key);
        JsonNode donor = tensors.get(r.nextInt(tensors.size())).getValue().get(key);
        JsonNode value = switch (r.nextInt(12)) {
            case 0 -> donor.size() == 0 ? LongNode.valueOf(0) : donor.get(r.nextInt(donor.size()));
            case 1 -> LongNode.valueOf(-1);
            case 2 -> LongNode.valueOf(Long.MAX_VALUE);
            case 3 -> BigIntegerNode.valueOf(BigInteger.ONE.shiftLeft(64));
            case 4 -> DoubleNode.valueOf(1.0);
            case 5 -> TextNode.valueOf("4");
            case 6 -> LongNode.valueOf(1L << 62);
            case 7 -> LongNode.valueOf(0);
            default -> LongNode.valueOf(Math.max(0, (arr.size() == 0 ? 1 : arr.get(0).asLong()) + r.nextInt(9) - 4));
        };
        if (arr.size() == 0 || r.nextInt(6) == 0) {
            arr.add(value);
        } else if (r.nextInt(8) == 0) {
            arr.remove(r.nextInt(arr.size()));
        } else {
            arr.set(r.nextInt(arr.size()), value);
        }
        if (r.nextInt(10) == 0) {
            ((ObjectNode) copy.get(victim).getValue()).set(key, donor.deepCopy()); // splice a whole array
        }
        return copy;
    }

    private static List<Map.Entry<String, JsonNode>> swapDtype(Base b, Random r) {
        List<Map.Entry<String, JsonNode>> copy = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : b.entries()) {
            JsonNode v = e.getValue().deepCopy();
            if (!e.getKey().equals("__metadata__") && r.nextBoolean()) {
                String[] pool = {"F32", "F16", "BF16", "I8", "U8", "F64", "I64", "F8_E4M3", "F4", "f32", "", "BOOL"};
                ((ObjectNode) v).put("dtype", pool[r.nextInt(pool.length)]);
            }
            copy.add(Map.entry(e.getKey(), v));
        }
        return copy;
    }

    /** Repeats a top-level name, or a key inside one entry (a tensor's "dtype", metadata's "format"). */
    private static byte[] duplicateKey(Base b, Random r) {
        List<Map.Entry<String, JsonNode>> e = new ArrayList<>(b.entries());
        if (e.isEmpty()) {
            e.add(Map.entry("__metadata__", JsonNodeFactory.instance.objectNode()));
            e.add(Map.entry("__metadata__", JsonNodeFactory.instance.objectNode()));
            return render(e, r.nextBoolean());
        }
        if (r.nextBoolean()) {
            Map.Entry<String, JsonNode> twin = e.get(r.nextInt(e.size()));
            e.add(r.nextInt(e.size() + 1), r.nextBoolean() ? twin
                    : Map.entry(twin.getKey(), JsonNodeFactory.instance.objectNode()));
            return render(e, true);
        }
        int victim = r.nextInt(e.size());
        boolean metadata = e.get(victim).getKey().equals("__metadata__");
        StringBuilder s = new StringBuilder("{");
        try {
            for (int i = 0; i < e.size(); i++) {
                String value = JSON.writeValueAsString(e.get(i).getValue());
                if (i == victim) {
                    value = "{" + (metadata ? "\"format\":\"x\"," : "\"dtype\":\"F32\",") + value.substring(1);
                }
                s.append(i == 0 ? "" : ",").append(JSON.writeValueAsString(e.get(i).getKey())).append(':').append(value);
            }
        } catch (JsonProcessingException ex) {
            throw new UncheckedIOException(ex);
        }
        return TestFiles.utf8(s.append('}').toString());
    }

    /** Inserts bytes at a random position, inside a string literal when {@code inString} and one exists. */
    private static byte[] insert(byte[] header, byte[] bytes, Random r, boolean inString) {
        int pos = r.nextInt(header.length + 1);
        if (inString) {
            for (int tries = 0; tries < 20; tries++) {
                int p = r.nextInt(header.length);
                if (header[p] == '"') {
                    pos = p + 1;
                    break;
                }
            }
        }
        byte[] out = new byte[header.length + bytes.length];
        System.arraycopy(header, 0, out, 0, pos);
        System.arraycopy(bytes, 0, out, pos, bytes.length);
        System.arraycopy(header, pos, out, pos + bytes.length, header.length - pos);
        return out;
    }

    private static byte[] jsonEdit(byte[] header, Random r) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int p = r.nextInt(header.length);
        byte c = (byte) JSON_CHARS.charAt(r.nextInt(JSON_CHARS.length()));
        switch (r.nextInt(5)) {
            case 0 -> { // delete one byte
                out.write(header, 0, p);
                out.write(header, p + 1, header.length - p - 1);
            }
            case 1 -> { // insert one byte
                out.write(header, 0, p);
                out.write(c);
                out.write(header, p, header.length - p);
            }
            case 2 -> { // replace one byte
                byte[] h = header.clone();
                h[p] = c;
                return h;
            }
            case 3 -> { // delete a span
                int q = Math.min(header.length, p + 1 + r.nextInt(16));
                out.write(header, 0, p);
                out.write(header, q, header.length - q);
            }
            default -> { // repeat a span
                int q = Math.min(header.length, p + 1 + r.nextInt(32));
                out.write(header, 0, q);
                out.write(header, p, header.length - p);
            }
        }
        return out.toByteArray();
    }

    private static byte[] trimmed(byte[] header) {
        int n = header.length;
        while (n > 0 && header[n - 1] == ' ') {
            n--;
        }
        return Arrays.copyOf(header, n);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
